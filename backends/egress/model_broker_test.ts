import { deepEqual, equal, match, ok } from "node:assert/strict";
import type { CredentialUse, SecretEcho, SecretResolver } from "../../core/types.ts";
import {
  containsBytes,
  type RecordedRequest,
  startRecordingUpstream,
  TEST_CA_PEM,
  type UpstreamAnswer,
} from "../../testing/recording_upstream.ts";
import { type BrokerRoute, startModelBroker } from "./model_broker.ts";
import { tokenHash } from "./phantom.ts";
import { REDACTED, redactingStream } from "./_broker_redact.ts";

const canary = () => `zu-canary-${crypto.randomUUID()}`;
const fixed = (value: string): SecretResolver => ({ resolve: () => Promise.resolve(value) });
const header = (r: RecordedRequest, name: string) => r.headers.find(([k]) => k === name)?.[1];

function route(port: number, extra: Partial<BrokerRoute> = {}): BrokerRoute {
  return {
    id: "openai",
    upstream: `http://127.0.0.1:${port}/v1`,
    secret: "OPENAI_API_KEY",
    authHeader: "authorization",
    ...extra,
  };
}

function model(key: string) {
  return (r: RecordedRequest): UpstreamAnswer =>
    header(r, "authorization") === `Bearer ${key}`
      ? { status: 200, headers: { "content-type": "application/json" }, body: '{"ok":true}' }
      : { status: 401, body: '{"error":"bad key"}' };
}

Deno.test("the model broker forwards a route with the real key and none of the client's credentials", async () => {
  const key = canary();
  await using up = await startRecordingUpstream({ tls: false, handler: model(key) });
  const uses: CredentialUse[] = [];
  await using broker = await startModelBroker({
    routes: [route(up.port)],
    resolver: fixed(key),
    localOrigins: [`127.0.0.1:${up.port}`],
    onCredential: (u) => uses.push(u),
  });
  match(broker.phantom, /^zu-phantom-[0-9a-f]{32}$/);
  const r = await fetch(`${broker.routeUrl("openai")}/chat/completions?x=1`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${broker.phantom}`,
      "x-api-key": "client-key",
      cookie: "session=client",
      connection: "x-private",
      "x-private": "hop",
      "content-type": "application/json",
    },
    body: '{"model":"m"}',
  });
  equal(r.status, 200);
  deepEqual(await r.json(), { ok: true });
  equal(up.requests.length, 1);
  const seen = up.requests[0]!;
  equal(seen.target, "/v1/chat/completions?x=1");
  equal(header(seen, "authorization"), `Bearer ${key}`);
  equal(seen.headers.filter(([k]) => k === "authorization").length, 1);
  for (const k of ["x-api-key", "cookie", "x-private"]) equal(header(seen, k), undefined, k);
  ok(!containsBytes(up.allBytes(), broker.phantom), "the phantom never reaches the upstream");
  equal(new TextDecoder().decode(seen.body), '{"model":"m"}');
  equal(uses.length, 1);
  const u = uses[0]!;
  deepEqual(
    { ...u, duration_ms: 0 },
    {
      secret: "OPENAI_API_KEY",
      mode: "route",
      host: "127.0.0.1",
      port: up.port,
      method: "POST",
      path: "/v1/chat/completions",
      status: 200,
      outcome: "routed",
      bytes_up: 13,
      bytes_down: 11,
      duration_ms: 0,
    },
  );
  ok(!JSON.stringify(uses).includes(key));
});

Deno.test("the model broker answers 401 to a wrong or missing phantom and logs only its hash prefix", async () => {
  const key = canary();
  await using up = await startRecordingUpstream({ tls: false, handler: model(key) });
  const uses: CredentialUse[] = [];
  await using broker = await startModelBroker({
    routes: [route(up.port, { id: "claude", authHeader: "x-api-key" })],
    resolver: fixed(key),
    localOrigins: [`127.0.0.1:${up.port}`],
    onCredential: (u) => uses.push(u),
  });
  // Flip the last hex digit so the wrong phantom differs from the real one whatever it ends in.
  const last = broker.phantom.slice(-1);
  const wrong = `${broker.phantom.slice(0, -1)}${last === "0" ? "1" : "0"}`;
  for (const headers of [{ "x-api-key": wrong }, { authorization: `Bearer ${key}` }, {}]) {
    const r = await fetch(`${broker.routeUrl("claude")}/v1/messages`, {
      method: "POST",
      headers,
      body: "{}",
    });
    equal(r.status, 401);
    const body = await r.json();
    match(body.error.message, /wrong or missing phantom/);
  }
  equal(up.requests.length, 0, "nothing reached the upstream");
  deepEqual(uses.map((u) => u.outcome), Array(3).fill("phantom_rejected"));
  equal(uses[0]!.placeholder_sha256, await tokenHash(wrong));
  match(uses[0]!.placeholder_sha256!, /^[0-9a-f]{12}$/);
  equal(uses[2]!.placeholder_sha256, undefined);
  ok(!JSON.stringify(uses).includes(key) && !JSON.stringify(uses).includes(wrong));
});

Deno.test("the model broker sends x-api-key routes the key as x-api-key", async () => {
  const key = canary();
  await using up = await startRecordingUpstream({ tls: false });
  await using broker = await startModelBroker({
    routes: [route(up.port, { authHeader: "x-api-key" })],
    resolver: fixed(key),
    localOrigins: [`127.0.0.1:${up.port}`],
  });
  const r = await fetch(`${broker.routeUrl("openai")}/messages`, {
    headers: { "x-api-key": broker.phantom },
  });
  equal(await r.text(), "ok");
  equal(header(up.requests[0]!, "x-api-key"), key);
  equal(header(up.requests[0]!, "authorization"), undefined);
});

Deno.test("the model broker refuses unknown routes, escapes from the base path and foreign loopback upstreams", async () => {
  const key = canary();
  await using up = await startRecordingUpstream({ tls: false });
  const uses: CredentialUse[] = [];
  await using broker = await startModelBroker({
    routes: [
      route(up.port),
      route(up.port, { id: "unlisted", upstream: `http://127.0.0.1:${up.port}/x` }),
    ],
    resolver: fixed(key),
    localOrigins: [`127.0.0.1:${up.port + 1}`],
    onCredential: (u) => uses.push(u),
  });
  const auth = { authorization: `Bearer ${broker.phantom}` };
  for (const path of ["/r/nope/x", "/r/openai/../../r2/x", "/r/openai/%2e%2e/admin", "/other"]) {
    const r = await fetch(`${broker.url}${path}`, { headers: auth });
    equal(r.status, 404, path);
    await r.body?.cancel();
  }
  const r = await fetch(`${broker.routeUrl("unlisted")}/y`, { headers: auth });
  equal(r.status, 502);
  const text = await r.text();
  match(text, /loopback/);
  ok(!text.includes(key));
  equal(up.requests.length, 0, "no request left the broker");
  deepEqual(uses.map((u) => [u.outcome, u.status]), [["upstream_error", 502]]);
});

Deno.test("the model broker follows a same-origin redirect with the key and a cross-origin one without it", async () => {
  const key = canary();
  await using other = await startRecordingUpstream({
    tls: false,
    handler: () => ({ body: "other" }),
  });
  await using up = await startRecordingUpstream({
    tls: false,
    handler: (r) =>
      r.target === "/v1/a"
        ? { status: 307, headers: { location: "/v1/b" } }
        : r.target === "/v1/b"
        ? { status: 302, headers: { location: `http://127.0.0.1:${other.port}/elsewhere` } }
        : { body: "?" },
  });
  const uses: CredentialUse[] = [];
  await using broker = await startModelBroker({
    routes: [route(up.port)],
    resolver: fixed(key),
    localOrigins: [`127.0.0.1:${up.port}`, `127.0.0.1:${other.port}`],
    onCredential: (u) => uses.push(u),
  });
  const r = await fetch(`${broker.routeUrl("openai")}/a`, {
    method: "POST",
    headers: { authorization: `Bearer ${broker.phantom}`, "content-type": "application/json" },
    body: '{"q":1}',
  });
  equal(await r.text(), "other");
  deepEqual(up.requests.map((q) => [q.method, q.target, header(q, "authorization")]), [
    ["POST", "/v1/a", `Bearer ${key}`],
    ["POST", "/v1/b", `Bearer ${key}`],
  ]);
  equal(new TextDecoder().decode(up.requests[1]!.body), '{"q":1}', "a 307 resends the body");
  equal(other.requests.length, 1);
  equal(other.requests[0]!.method, "GET", "a 302 after a POST becomes a GET");
  ok(!containsBytes(other.allBytes(), key), "the other origin never sees the key");
  ok(!containsBytes(other.allBytes(), broker.phantom), "nor the phantom");
  equal(uses.length, 1);
  equal(uses[0]!.status, 200);
});

Deno.test("the model broker stops after maxRedirects and hands the last redirect back", async () => {
  const key = canary();
  await using up = await startRecordingUpstream({
    tls: false,
    handler: () => ({ status: 302, headers: { location: "/v1/loop" } }),
  });
  await using broker = await startModelBroker({
    routes: [route(up.port)],
    resolver: fixed(key),
    localOrigins: [`127.0.0.1:${up.port}`],
    maxRedirects: 2,
  });
  const r = await fetch(`${broker.routeUrl("openai")}/loop`, {
    headers: { authorization: `Bearer ${broker.phantom}` },
    redirect: "manual",
  });
  equal(r.status, 302);
  await r.body?.cancel();
  equal(up.requests.length, 3);
});

Deno.test("the model broker resolves the key per request, so a rotation applies to the next one", async () => {
  const first = canary();
  const second = canary();
  let calls = 0;
  await using up = await startRecordingUpstream({ tls: false });
  await using broker = await startModelBroker({
    routes: [route(up.port)],
    resolver: { resolve: () => Promise.resolve(calls++ === 0 ? first : second) },
    localOrigins: [`127.0.0.1:${up.port}`],
  });
  for (let i = 0; i < 2; i++) {
    const r = await fetch(`${broker.routeUrl("openai")}/m`, {
      headers: { authorization: `Bearer ${broker.phantom}` },
    });
    await r.body?.cancel();
  }
  deepEqual(up.requests.map((q) => header(q, "authorization")), [
    `Bearer ${first}`,
    `Bearer ${second}`,
  ]);
});

Deno.test("the model broker redacts the real key an upstream echoes in headers and body", async () => {
  const key = canary();
  await using up = await startRecordingUpstream({
    tls: false,
    handler: (r) => ({
      headers: { "x-echo": header(r, "authorization") ?? "" },
      body: JSON.stringify({ headers: Object.fromEntries(r.headers) }),
    }),
  });
  const echoes: SecretEcho[] = [];
  await using broker = await startModelBroker({
    routes: [route(up.port)],
    resolver: fixed(key),
    localOrigins: [`127.0.0.1:${up.port}`],
    onEcho: (e) => echoes.push(e),
  });
  const r = await fetch(`${broker.routeUrl("openai")}/echo`, {
    headers: { authorization: `Bearer ${broker.phantom}` },
  });
  const text = await r.text();
  ok(!text.includes(key) && text.includes(REDACTED));
  equal(r.headers.get("x-echo"), `Bearer ${REDACTED}`);
  deepEqual(echoes.map((e) => e.where).sort(), ["body", "header"]);
  ok(!JSON.stringify(echoes).includes(key));
});

Deno.test("the model broker redacts a key echoed inside a gzip-compressed body", async () => {
  const key = canary();
  await using up = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const echoed = JSON.stringify({ seen: req.headers.get("authorization") });
    const gz = new Blob([echoed]).stream().pipeThrough(new CompressionStream("gzip"));
    return new Response(gz, { headers: { "content-encoding": "gzip" } });
  });
  const echoes: SecretEcho[] = [];
  await using broker = await startModelBroker({
    routes: [route(up.addr.port)],
    resolver: fixed(key),
    localOrigins: [`127.0.0.1:${up.addr.port}`],
    onEcho: (e) => echoes.push(e),
  });
  const r = await fetch(`${broker.routeUrl("openai")}/gz`, {
    headers: { authorization: `Bearer ${broker.phantom}`, "accept-encoding": "identity" },
  });
  equal(r.headers.get("content-encoding"), null, "the client gets the decoded body");
  deepEqual(await r.json(), { seen: `Bearer ${REDACTED}` });
  deepEqual(echoes.map((e) => e.where), ["body"]);
});

Deno.test("the model broker streams a server-sent event before the upstream has finished", async () => {
  const key = canary();
  const { promise: firstRead, resolve: readFirst } = Promise.withResolvers<void>();
  await using up = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    const body = new ReadableStream<Uint8Array>({
      async start(c) {
        c.enqueue(new TextEncoder().encode("data: one\n\n"));
        await firstRead;
        c.enqueue(new TextEncoder().encode("data: two\n\n"));
        c.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  await using broker = await startModelBroker({
    routes: [route(up.addr.port)],
    resolver: fixed(key),
    localOrigins: [`127.0.0.1:${up.addr.port}`],
  });
  const r = await fetch(`${broker.routeUrl("openai")}/stream`, {
    headers: { authorization: `Bearer ${broker.phantom}` },
  });
  const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
  equal((await reader.read()).value, "data: one\n\n");
  readFirst();
  let rest = "";
  for (let c = await reader.read(); !c.done; c = await reader.read()) rest += c.value;
  equal(rest, "data: two\n\n");
});

Deno.test("the model broker talks TLS to an upstream with its own CA, and serves a unix socket", async () => {
  const key = canary();
  await using up = await startRecordingUpstream({ tls: true, handler: model(key) });
  const path = await Deno.makeTempFile({ prefix: "zu_broker_", suffix: ".sock" });
  await Deno.remove(path);
  await using broker = await startModelBroker({
    routes: [route(up.port, { upstream: `https://127.0.0.1:${up.port}/v1` })],
    resolver: fixed(key),
    caCerts: [TEST_CA_PEM],
    localOrigins: [`127.0.0.1:${up.port}`],
    unixPath: path,
  });
  equal(broker.unixPath, path);
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path } });
  try {
    const r = await fetch(`${broker.routeUrl("openai", "http://zu-vault")}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${broker.phantom}` },
      body: "{}",
      client,
    });
    deepEqual(await r.json(), { ok: true });
  } finally {
    client.close();
  }
  equal(broker.routeUrl("x", "http://zu-vault/"), "http://zu-vault/r/x");
});

Deno.test("the model broker dials a plain-HTTP upstream name at the address that passed the check", async () => {
  const key = canary();
  await using up = await startRecordingUpstream({ tls: false, handler: model(key) });
  const asked: string[] = [];
  await using broker = await startModelBroker({
    routes: [route(up.port, { upstream: `http://model.test:${up.port}/v1` })],
    resolver: fixed(key),
    resolveHost: (h) => (asked.push(h), Promise.resolve(["127.0.0.1"])),
    localOrigins: [`127.0.0.1:${up.port}`],
  });
  const r = await fetch(`${broker.routeUrl("openai")}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${broker.phantom}` },
    body: "{}",
  });
  deepEqual(await r.json(), { ok: true }, "model.test has no DNS entry: only the pin reaches it");
  deepEqual(asked, ["model.test"]);
  equal(header(up.requests[0]!, "host"), `model.test:${up.port}`);
});

Deno.test("the model broker refuses an upstream name that resolves to a loopback address not listed", async () => {
  const key = canary();
  await using up = await startRecordingUpstream({ tls: false });
  await using broker = await startModelBroker({
    routes: [route(up.port, { upstream: `http://model.test:${up.port}/v1` })],
    resolver: fixed(key),
    resolveHost: () => Promise.resolve(["127.0.0.1"]),
  });
  const r = await fetch(`${broker.routeUrl("openai")}/m`, {
    headers: { authorization: `Bearer ${broker.phantom}` },
  });
  equal(r.status, 502);
  match(await r.text(), /resolves to \\"127\.0\.0\.1\\"/);
  equal(up.requests.length, 0);
});

Deno.test("a keyless route adds no credential, needs no phantom and relays the client's own", async () => {
  await using up = await startRecordingUpstream({ tls: false });
  await using broker = await startModelBroker({
    routes: [route(up.port, { secret: null })],
    resolver: { resolve: () => Promise.reject(new Error("never asked")) },
    localOrigins: [`127.0.0.1:${up.port}`],
  });
  const r = await fetch(`${broker.routeUrl("openai")}/m`, {
    headers: { authorization: "Bearer not-needed" },
  });
  equal(await r.text(), "ok");
  equal(header(up.requests[0]!, "authorization"), "Bearer not-needed");
  const bare = await fetch(`${broker.routeUrl("openai")}/m`, { headers: { cookie: "a=b" } });
  equal(await bare.text(), "ok");
  equal(header(up.requests[1]!, "authorization"), undefined);
  equal(header(up.requests[1]!, "cookie"), undefined);
});

Deno.test("a resolver failure becomes a 502 that names the route, not a value", async () => {
  await using up = await startRecordingUpstream({ tls: false });
  await using broker = await startModelBroker({
    routes: [route(up.port)],
    resolver: {
      resolve: () => Promise.reject(new Error('"OPENAI_API_KEY" is not set on the host')),
    },
    localOrigins: [`127.0.0.1:${up.port}`],
  });
  const r = await fetch(`${broker.routeUrl("openai")}/m`, {
    headers: { authorization: `Bearer ${broker.phantom}` },
  });
  equal(r.status, 502);
  match((await r.json()).error.message, /no key for route "openai": "OPENAI_API_KEY" is not set/);
  equal(up.requests.length, 0);
});

Deno.test("redactingStream replaces a secret split across chunks and holds back only a possible prefix", async () => {
  const secret = "sk-abcdef";
  let hits = 0;
  const chunks = ["data: x sk-ab", "cdef y sk-", "z sk"];
  const out: string[] = [];
  const stream = ReadableStream.from(chunks.map((c) => new TextEncoder().encode(c)))
    .pipeThrough(redactingStream(secret, () => hits++))
    .pipeThrough(new TextDecoderStream());
  for await (const c of stream) out.push(c);
  equal(out.join(""), `data: x ${REDACTED} y sk-z sk`);
  equal(out[0], "data: x ", "only the possible prefix was held");
  equal(hits, 1);
});
