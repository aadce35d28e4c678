/**
 * The launcher and the egress proxy on the real daemon. The "outside world" is an origin server
 * the test starts in its own container on its own network; the proxy joins that network and
 * lets its subnet through with `allowCidrs`. Names resolve through a resolver the test controls.
 */
import assert from "node:assert/strict";
import type Dockerode from "dockerode";
import { dockerTest } from "../../testing/docker.ts";
import { MemorySink } from "../../sinks/memory/mod.ts";
import type { Event } from "../../core/events.ts";
import { SandboxLauncher } from "./sandbox_launcher.ts";
import {
  ensureTestImage,
  leftovers,
  startTestOrigin,
  TEST_IMAGE,
  type TestOrigin,
  ZU_ROOT,
} from "./_launcher_test_util.ts";

const METADATA_ENCODINGS = [
  "169.254.169.254",
  "2852039166",
  "0xa9fea9fe",
  "0251.0376.0251.0376",
  "[::ffff:169.254.169.254]",
  "169.254.43518",
];

/** The contained "agent": emits events, fetches through the proxy, and tries every way around it. */
const AGENT_CODE = `
const T = Deno.env.get("ZU_TEST_TASK");
const ORIGIN_IP = Deno.env.get("ORIGIN_IP");
const proxy = new URL(Deno.env.get("HTTP_PROXY"));
const emit = (type, payload) => console.log(JSON.stringify({ zu_event: {
  event_id: crypto.randomUUID(), trace_id: T, task_id: T, parent_id: null, type,
  ts: new Date().toISOString(), source: "contained", payload, schema_version: 1,
  prev_hash: "forged", hash: "forged", sig: null } }));
const withTimeout = (p, ms) => Promise.race([p, new Promise((r) => setTimeout(() => r("timeout"), ms))]);
async function viaProxy(request) {
  const c = await Deno.connect({ hostname: proxy.hostname, port: Number(proxy.port) });
  try {
    await c.write(new TextEncoder().encode(request));
    const buf = new Uint8Array(4096); let out = "";
    for (let i = 0; i < 100; i++) {
      const n = await c.read(buf); if (n === null) break;
      out += new TextDecoder().decode(buf.subarray(0, n));
      if (out.includes("\\r\\n\\r\\n")) break;
    }
    return out.split("\\r\\n")[0];
  } finally { try { c.close(); } catch {} }
}
console.log("not an event line");
emit("harness.task.started", { query: "launcher test" });
console.error("gate", performance.now());
const gate = await fetch("http://origin.test:8000/gate");
emit("data.source.fetched", { url: "http://origin.test:8000/gate", status: gate.status, body: await gate.text() });
const r = {};
console.error('r.direct', performance.now());
r.direct = await withTimeout(Deno.connect({ hostname: ORIGIN_IP, port: 8000 }).then((c) => { c.close(); return "connected"; }, (e) => "failed: " + e.name), 4000);
console.error('r.connectAllowed', performance.now());
r.connectAllowed = await viaProxy("CONNECT origin.test:8000 HTTP/1.1\\r\\nHost: origin.test:8000\\r\\n\\r\\n");
r.wildcard = await viaProxy("CONNECT api.wild.test:8000 HTTP/1.1\\r\\n\\r\\n");
r.wildcardApex = await viaProxy("CONNECT wild.test:8000 HTTP/1.1\\r\\n\\r\\n");
console.error('r.offlistFetch', performance.now());
r.offlistFetch = (await fetch("http://offlist.test/")).status;
console.error('r.offlistConnect', performance.now());
r.offlistConnect = await viaProxy("CONNECT offlist.test:443 HTTP/1.1\\r\\n\\r\\n");
console.error('r.rebind', performance.now());
r.rebind = await viaProxy("CONNECT rebind.test:8000 HTTP/1.1\\r\\n\\r\\n");
console.error('r.bareIp', performance.now());
r.bareIp = await viaProxy("CONNECT " + ORIGIN_IP + ":8000 HTTP/1.1\\r\\n\\r\\n");
console.error('r.metadata', performance.now());
r.metadata = [];
for (const e of ${JSON.stringify(METADATA_ENCODINGS)}) {
  r.metadata.push(await viaProxy("CONNECT " + e + ":80 HTTP/1.1\\r\\n\\r\\n"));
  r.metadata.push(await viaProxy("GET http://" + e + "/latest/meta-data/ HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"));
}
r.env = { sandboxed: Deno.env.get("ZU_SANDBOXED"), network: Deno.env.get("ZU_SANDBOX_NETWORK") };
r.uid = Deno.uid();
try { Deno.writeTextFileSync("/zu-probe", "x"); r.rootWrite = "written"; } catch (e) { r.rootWrite = e.name; }
emit("harness.egress.observed", { host: "forged.test", allowed: true });
emit("harness.task.completed", { results: r });
Deno.exit(0); // the bypass attempt's SYN retries would otherwise keep the process alive
`;

async function dockerClient(): Promise<Dockerode> {
  const mod = await import("dockerode");
  return new mod.default({ socketPath: "/var/run/docker.sock" });
}

/** A sink that lets the test act on an event the moment it lands. */
class HookedSink extends MemorySink {
  onAppend: ((event: Event) => void | Promise<void>) | null = null;
  override async append(event: Event): Promise<Event> {
    const stored = await super.append(event);
    await this.onAppend?.(event);
    return stored;
  }
}

function resolverFor(origin: TestOrigin) {
  const answers: Record<string, string[]> = {
    "origin.test": [origin.ip],
    "rebind.test": ["10.255.255.7"], // private, outside allowCidrs
    "model.test": [origin.ip],
  };
  return (host: string) =>
    answers[host] ? Promise.resolve(answers[host]!) : Promise.reject(new Error(`NXDOMAIN ${host}`));
}

dockerTest(
  "SandboxLauncher streams contained events into the host sink and only the proxy gets out",
  async () => {
    const docker = await dockerClient();
    const runId = `h6test-${crypto.randomUUID()}`;
    const taskId = crypto.randomUUID();
    const origin = await startTestOrigin(docker, runId);
    const sink = new HookedSink();
    const texts: string[] = [];
    try {
      // The origin holds /gate until the host saw the first event: only streaming can finish.
      let released = false;
      sink.onAppend = async (event) => {
        if (event.type === "harness.task.started" && !released) {
          released = true;
          const res = await fetch(`http://${origin.ip}:8000/release`);
          await res.body?.cancel();
        }
      };
      const launcher = new SandboxLauncher({
        sink,
        docker,
        image: TEST_IMAGE,
        zuSourceBind: ZU_ROOT,
        // Generous: a loaded host is slow to start the sidecar; a hang still fails.
        proxyReadyTimeoutMs: 300_000,
        onAgentText: (t) => texts.push(t),
      });
      const outcome = await launcher.run({
        command: ["/usr/local/bin/deno", "eval", AGENT_CODE],
        env: { ZU_TEST_TASK: taskId, ORIGIN_IP: origin.ip, DENO_DIR: "/tmp/.deno", HOME: "/tmp" },
        allowlist: ["origin.test:8000", "rebind.test:8000", "*.wild.test:8000"],
        modelHost: "model.test",
        allowCidrs: [origin.subnet],
        resolver: resolverFor(origin),
        proxyNetworks: [origin.network],
        timeoutMs: 600_000,
        runId,
        taskId,
      });
      assert.equal(outcome.exitCode, 0, `exit ${outcome.exitCode}: ${outcome.stderr}`);
      assert.equal(outcome.timedOut, false);
      assert.equal(outcome.events, 3);
      assert.equal(outcome.rejectedEvents, 1, "a forged host-only fact is refused");
      assert.ok(released, "the first event reached the sink while the agent was running");
      assert.deepEqual(outcome.allowlist, [
        "origin.test:8000",
        "rebind.test:8000",
        "*.wild.test:8000",
        "model.test",
      ]);
      assert.equal(
        outcome.proxyFlags[0],
        `--allow-net=0.0.0.0:8080,origin.test:8000,${origin.ip}:8000,rebind.test:8000,` +
          `*.wild.test,model.test:80,model.test:443,` +
          `${origin.ip}:80,${origin.ip}:443`,
      );
      assert.ok(texts.includes("not an event line"));

      const events = await sink.query({ task_id: taskId });
      const contained = events.filter((e) => e.source === "contained");
      assert.deepEqual(contained.map((e) => e.type), [
        "harness.task.started",
        "data.source.fetched",
        "harness.task.completed",
      ]);
      assert.equal(contained[1]!.payload.body, "gate open");
      assert.ok(
        contained.every((e) => e.hash !== "forged"),
        "chain fields come from the host sink",
      );

      const r = contained[2]!.payload.results as Record<string, unknown>;
      // A direct connection that bypasses the proxy on the internal network fails.
      assert.notEqual(r.direct, "connected");
      // Via the proxy the allowlisted origin works; everything else is refused.
      assert.match(String(r.connectAllowed), /^HTTP\/1\.1 200/);
      assert.equal(r.offlistFetch, 403);
      assert.match(String(r.offlistConnect), /^HTTP\/1\.1 403/);
      // A wildcard entry: the subdomain passes (dialled by name under Deno's *.domain grant and
      // checked after connecting); the apex is covered too (no policy refusal), but does not
      // resolve here.
      assert.match(String(r.wildcard), /^HTTP\/1\.1 200/);
      assert.match(String(r.wildcardApex), /^HTTP\/1\.1 50\d/);
      assert.match(String(r.rebind), /^HTTP\/1\.1 403/);
      assert.match(String(r.bareIp), /^HTTP\/1\.1 403/);
      const metadata = r.metadata as string[];
      assert.equal(metadata.length, METADATA_ENCODINGS.length * 2);
      for (const line of metadata) assert.match(line, /^HTTP\/1\.1 403/);
      assert.deepEqual(r.env, { sandboxed: "1", network: outcome.network });
      assert.equal(r.uid, 10001);
      assert.notEqual(r.rootWrite, "written");

      // The proxy's own record, merged as harness.egress.observed (a fact the agent cannot author).
      const reasons = outcome.proxyDecisions.map((d) => `${d.host} ${d.allowed} ${d.reason}`);
      assert.ok(reasons.includes("origin.test true allowlisted"));
      assert.ok(reasons.includes("offlist.test false not_allowlisted"));
      assert.ok(reasons.includes("api.wild.test true allowlisted_wildcard"));
      assert.ok(reasons.includes("rebind.test false blocked_resolution"));
      assert.ok(reasons.includes(`${origin.ip} false ip_literal_not_allowlisted`));
      assert.equal(reasons.filter((x) => / false blocked_address$/.test(x)).length, 12);
      const observed = events.filter((e) => e.type === "harness.egress.observed");
      assert.equal(observed.length, outcome.proxyDecisions.length);
    } finally {
      await origin.close();
      await sink.close();
    }
    assert.deepEqual(await leftovers(docker, runId), []);
  },
);

dockerTest(
  "SandboxLauncher kills the agent at the run's own timeout and tears everything down",
  async () => {
    const docker = await dockerClient();
    await ensureTestImage(docker);
    const runId = `h6test-${crypto.randomUUID()}`;
    const sink = new MemorySink();
    try {
      const launcher = new SandboxLauncher({
        sink,
        docker,
        image: TEST_IMAGE,
        zuSourceBind: ZU_ROOT,
        // Generous: a loaded host is slow to start the sidecar; a hang still fails.
        proxyReadyTimeoutMs: 300_000,
      });
      const outcome = await launcher.run({
        command: ["/usr/local/bin/deno", "eval", "setInterval(() => {}, 1000)"],
        env: { DENO_DIR: "/tmp/.deno", HOME: "/tmp" },
        allowlist: [],
        timeoutMs: 1500,
        runId,
      });
      assert.equal(outcome.timedOut, true);
      assert.equal(outcome.exitCode, 137);
      assert.ok(outcome.durationMs >= 1500);
    } finally {
      await sink.close();
    }
    assert.deepEqual(await leftovers(docker, runId), []);
  },
);

dockerTest("SandboxLauncher tears everything down when the run is cancelled", async () => {
  const docker = await dockerClient();
  await ensureTestImage(docker);
  const runId = `h6test-${crypto.randomUUID()}`;
  const taskId = crypto.randomUUID();
  const sink = new HookedSink();
  const controller = new AbortController();
  sink.onAppend = () => controller.abort(new Error("cancelled by the test"));
  try {
    const launcher = new SandboxLauncher({
      sink,
      docker,
      image: TEST_IMAGE,
      zuSourceBind: ZU_ROOT,
      // Generous: a loaded host is slow to start the sidecar; a hang still fails.
      proxyReadyTimeoutMs: 300_000,
    });
    const code =
      `console.log(JSON.stringify({ zu_event: { event_id: crypto.randomUUID(), trace_id: "${taskId}",
      task_id: "${taskId}", parent_id: null, type: "harness.task.started", ts: new Date().toISOString(),
      source: "contained", payload: {} } })); setInterval(() => {}, 1000);`;
    await assert.rejects(
      launcher.run({
        command: ["/usr/local/bin/deno", "eval", code],
        env: { DENO_DIR: "/tmp/.deno", HOME: "/tmp" },
        allowlist: [],
        timeoutMs: 120_000,
        runId,
        signal: controller.signal,
      }),
      /cancelled by the test/,
    );
    assert.equal(await sink.count({ task_id: taskId }), 1);
  } finally {
    await sink.close();
  }
  assert.deepEqual(await leftovers(docker, runId), []);
});
