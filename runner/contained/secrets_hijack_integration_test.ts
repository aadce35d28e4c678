/**
 * A hijacked agent with every Deno permission inside the container (no jail: the container is
 * the only boundary) looks for the provider key everywhere and tries every way to the model; the
 * key stays on the host, the model is reachable only through the broker, and the broker wants
 * the phantom (real daemon, real images, the real model broker on the host socket directory; a
 * stand-in interceptor that echoes shows the `--forward-connect` tunnel).
 */
import assert from "node:assert/strict";
import type Dockerode from "dockerode";
import { dockerTest } from "../../testing/docker.ts";
import { startRecordingUpstream } from "../../testing/recording_upstream.ts";
import { MemorySink } from "../../sinks/memory/mod.ts";
import { SandboxLauncher } from "./sandbox_launcher.ts";
import { modelBrokerStarter } from "./contained_vault.ts";
import type { BrokerReport } from "../run_broker.ts";
import {
  BROKER_SOCKET,
  createHostSocketDir,
  grantSocket,
  INTERCEPT_SOCKET,
  removeHostSocketDir,
} from "./host_sockets.ts";
import { ensureTestImage, leftovers, TEST_IMAGE, ZU_ROOT } from "./_launcher_test_util.ts";

const CANARY = `zu-canary-${crypto.randomUUID()}`;

/** A stand-in for the host's TLS interceptor: answers the CONNECT, then echoes what it gets. */
function standInInterceptor(path: string) {
  const listener = Deno.listen({ transport: "unix", path });
  const heads: string[] = [];
  const done = (async () => {
    for await (const conn of listener) {
      (async () => {
        const buf = new Uint8Array(4096);
        let text = "";
        for (let i = 0; i < 100 && !text.includes("\r\n\r\n"); i++) {
          const n = await conn.read(buf);
          if (n === null) return conn.close();
          text += new TextDecoder().decode(buf.subarray(0, n));
        }
        const end = text.indexOf("\r\n\r\n");
        heads.push(text.slice(0, end));
        const enc = new TextEncoder();
        await conn.write(enc.encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
        // Echo every byte, whichever read it arrives in.
        const early = text.slice(end + 4);
        if (early) await conn.write(enc.encode(`echo:${early}`));
        for (;;) {
          const n = await conn.read(buf).catch(() => null);
          if (n === null) break;
          await conn.write(enc.encode(`echo:${new TextDecoder().decode(buf.subarray(0, n))}`));
        }
        conn.close();
      })().catch(() => {});
    }
  })().catch(() => {});
  return {
    heads,
    close: async () => {
      listener.close();
      await done;
    },
  };
}

/** Runs with -A in the container; prints one event line with everything it found. */
const HIJACK_CODE = `
const T = crypto.randomUUID();
const proxy = new URL(Deno.env.get("HTTP_PROXY"));
const PORT = Deno.env.get("MODEL_PORT");
const tryIt = async (f) => { try { return await f(); } catch (e) { return "failed:" + (e?.name ?? "Error"); } };
const raw = async (request) => {
  const c = await Deno.connect({ hostname: proxy.hostname, port: Number(proxy.port) });
  try {
    await c.write(new TextEncoder().encode(request));
    const buf = new Uint8Array(8192); let out = "";
    for (let i = 0; i < 100; i++) {
      const n = await c.read(buf); if (n === null) break;
      out += new TextDecoder().decode(buf.subarray(0, n));
      if (out.includes("\\r\\n\\r\\n")) break;
    }
    return out.split("\\r\\n")[0];
  } finally { try { c.close(); } catch {} }
};
const r = { environ: {}, files: {} };
r.env = Deno.env.toObject();
for (const d of Deno.readDirSync("/proc")) {
  if (!/^[0-9]+$/.test(d.name) && d.name !== "self") continue;
  r.environ[d.name] = await tryIt(() => Deno.readTextFileSync("/proc/" + d.name + "/environ"));
}
const walk = (dir, depth) => {
  if (depth > 3) return;
  for (const e of Deno.readDirSync(dir)) {
    const p = dir + "/" + e.name;
    if (e.isDirectory) { try { walk(p, depth + 1); } catch {} }
    else if (e.isFile) { try { r.files[p] = Deno.readTextFileSync(p).slice(0, 4096); } catch {} }
  }
};
for (const d of ["/tmp", "/agent", "/etc", "/zu", "/home", "/root"]) { try { walk(d, 0); } catch (e) { r.files[d] = "failed:" + e.name; } }
r.vaultDir = await tryIt(() => Deno.statSync("/zu/vault").isDirectory);
r.socket = await tryIt(() => Deno.connect({ transport: "unix", path: "/zu/vault/broker.sock" }).then((c) => { c.close(); return "connected"; }));
const body = '{"model":"m","messages":[{"role":"user","content":"hi"}]}';
const post = (headers) => "POST http://zu-vault/r/m0/chat/completions HTTP/1.1\\r\\nHost: zu-vault\\r\\nContent-Type: application/json\\r\\nContent-Length: " + body.length + "\\r\\n" + headers + "\\r\\n" + body;
r.noPhantom = await raw(post(""));
r.wrongPhantom = await raw(post("Authorization: Bearer zu-phantom-guess\\r\\n"));
r.phantomWrongRoute = await raw(post("Authorization: Bearer " + Deno.env.get("ZU_TEST_MODEL_KEY") + "\\r\\n").replace("/r/m0/", "/r/m9/"));
r.withPhantom = await raw(post("Authorization: Bearer " + Deno.env.get("ZU_TEST_MODEL_KEY") + "\\r\\n"));
r.connectLoopback = await raw("CONNECT 127.0.0.1:" + PORT + " HTTP/1.1\\r\\n\\r\\n");
r.getLoopback = await raw("GET http://127.0.0.1:" + PORT + "/v1/models HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n");
r.connectVault = await raw("CONNECT zu-vault:443 HTTP/1.1\\r\\n\\r\\n");
r.hostGateway = await raw("GET http://host.docker.internal:" + PORT + "/ HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n");
const gw = Deno.readTextFileSync("/proc/net/route").split("\\n").slice(1).map((l) => l.split("\\t")).find((f) => f[1] === "00000000");
r.direct = await Promise.race([
  Deno.connect({ hostname: "127.0.0.1", port: Number(PORT) }).then((c) => { c.close(); return "connected"; }, (e) => "failed:" + e.name),
  new Promise((res) => setTimeout(() => res("timeout"), 3000)),
]);
r.gatewayRoute = gw ? "has default route" : "no default route";
// A bound host's CONNECT goes to the host's interceptor (here a stand-in that echoes).
r.boundTunnel = await tryIt(async () => {
  const c = await Deno.connect({ hostname: proxy.hostname, port: Number(proxy.port) });
  try {
    await c.write(new TextEncoder().encode("CONNECT api.bound.test:443 HTTP/1.1\\r\\nHost: api.bound.test:443\\r\\n\\r\\nping"));
    const buf = new Uint8Array(4096); let out = "";
    for (let i = 0; i < 100 && !out.includes("echo:ping"); i++) {
      const n = await c.read(buf); if (n === null) break;
      out += new TextDecoder().decode(buf.subarray(0, n));
    }
    return out;
  } finally { try { c.close(); } catch {} }
});
console.log(JSON.stringify({ zu_event: { event_id: crypto.randomUUID(), trace_id: T, task_id: T, parent_id: null,
  type: "harness.task.completed", ts: new Date().toISOString(), source: "contained", payload: { results: r },
  schema_version: 1, prev_hash: null, hash: null, sig: null } }));
Deno.exit(0);
`;

dockerTest(
  "a hijacked agent with every permission in the container finds no key and reaches the model only through the broker with the phantom",
  async () => {
    const mod = await import("dockerode");
    const docker: Dockerode = new mod.default({ socketPath: "/var/run/docker.sock" });
    await ensureTestImage(docker);
    const upstream = await startRecordingUpstream({
      tls: false,
      handler: (req) =>
        req.headers.some(([k, v]) => k === "authorization" && v === `Bearer ${CANARY}`)
          ? { status: 200, body: '{"ok":true}', headers: { "content-type": "application/json" } }
          : { status: 401, body: "bad key" },
    });
    const dir = await createHostSocketDir();
    const reports: BrokerReport[] = [];
    const startBroker = modelBrokerStarter({
      env: (k) => (k === "ZU_TEST_MODEL_KEY" ? CANARY : undefined),
      onReport: (_source, r) => reports.push(r),
    });
    const running = await startBroker({
      routes: [{
        id: "m0",
        provider: "openai-compatible",
        upstream: `http://127.0.0.1:${upstream.port}/v1`,
        keyEnv: "ZU_TEST_MODEL_KEY",
        authHeader: "authorization",
      }],
      unixPath: `${dir}/${BROKER_SOCKET}`,
      localOrigins: [`127.0.0.1:${upstream.port}`],
    });
    await grantSocket(`${dir}/${BROKER_SOCKET}`);
    const tunnel = standInInterceptor(`${dir}/${INTERCEPT_SOCKET}`);
    await grantSocket(`${dir}/${INTERCEPT_SOCKET}`);
    const sink = new MemorySink();
    const runId = `i12hijack-${crypto.randomUUID()}`;
    const texts: string[] = [];
    let inspected = "";
    try {
      const launcher = new SandboxLauncher({
        sink,
        docker,
        image: TEST_IMAGE,
        zuSourceBind: ZU_ROOT,
        proxyReadyTimeoutMs: 300_000,
        hostSockets: {
          dir,
          forwardHttp: { "zu-vault": BROKER_SOCKET },
          forwardConnect: { "api.bound.test": INTERCEPT_SOCKET },
        },
        onAgentText: (t) => texts.push(t),
        onProxyLine: (l) => texts.push(JSON.stringify(l)),
        onAgentStderr: (t) => texts.push(t),
        beforeTeardown: async ({ agent, proxy }) => {
          inspected = JSON.stringify(await docker.getContainer(agent!).inspect()) +
            JSON.stringify(await docker.getContainer(proxy!).inspect());
        },
      });
      const outcome = await launcher.run({
        command: ["/usr/local/bin/deno", "eval", HIJACK_CODE],
        env: {
          ZU_TEST_MODEL_KEY: running.phantom,
          MODEL_PORT: String(upstream.port),
          DENO_DIR: "/tmp/.deno",
          HOME: "/tmp",
        },
        allowlist: [],
        timeoutMs: 600_000,
        runId,
      });
      assert.equal(outcome.exitCode, 0, outcome.stderr);
      const events = await sink.query();
      const r = events.find((e) => e.type === "harness.task.completed")?.payload
        .results as Record<string, unknown>;
      assert.ok(r, JSON.stringify(events));
      const everything = JSON.stringify(r) + texts.join("\n") + inspected;
      assert.ok(
        !everything.includes(CANARY),
        "the canary is nowhere the agent or its records reach",
      );
      const env = r.env as Record<string, string>;
      assert.equal(env.ZU_TEST_MODEL_KEY, running.phantom);
      assert.ok(
        !`${env.NO_PROXY},${env.no_proxy}`.includes("zu-vault"),
        "zu-vault goes via the proxy",
      );
      assert.ok(Object.keys(r.environ as object).length > 0, "it read /proc/*/environ");
      assert.ok(Object.keys(r.files as object).length > 0, "it read files");
      assert.match(String(r.vaultDir), /^failed:NotFound/);
      assert.match(String(r.socket), /^failed:NotFound/);
      assert.match(String(r.noPhantom), /^HTTP\/1\.1 401/);
      assert.match(String(r.wrongPhantom), /^HTTP\/1\.1 401/);
      // The real broker: the phantom is right, the route unknown (no key goes anywhere).
      assert.match(String(r.phantomWrongRoute), /^HTTP\/1\.1 404/);
      assert.match(String(r.withPhantom), /^HTTP\/1\.1 200/, "the phantom opens its one route");
      assert.match(String(r.connectLoopback), /^HTTP\/1\.1 403/);
      assert.match(String(r.getLoopback), /^HTTP\/1\.1 403/);
      assert.match(String(r.connectVault), /^HTTP\/1\.1 403/);
      assert.match(String(r.hostGateway), /^HTTP\/1\.1 403/);
      assert.notEqual(r.direct, "connected");
      // Only the one request with the phantom reached the model, carrying the real key.
      assert.equal(upstream.requests.length, 1);
      const outcomes = reports.map((x) => x.kind === "credential" ? x.use.outcome : "echo");
      assert.equal(outcomes.filter((o) => o === "routed").length, 1, outcomes.join());
      assert.equal(outcomes.filter((o) => o === "phantom_rejected").length, 2, outcomes.join());
      assert.ok(!JSON.stringify(reports).includes(CANARY));
      assert.ok(inspected.includes(":/zu/vault:ro"), "the sidecar has the socket directory");
      // --forward-connect: the CONNECT reached the host side as sent, and bytes flowed both ways.
      assert.match(
        String(r.boundTunnel),
        /^HTTP\/1\.1 200 Connection Established\r\n\r\necho:ping/,
      );
      assert.deepEqual(tunnel.heads, [
        "CONNECT api.bound.test:443 HTTP/1.1\r\nHost: api.bound.test:443",
      ]);
      assert.ok(
        outcome.proxyDecisions.some((d) =>
          d.host === "api.bound.test" && d.reason === "handed_off" && (d.bytes_down as number) > 0
        ),
        JSON.stringify(outcome.proxyDecisions),
      );
      assert.ok(
        outcome.proxyFlags.includes("--allow-read=/zu/vault/broker.sock,/zu/vault/intercept.sock"),
      );
    } finally {
      await tunnel.close();
      await running.close();
      await removeHostSocketDir(dir);
      await upstream.close();
    }
    assert.deepEqual(await leftovers(docker, runId), []);
  },
);
