import { equal, ok } from "node:assert/strict";
import { containsBytes } from "../../../testing/recording_upstream.ts";
import { startRig } from "./_test_rig.ts";
import { canary, rawTunnel, readResponse, writePieces } from "./_test_tls.ts";

const AUTH = (s: string) => `Authorization: Bearer {{secret:${s}}}`;

Deno.test("inject: the bound host gets the real header once, the client's Authorization is overwritten", async () => {
  await using rig = await startRig({
    bindings: (
      port,
    ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
  });
  const value = canary("inject");
  rig.vault.values.set("GH", value);
  const r = await fetch(`https://api.test:${rig.up.port}/repos/x?q=1`, {
    client: rig.client,
    headers: { authorization: "Bearer sandbox-token", "x-other": "1" },
  });
  equal(r.status, 200);
  equal(await r.text(), "ok");
  equal(rig.up.requests.length, 1);
  const auths = rig.up.requests[0]!.headers.filter(([k]) => k === "authorization");
  equal(auths.length, 1);
  equal(auths[0]![1], `Bearer ${value}`);
  ok(!containsBytes(rig.up.allBytes(), "sandbox-token"));
  equal(rig.uses.length, 1);
  const use = rig.uses[0]!;
  equal(use.outcome, "injected");
  equal(use.path, "/repos/x");
  equal(use.status, 200);
  equal(use.method, "GET");
  ok(!rig.records().includes(value));
});

/** PH (placeholder) bound to api.test, OTHER (placeholder) bound to other.test, same port. */
function twoSecrets(port: number) {
  return [
    { secret: "PH", mode: "placeholder" as const, hosts: [`api.test:${port}`] },
    { secret: "OTHER", mode: "placeholder" as const, hosts: [`other.test:${port}`] },
  ];
}

async function placeholderRig() {
  const rig = await startRig({ bindings: twoSecrets });
  const ph = canary("ph");
  const other = canary("other");
  rig.vault.values.set("PH", ph);
  rig.vault.values.set("OTHER", other);
  const placeholder = rig.set.add("PH", ph.length);
  rig.set.add("OTHER", other.length);
  return { rig, ph, other, placeholder };
}

Deno.test("placeholder: swapped in a header and inside Basic toward its own host, length kept", async () => {
  const { rig, ph, placeholder } = await placeholderRig();
  await using _ = rig;
  equal(placeholder.length, ph.length);
  const r1 = await fetch(`https://api.test:${rig.up.port}/a`, {
    client: rig.client,
    headers: { authorization: `token ${placeholder}` },
  });
  equal(r1.status, 200);
  await r1.body?.cancel();
  const r2 = await fetch(`https://api.test:${rig.up.port}/b`, {
    client: rig.client,
    headers: { authorization: `Basic ${btoa(`x-access-token:${placeholder}`)}` },
  });
  equal(r2.status, 200);
  await r2.body?.cancel();
  equal(rig.up.requests.length, 2);
  equal(rig.up.requests[0]!.headers.find(([k]) => k === "authorization")![1], `token ${ph}`);
  equal(
    rig.up.requests[1]!.headers.find(([k]) => k === "authorization")![1],
    `Basic ${btoa(`x-access-token:${ph}`)}`,
  );
  ok(!containsBytes(rig.up.allBytes(), placeholder));
  ok(rig.uses.every((u) => u.outcome === "substituted" && u.secret === "PH"));
  ok(!rig.records().includes(ph) && !rig.records().includes(placeholder));
});

const FORMS: [string, (ph: string, port: number) => RequestInit & { url?: string }][] = [
  ["raw header", (ph) => ({ headers: { authorization: `Bearer ${ph}` } })],
  [
    "percent-encoded query",
    (ph) => ({ url: `/x?t=${ph.replaceAll("_", "%5f").replace("z", "%7A")}` }),
  ],
  ["raw query", (ph) => ({ url: `/x?token=${ph}` })],
  ["JSON-escaped body", (ph) => ({
    method: "POST",
    body: `{"token":"${ph.replaceAll("_", "\\u005f")}"}`,
  })],
  ["Basic credential", (ph) => ({ headers: { authorization: `Basic ${btoa(`u:${ph}`)}` } })],
  ["base64 in a body", (ph) => ({ method: "POST", body: `blob=${btoa(`..${ph}..`)}` })],
];

for (const [name, make] of FORMS) {
  Deno.test(`placeholder toward a host it is not bound to is blocked (403), ${name}`, async () => {
    const { rig, ph, placeholder } = await placeholderRig();
    await using _ = rig;
    const init = make(placeholder, rig.up.port);
    const r = await fetch(`https://other.test:${rig.up.port}${init.url ?? "/x"}`, {
      ...init,
      client: rig.client,
    });
    equal(r.status, 403);
    equal(r.headers.get("x-zu-egress-refused"), "blocked_placeholder");
    await r.body?.cancel();
    equal(rig.up.requests.length, 0);
    ok(!containsBytes(rig.up.allBytes(), ph));
    const blocked = rig.uses.filter((u) => u.outcome === "blocked_placeholder");
    equal(blocked.length, 1);
    equal(blocked[0]!.secret, "PH");
    equal(blocked[0]!.host, "other.test");
    ok(typeof blocked[0]!.match_form === "string");
    equal(blocked[0]!.placeholder_sha256?.length, 12);
    ok(!rig.records().includes(ph) && !rig.records().includes(placeholder));
    ok(rig.logs.some((l) => l.event === "egress.credential.blocked"));
  });
}

Deno.test("cross-secret laundering: A's placeholder sent to B's bound host is not swapped, it is blocked", async () => {
  const { rig, ph, other, placeholder } = await placeholderRig();
  await using _ = rig;
  const bPlaceholder = rig.set.placeholderOf("OTHER")!;
  const r = await fetch(`https://other.test:${rig.up.port}/x`, {
    client: rig.client,
    headers: { authorization: `Bearer ${bPlaceholder}`, "x-smuggle": placeholder },
  });
  equal(r.status, 403);
  await r.body?.cancel();
  equal(rig.up.requests.length, 0);
  ok(!containsBytes(rig.up.allBytes(), ph) && !containsBytes(rig.up.allBytes(), other));
  ok(rig.uses.some((u) => u.outcome === "blocked_placeholder" && u.secret === "PH"));
  ok(!rig.uses.some((u) => u.outcome === "substituted"));
});

Deno.test("a placeholder split across writes and across chunk boundaries is still found", async () => {
  const { rig, ph, placeholder } = await placeholderRig();
  await using _ = rig;
  const half = Math.floor(placeholder.length / 2);
  // split across TLS writes in a header
  const t1 = await rawTunnel(rig.proxy.port, `other.test:${rig.up.port}`, "other.test");
  await writePieces(t1, [
    `GET /x HTTP/1.1\r\nHost: other.test:${rig.up.port}\r\nX-T: ${placeholder.slice(0, half)}`,
    `${placeholder.slice(half)}\r\n\r\n`,
  ]);
  equal((await readResponse(t1)).status, 403);
  t1.close();
  // chunked body, the placeholder cut across two chunks (and percent-encoded across them)
  const t2 = await rawTunnel(rig.proxy.port, `other.test:${rig.up.port}`, "other.test");
  const encoded = placeholder.replaceAll("_", "%5F");
  const a = encoded.slice(0, 9);
  const b = encoded.slice(9);
  await writePieces(t2, [
    `POST /x HTTP/1.1\r\nHost: other.test:${rig.up.port}\r\nTransfer-Encoding: chunked\r\n\r\n`,
    `${a.length.toString(16)}\r\n${a}\r\n`,
    `${b.length.toString(16)}\r\n${b}\r\n`,
    "0\r\n\r\n",
  ]);
  equal((await readResponse(t2)).status, 403);
  t2.close();
  equal(rig.up.requests.length, 0);
  ok(!containsBytes(rig.up.allBytes(), ph));
  equal(rig.uses.filter((u) => u.outcome === "blocked_placeholder").length, 2);
});

Deno.test("SNI mismatch: the tunnel is refused before TLS and nothing is injected", async () => {
  await using rig = await startRig({
    bindings: (
      port,
    ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
  });
  const value = canary("sni");
  rig.vault.values.set("GH", value);
  let failed = false;
  try {
    const t = await rawTunnel(rig.proxy.port, `api.test:${rig.up.port}`, "other.test");
    t.close();
  } catch {
    failed = true;
  }
  ok(failed);
  equal(rig.up.requests.length, 0);
  ok(rig.uses.some((u) => u.outcome === "blocked_host_mismatch" && u.method === "CONNECT"));
  equal(rig.resolves.length, 0);
  ok(!rig.records().includes(value));
});

Deno.test("Host mismatch inside the tunnel gets 421 and no injection (absolute form too)", async () => {
  await using rig = await startRig({
    bindings: (
      port,
    ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
  });
  const value = canary("host");
  rig.vault.values.set("GH", value);
  for (
    const req of [
      `GET /x HTTP/1.1\r\nHost: other.test:${rig.up.port}\r\n\r\n`,
      `GET https://other.test:${rig.up.port}/x HTTP/1.1\r\nHost: api.test:${rig.up.port}\r\n\r\n`,
      `GET /x HTTP/1.1\r\nHost: api.test:${rig.up.port}\r\nHost: other.test\r\n\r\n`,
      `GET /x HTTP/1.1\r\nHost: api.test\r\n\r\n`,
    ]
  ) {
    const t = await rawTunnel(rig.proxy.port, `api.test:${rig.up.port}`, "api.test");
    await writePieces(t, [req]);
    equal((await readResponse(t)).status, 421);
    t.close();
  }
  equal(rig.up.requests.length, 0);
  equal(rig.uses.filter((u) => u.outcome === "blocked_host_mismatch").length, 4);
  ok(!rig.records().includes(value));
});

Deno.test("an IP-literal CONNECT is not intercepted and carries no secret", async () => {
  await using rig = await startRig({
    bindings: (
      port,
    ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
  });
  const value = canary("ip");
  rig.vault.values.set("GH", value);
  const r = await fetch(`https://127.0.0.1:${rig.up.port}/x`, { client: rig.client });
  await r.body?.cancel();
  ok(!containsBytes(rig.up.allBytes(), value));
  equal(rig.uses.length, 0);
  equal(rig.resolves.length, 0);
});

for (const addr of ["127.0.0.1", "169.254.169.254"]) {
  Deno.test(`DNS rebinding of a bound host to ${addr} is refused before any secret is read`, async () => {
    await using rig = await startRig({
      bindings: (
        port,
      ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
      dns: { "api.test": [addr] },
      localOrigin: false,
    });
    const value = canary("dns");
    rig.vault.values.set("GH", value);
    let refused = false;
    try {
      const r = await fetch(`https://api.test:${rig.up.port}/x`, { client: rig.client });
      await r.body?.cancel();
    } catch {
      refused = true;
    }
    ok(refused);
    equal(rig.up.requests.length, 0);
    equal(rig.resolves.length, 0);
    ok(rig.proxy.connections().some((d) => d.reason === "blocked_resolution" && !d.allowed));
    ok(!rig.records().includes(value));
  });
}

Deno.test("echo endpoint: the real value reflected in headers and body never reaches the client", async () => {
  await using rig = await startRig({
    bindings: (
      port,
    ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
    upstream: {
      handler: (req) => {
        const auth = req.headers.find(([k]) => k === "authorization")?.[1] ?? "";
        const token = auth.replace("Bearer ", "");
        return {
          status: 200,
          headers: { "x-echo": auth, "content-type": "application/json" },
          body: JSON.stringify({
            headers: Object.fromEntries(req.headers),
            escaped: token.replaceAll("-", "\\u002d"),
            b64: btoa(`user:${token}`),
          }),
        };
      },
    },
  });
  const value = canary("echo");
  rig.vault.values.set("GH", value);
  const r = await fetch(`https://api.test:${rig.up.port}/headers`, { client: rig.client });
  const text = await r.text();
  const all = text + JSON.stringify([...r.headers]);
  ok(!all.includes(value));
  ok(!all.includes(value.replaceAll("-", "\\u002d")));
  ok(!atob(JSON.parse(text).b64).includes(value));
  ok(all.includes(rig.set.placeholderOf("GH")!));
  ok(rig.echoes.some((e) => e.where === "header" && e.secret === "GH"));
  ok(rig.echoes.some((e) => e.where === "body" && e.secret === "GH" && e.path === "/headers"));
  ok(!rig.records().includes(value));
});

Deno.test("TRACE gets 405 and goes nowhere", async () => {
  await using rig = await startRig({
    bindings: (
      port,
    ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
  });
  rig.vault.values.set("GH", canary("trace"));
  for (const m of ["TRACE", "TRACK"]) {
    const t = await rawTunnel(rig.proxy.port, `api.test:${rig.up.port}`, "api.test");
    await writePieces(t, [`${m} / HTTP/1.1\r\nHost: api.test:${rig.up.port}\r\n\r\n`]);
    equal((await readResponse(t)).status, 405);
    t.close();
  }
  equal(rig.up.requests.length, 0);
  equal(rig.uses.filter((u) => u.outcome === "blocked_method").length, 2);
});

Deno.test("redirect to another host: the followed request goes through an opaque tunnel with no secret", async () => {
  let secondPort = 0;
  await using rig = await startRig({
    bindings: (
      port,
    ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
    upstream: {
      handler: () => ({
        status: 302,
        headers: { location: `https://echo.test:${secondPort}/landed` },
      }),
    },
    second: { handler: () => ({ status: 200, body: "landed" }) },
  });
  secondPort = rig.second!.port;
  const value = canary("redirect");
  rig.vault.values.set("GH", value);
  const r = await fetch(`https://api.test:${rig.up.port}/start`, { client: rig.client });
  equal(r.status, 200);
  equal(await r.text(), "landed");
  equal(rig.up.requests[0]!.headers.find(([k]) => k === "authorization")![1], `Bearer ${value}`);
  equal(rig.second!.requests.length, 1);
  ok(!containsBytes(rig.second!.allBytes(), value));
  ok(!rig.second!.requests[0]!.headers.some(([k]) => k === "authorization"));
  equal(rig.uses.length, 1);
});

Deno.test("plain HTTP gets no injection unless the binding lists the port in plaintextPorts", async () => {
  for (const optIn of [false, true]) {
    await using rig = await startRig({
      bindings: (port) => [{
        secret: "GH",
        mode: "inject",
        hosts: ["api.test"],
        headers: [AUTH("GH")],
        ...(optIn ? { plaintextPorts: [port] } : {}),
      }],
      upstream: { tls: false },
    });
    const value = canary("plain");
    rig.vault.values.set("GH", value);
    const r = await fetch(`http://api.test:${rig.up.port}/p?x=1`, {
      client: rig.client,
      headers: { authorization: "Bearer mine" },
    });
    equal(r.status, 200);
    await r.body?.cancel();
    equal(rig.up.requests.length, 1);
    const auth = rig.up.requests[0]!.headers.find(([k]) => k === "authorization")![1];
    equal(auth, optIn ? `Bearer ${value}` : "Bearer mine");
    equal(containsBytes(rig.up.allBytes(), value), optIn);
    equal(rig.uses.length, optIn ? 1 : 0);
    ok(!rig.records().includes(value));
  }
});

Deno.test("a client offering h2 negotiates http/1.1 on the intercepted leg and injection works", async () => {
  await using rig = await startRig({
    bindings: (
      port,
    ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
  });
  const value = canary("h2");
  rig.vault.values.set("GH", value);
  const t = await rawTunnel(rig.proxy.port, `api.test:${rig.up.port}`, "api.test", [
    "h2",
    "http/1.1",
  ]);
  equal((await t.handshake()).alpnProtocol, "http/1.1");
  await writePieces(t, [
    `GET /h HTTP/1.1\r\nHost: api.test:${rig.up.port}\r\nProxy-Authorization: Basic eHl6\r\n\r\n`,
  ]);
  const r = await readResponse(t);
  t.close();
  equal(r.status, 200);
  equal(rig.up.requests[0]!.headers.find(([k]) => k === "authorization")![1], `Bearer ${value}`);
  ok(!rig.up.requests[0]!.headers.some(([k]) => k === "proxy-authorization"));
});

Deno.test("a gzip body with a placeholder is forwarded as is (not substituted) without a crash", async () => {
  const { rig, ph, placeholder } = await placeholderRig();
  await using _ = rig;
  const gz = new Uint8Array(
    await new Response(
      new Blob([`{"t":"${placeholder}"}`]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );
  const r1 = await fetch(`https://api.test:${rig.up.port}/gz`, {
    method: "POST",
    client: rig.client,
    headers: { "content-encoding": "gzip", authorization: `Bearer ${placeholder}` },
    body: gz,
  });
  equal(r1.status, 200);
  await r1.body?.cancel();
  // claimed gzip whose bytes carry the placeholder in clear: scanned raw, still not substituted
  const r2 = await fetch(`https://api.test:${rig.up.port}/gz2`, {
    method: "POST",
    client: rig.client,
    headers: { "content-encoding": "gzip" },
    body: `t=${placeholder}`,
  });
  equal(r2.status, 200);
  await r2.body?.cancel();
  equal(rig.up.requests.length, 2);
  equal(rig.up.requests[0]!.body.length, gz.length);
  ok(containsBytes(rig.up.requests[1]!.body, placeholder));
  ok(!containsBytes(rig.up.requests[1]!.body, ph));
  ok(rig.uses.some((u) => u.outcome === "no_binding" && u.path === "/gz2" && u.secret === "PH"));
  // and toward another host, the clear one is found and blocked
  const r3 = await fetch(`https://other.test:${rig.up.port}/gz`, {
    method: "POST",
    client: rig.client,
    headers: { "content-encoding": "gzip" },
    body: `t=${placeholder}`,
  });
  equal(r3.status, 403);
  await r3.body?.cancel();
  equal(rig.up.requests.length, 2);
});

Deno.test("rotation mid-tunnel: the next request on the same tunnel carries the new value, same placeholder", async () => {
  const { rig, ph, placeholder } = await placeholderRig();
  await using _ = rig;
  const t = await rawTunnel(rig.proxy.port, `api.test:${rig.up.port}`, "api.test");
  const req =
    `GET /r HTTP/1.1\r\nHost: api.test:${rig.up.port}\r\nAuthorization: Bearer ${placeholder}\r\n\r\n`;
  await writePieces(t, [req]);
  equal((await readResponse(t)).status, 200);
  const rotated = canary("rotated");
  rig.vault.values.set("PH", rotated);
  await writePieces(t, [req]);
  equal((await readResponse(t)).status, 200);
  t.close();
  equal(rig.up.requests.length, 2);
  equal(rig.up.requests[0]!.headers.find(([k]) => k === "authorization")![1], `Bearer ${ph}`);
  equal(rig.up.requests[1]!.headers.find(([k]) => k === "authorization")![1], `Bearer ${rotated}`);
  equal(rig.set.placeholderOf("PH"), placeholder);
  ok(!rig.records().includes(ph) && !rig.records().includes(rotated));
});

Deno.test("auth-protect: a login/token endpoint on a wildcard-bound host is denied; bound explicitly, it passes", async () => {
  const endpoints = [{ host: "login.bound.test", path: "/oauth/token" }];
  for (const explicit of [false, true]) {
    await using rig = await startRig({
      bindings: (port) => [{
        secret: "GH",
        mode: "inject",
        hosts: explicit ? [`login.bound.test:${port}`] : [`*.bound.test:${port}`],
        headers: [AUTH("GH")],
      }],
      allow: (port) => [`*.bound.test:${port}`],
      extra: { authEndpoints: endpoints },
    });
    const value = canary("auth");
    rig.vault.values.set("GH", value);
    const r = await fetch(`https://login.bound.test:${rig.up.port}/OAuth//token/?grant=x`, {
      method: "POST",
      client: rig.client,
      body: "grant_type=device_code",
    });
    equal(r.status, explicit ? 200 : 403);
    await r.body?.cancel();
    equal(rig.up.requests.length, explicit ? 1 : 0);
    if (!explicit) {
      ok(rig.uses.some((u) => u.outcome === "blocked_auth_endpoint" && u.status === 403));
      const other = await fetch(`https://login.bound.test:${rig.up.port}/api`, {
        client: rig.client,
      });
      equal(other.status, 200);
      await other.body?.cancel();
    }
  }
});

Deno.test("block-and-terminate calls onTerminate on a violation", async () => {
  await using rig = await startRig({
    bindings: twoSecrets,
    extra: { violation: "block-and-terminate" },
  });
  rig.vault.values.set("PH", canary("a"));
  rig.vault.values.set("OTHER", canary("b"));
  const placeholder = rig.set.add("PH");
  const r = await fetch(`https://other.test:${rig.up.port}/x`, {
    client: rig.client,
    headers: { "x-t": placeholder },
  });
  equal(r.status, 403);
  await r.body?.cancel();
  equal(rig.terminated, 1);
  equal(rig.logs.filter((l) => l.event === "egress.credential.blocked").length, 0);
});

Deno.test("echo endpoint that gzips anyway: the echo is inflated, redacted and sent plain", async () => {
  await using rig = await startRig({
    bindings: (
      port,
    ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
    upstream: {
      handler: async (req) => {
        const echo = JSON.stringify(Object.fromEntries(req.headers));
        const gz = new Uint8Array(
          await new Response(new Blob([echo]).stream().pipeThrough(new CompressionStream("gzip")))
            .arrayBuffer(),
        );
        return { status: 200, headers: { "content-encoding": "gzip" }, body: gz };
      },
    },
  });
  const value = canary("gzecho");
  rig.vault.values.set("GH", value);
  const r = await fetch(`https://api.test:${rig.up.port}/headers`, {
    client: rig.client,
    headers: { "accept-encoding": "gzip, br" },
  });
  const text = await r.text();
  ok(!text.includes(value));
  ok(text.includes(rig.set.placeholderOf("GH")!));
  equal(rig.up.requests[0]!.headers.find(([k]) => k === "accept-encoding")![1], "identity");
  ok(rig.echoes.some((e) => e.where === "body"));
});

Deno.test("an upstream that drops its idle keep-alive connection: the next request goes on a fresh one", async () => {
  const { TEST_LEAF_PEM, TEST_LEAF_KEY } = await import("../../../testing/recording_upstream.ts");
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: TEST_LEAF_PEM,
    key: TEST_LEAF_KEY,
    alpnProtocols: ["http/1.1"],
  });
  const port = (listener.addr as Deno.NetAddr).port;
  const seen: string[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      const buf = new Uint8Array(65536);
      let text = "";
      while (!text.includes("\r\n\r\n")) {
        const n = await conn.read(buf).catch(() => null);
        if (n === null) break;
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      seen.push(text);
      await conn.write(new TextEncoder().encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"))
        .catch(() => {});
      conn.close(); // no "Connection: close": a keep-alive the server then drops
    }
  })();
  const value = canary("stale");
  await using rig = await startRig({
    bindings:
      () => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
    allow: () => [`api.test:${port}`],
    extra: { localOrigins: [`127.0.0.1:${port}`] },
  });
  rig.vault.values.set("GH", value);
  const t = await rawTunnel(rig.proxy.port, `api.test:${port}`, "api.test");
  const req = `GET /s HTTP/1.1\r\nHost: api.test:${port}\r\n\r\n`;
  await writePieces(t, [req]);
  equal((await readResponse(t)).status, 200);
  await writePieces(t, [req]);
  equal((await readResponse(t)).status, 200);
  t.close();
  listener.close();
  await serving.catch(() => {});
  equal(seen.length, 2);
  ok(
    seen.every((s) =>
      s.includes(`authorization: Bearer ${value}`) || s.includes(`Authorization: Bearer ${value}`)
    ),
  );
});

Deno.test("limits: a CONNECT past maxTunnels gets 503", async () => {
  await using rig = await startRig({
    bindings: (
      port,
    ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
    extra: { maxTunnels: 1, handshakeTimeoutMs: 300 },
  });
  rig.vault.values.set("GH", canary("limits"));
  const first = await rawTunnel(rig.proxy.port, `api.test:${rig.up.port}`, "api.test");
  let refused = "";
  try {
    (await rawTunnel(rig.proxy.port, `api.test:${rig.up.port}`, "api.test")).close();
  } catch (e) {
    refused = String((e as Error).message);
  }
  ok(refused.includes("503"), refused);
  first.close();
  equal(rig.up.requests.length, 0);
});

Deno.test("limits: a silent tunnel is closed at the handshake deadline", async () => {
  await using rig = await startRig({
    bindings: (
      port,
    ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
    extra: { handshakeTimeoutMs: 300 },
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: rig.proxy.port });
  await conn.write(
    new TextEncoder().encode(`CONNECT api.test:${rig.up.port} HTTP/1.1\r\nHost: x\r\n\r\n`),
  );
  const buf = new Uint8Array(256);
  const n = await conn.read(buf);
  ok(n !== null && new TextDecoder().decode(buf.subarray(0, n)).startsWith("HTTP/1.1 200"));
  const end = await conn.read(new Uint8Array(16)).catch(() => null);
  equal(end, null);
  conn.close();
  equal(rig.up.requests.length, 0);
});

Deno.test("limits: a TLS termination that never finishes ends the tunnel at the handshake deadline", async () => {
  await using rig = await startRig({
    bindings: (
      port,
    ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
    extra: { handshakeTimeoutMs: 200, terminate: () => new Promise(() => {}) },
  });
  let failed = false;
  try {
    (await rawTunnel(rig.proxy.port, `api.test:${rig.up.port}`, "api.test")).close();
  } catch {
    failed = true;
  }
  ok(failed);
  equal(rig.up.requests.length, 0);
  equal(rig.resolves.length, 0);
});

Deno.test("ambiguous framing (Content-Length with chunked) gets 400 and a body over the cap 413; upstream gets nothing", async () => {
  await using rig = await startRig({
    bindings: (
      port,
    ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
    extra: { maxBodyBytes: 10 },
  });
  rig.vault.values.set("GH", canary("framing"));
  const host = `api.test:${rig.up.port}`;
  for (
    const [req, status] of [
      [
        `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
        400,
      ],
      [`POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 11\r\n\r\nhello world`, 413],
      [`GET / HTTP/2.0\r\nHost: ${host}\r\n\r\n`, 400],
    ] as const
  ) {
    const t = await rawTunnel(rig.proxy.port, host, "api.test");
    await writePieces(t, [req]);
    equal((await readResponse(t)).status, status);
    t.close();
  }
  equal(rig.up.requests.length, 0);
  equal(rig.uses.length, 0);
});

Deno.test("a CONNECT host and Host header in another case with a trailing dot are the same host", async () => {
  await using rig = await startRig({
    bindings: (
      port,
    ) => [{ secret: "GH", mode: "inject", hosts: [`api.test:${port}`], headers: [AUTH("GH")] }],
  });
  const value = canary("case");
  rig.vault.values.set("GH", value);
  const t = await rawTunnel(rig.proxy.port, `API.Test.:${rig.up.port}`, "api.test");
  await writePieces(t, [`GET /c HTTP/1.1\r\nHost: Api.TEST.:${rig.up.port}\r\n\r\n`]);
  equal((await readResponse(t)).status, 200);
  t.close();
  equal(rig.up.requests[0]!.headers.find(([k]) => k === "authorization")![1], `Bearer ${value}`);
  equal(rig.uses[0]!.host, "api.test");
});
