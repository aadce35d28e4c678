import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { startEgressProxy } from "./egress_proxy.ts";
import {
  BROKER_HOST,
  forwardSockets,
  parseForward,
  sidecarForwardHandoff,
} from "./sidecar_forward.ts";
import { proxyCommand } from "./proxy_command.ts";
import { readJsonLines } from "./json_lines.ts";

const PHANTOM = "zu-phantom-test-0123456789";

/** A stand-in for the host's model broker: checks the phantom, echoes what it received. */
function standInBroker(path: string) {
  return Deno.serve({ path, onListen: () => {} }, async (req) => {
    if (req.headers.get("authorization") !== `Bearer ${PHANTOM}`) {
      return new Response("no phantom", { status: 401 });
    }
    const u = new URL(req.url);
    return Response.json({
      method: req.method,
      path: u.pathname + u.search,
      host: req.headers.get("host"),
      proxyAuth: req.headers.get("proxy-authorization"),
      body: await req.text(),
    });
  });
}

/** A stand-in for the host's TLS interceptor: answers the CONNECT, then echoes bytes. */
function standInTunnel(path: string) {
  const listener = Deno.listen({ transport: "unix", path });
  const heads: string[] = [];
  const done = (async () => {
    for await (const conn of listener) {
      (async () => {
        const buf = new Uint8Array(4096);
        let text = "";
        while (!text.includes("\r\n\r\n")) {
          const n = await conn.read(buf);
          if (n === null) return conn.close();
          text += new TextDecoder().decode(buf.subarray(0, n));
        }
        const end = text.indexOf("\r\n\r\n");
        heads.push(text.slice(0, end));
        await conn.write(new TextEncoder().encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
        const early = text.slice(end + 4);
        if (early) await conn.write(new TextEncoder().encode(`echo:${early}`));
        for (;;) {
          const n = await conn.read(buf).catch(() => null);
          if (n === null) break;
          await conn.write(new TextEncoder().encode(`echo:`));
          await conn.write(buf.subarray(0, n));
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

async function rawExchange(proxyPort: number, send: string, until: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxyPort });
  try {
    await conn.write(new TextEncoder().encode(send));
    const buf = new Uint8Array(4096);
    let out = "";
    for (let i = 0; i < 50 && !out.includes(until); i++) {
      const n = await conn.read(buf);
      if (n === null) break;
      out += new TextDecoder().decode(buf.subarray(0, n));
    }
    return out;
  } finally {
    conn.close();
  }
}

Deno.test("parseForward reads host=unix:path and refuses anything else", () => {
  deepEqual(parseForward("ZU-VAULT=unix:/zu/vault/broker.sock"), {
    pattern: "zu-vault",
    socket: "/zu/vault/broker.sock",
  });
  deepEqual(parseForward("*.bound.test:8443=unix:/s"), {
    pattern: "*.bound.test:8443",
    socket: "/s",
  });
  for (
    const bad of ["zu-vault", "=unix:/s", "zu-vault=unix:rel.sock", "zu-vault=tcp:/s", "*=unix:/s"]
  ) {
    throws(() => parseForward(bad), TypeError, bad);
  }
  deepEqual(
    forwardSockets({
      http: [parseForward("zu-vault=unix:/a.sock")],
      connect: [parseForward("a.test=unix:/b.sock"), parseForward("c.test=unix:/a.sock")],
    }),
    ["/a.sock", "/b.sock"],
  );
});

Deno.test("the sidecar forwards zu-vault requests and bound CONNECTs over unix sockets, nothing else", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_forward_" });
  const broker = standInBroker(`${dir}/broker.sock`);
  const tunnel = standInTunnel(`${dir}/intercept.sock`);
  const lines: Record<string, unknown>[] = [];
  const handoff = sidecarForwardHandoff({
    http: [parseForward(`${BROKER_HOST}=unix:${dir}/broker.sock`)],
    connect: [
      parseForward(`*.bound.test=unix:${dir}/intercept.sock`),
      parseForward(`gone.test=unix:${dir}/missing.sock`),
    ],
  });
  const proxy = await startEgressProxy({ allowlist: [], handoff, log: (l) => lines.push(l) });
  const client = Deno.createHttpClient({ proxy: { url: proxy.url } });
  try {
    const r = await fetch(`http://${BROKER_HOST}/r/p0/v1/chat/completions?x=1`, {
      client,
      method: "POST",
      headers: { authorization: `Bearer ${PHANTOM}`, "proxy-authorization": "Basic eDp5" },
      body: "hello broker",
    });
    equal(r.status, 200);
    deepEqual(await r.json(), {
      method: "POST",
      path: "/r/p0/v1/chat/completions?x=1",
      host: BROKER_HOST,
      proxyAuth: null,
      body: "hello broker",
    });
    // Without the phantom the broker (host side) refuses: the sidecar only carries it.
    const bare = await fetch(`http://${BROKER_HOST}/r/p0/v1/models`, { client });
    equal(bare.status, 401);
    await bare.body?.cancel();

    const tunnelled = await rawExchange(
      proxy.port,
      "CONNECT api.bound.test:443 HTTP/1.1\r\nHost: api.bound.test:443\r\nProxy-Authorization: Basic eDp5\r\n\r\nfirst",
      "echo:first",
    );
    match(tunnelled, /^HTTP\/1\.1 200 Connection Established\r\n\r\necho:first/);
    equal(tunnel.heads.length, 1);
    equal(tunnel.heads[0], "CONNECT api.bound.test:443 HTTP/1.1\r\nHost: api.bound.test:443");

    // Plain http to a bound host is not claimed (CONNECT only): the allowlist refuses it.
    const plain = await rawExchange(
      proxy.port,
      "GET http://api.bound.test/ HTTP/1.1\r\nHost: api.bound.test\r\n\r\n",
      "\r\n\r\n",
    );
    match(plain, /^HTTP\/1\.1 403/);
    // An unbound CONNECT goes the proxy's own way (refused, nothing allowlisted).
    const other = await rawExchange(
      proxy.port,
      "CONNECT other.test:443 HTTP/1.1\r\n\r\n",
      "\r\n\r\n",
    );
    match(other, /^HTTP\/1\.1 403/);
    // A forward whose socket is missing answers 502.
    const gone = await rawExchange(
      proxy.port,
      "CONNECT gone.test:443 HTTP/1.1\r\n\r\n",
      "\r\n\r\n",
    );
    match(gone, /^HTTP\/1\.1 502/);
  } finally {
    client.close();
    await proxy.close();
    await broker.shutdown();
    await tunnel.close();
    await Deno.remove(dir, { recursive: true });
  }
  const decided = lines.filter((l) => l.event === "proxy.decision");
  const vault = decided.filter((l) => l.host === BROKER_HOST);
  equal(vault.length, 2);
  ok(vault.every((l) => l.reason === "handed_off" && l.allowed === true), JSON.stringify(vault));
  ok(vault.every((l) => (l.bytes_up as number) > 0 && (l.bytes_down as number) > 0));
  const bound = decided.find((l) => l.host === "api.bound.test" && l.method === "CONNECT");
  equal(bound?.reason, "handed_off");
  ok((bound?.bytes_down as number) > 0 && (bound?.bytes_up as number) > 0, JSON.stringify(bound));
  ok(decided.some((l) => l.host === "api.bound.test" && l.reason === "not_allowlisted"));
  ok(decided.some((l) => l.host === "gone.test" && l.reason === "forward_failed" && !l.allowed));
});

Deno.test("the sidecar child forwards under exactly its socket grants and can open no other socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_forward_child_" });
  const sock = `${dir}/broker.sock`;
  const other = `${dir}/other.sock`;
  const broker = standInBroker(sock);
  const otherBroker = standInBroker(other);
  const sidecarPath = new URL("./sidecar.ts", import.meta.url).pathname;
  const { flags, args } = proxyCommand({
    listen: "127.0.0.1:0",
    allowlist: [],
    pins: { raw: {}, granted: {} },
    sidecarPath,
    forwards: {
      http: [parseForward(`${BROKER_HOST}=unix:${sock}`)],
      // Claimed, but the child holds no grant for this socket: Deno refuses the connect.
      connect: [parseForward(`x.bound.test=unix:${other}`)],
    },
  });
  deepEqual(flags, [
    `--allow-net=127.0.0.1:0,unix:${sock},unix:${other}`,
    "--allow-env=ZU_PROXY_UNSAFE_TEST_ALLOW_ALL",
    `--allow-read=${sock},${other}`,
    `--allow-write=${sock},${other}`,
  ]);
  // Run it with the grant for the second socket taken away, to show Deno's boundary holds.
  const narrowed = args.map((a) =>
    a.startsWith("--allow-") ? a.replace(`,unix:${other}`, "").replace(`,${other}`, "") : a
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: narrowed,
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lines: Record<string, unknown>[] = [];
  let ready!: (port: number) => void;
  const port = new Promise<number>((r) => ready = r);
  const reading = readJsonLines(child.stdout, (l) => {
    lines.push(l);
    if (l.event === "proxy.ready") ready(l.port as number);
  });
  try {
    const p = await port;
    const client = Deno.createHttpClient({ proxy: { url: `http://127.0.0.1:${p}` } });
    const r = await fetch(`http://${BROKER_HOST}/r/p0/x`, {
      client,
      headers: { authorization: `Bearer ${PHANTOM}` },
    });
    equal(r.status, 200);
    equal((await r.json()).path, "/r/p0/x");
    client.close();
    const refused = await rawExchange(p, "CONNECT x.bound.test:443 HTTP/1.1\r\n\r\n", "\r\n\r\n");
    match(refused, /^HTTP\/1\.1 502/);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await reading.catch(() => {});
    await broker.shutdown();
    await otherBroker.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
  const failed = lines.find((l) => l.host === "x.bound.test");
  equal(failed?.reason, "forward_failed");
  match(String(failed?.detail), /NotCapable/);
  const readyLine = lines.find((l) => l.event === "proxy.ready");
  deepEqual(readyLine?.forward_http, [BROKER_HOST]);
});
