import assert from "node:assert/strict";
import { gzipSync as nodeGzip } from "node:zlib";
import { SecurityBlock, ZuError } from "../../core/errors.ts";
import type { RunContext } from "../../core/types.ts";
import { type DialTarget, HttpFetch, type HttpFetchOptions } from "./http_fetch.ts";

const CTX = {} as RunContext;

function gzipSync(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(nodeGzip(bytes));
}
const PUBLIC_A = "93.184.216.34";
const PUBLIC_B = "93.184.216.35";
const CERT = await Deno.readTextFile(new URL("./testdata/shop_test_cert.pem", import.meta.url));
const KEY = await Deno.readTextFile(new URL("./testdata/shop_test_key.pem", import.meta.url));

interface Origin extends AsyncDisposable {
  port: number;
  hosts: string[];
  paths: string[];
}

/** A real origin server on 127.0.0.1 (http, or https with the shop.test certificate). */
function origin(handler: (req: Request) => Response | Promise<Response>, tls = false): Origin {
  const hosts: string[] = [];
  const paths: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...(tls ? { cert: CERT, key: KEY } : {}) },
    (req) => {
      hosts.push(req.headers.get("host") ?? "");
      paths.push(new URL(req.url).pathname);
      return handler(req);
    },
  );
  return {
    port: server.addr.port,
    hosts,
    paths,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** Resolver over a fixed table that records every question. */
function resolver(table: Record<string, string[]>) {
  const calls: string[] = [];
  const fn = (host: string): Promise<string[]> => {
    calls.push(host);
    const answer = table[host];
    return answer ? Promise.resolve(answer) : Promise.reject(new Error(`NXDOMAIN "${host}"`));
  };
  return Object.assign(fn, { calls });
}

/**
 * Dialer that sends the pinned public test addresses to the loopback origin and records what it
 * was asked to dial. Any other address throws, so nothing ever leaves 127.0.0.1.
 */
function dialer(port: number, allowed: string[] = [PUBLIC_A, PUBLIC_B]) {
  const dialed: DialTarget[] = [];
  const fn = (pinned: DialTarget): DialTarget => {
    dialed.push(pinned);
    if (!allowed.includes(pinned.ip)) throw new Error(`test dialer refused "${pinned.ip}"`);
    return { ip: "127.0.0.1", port };
  };
  return Object.assign(fn, { dialed });
}

async function blocked(
  promise: Promise<unknown>,
  kind: string,
): Promise<SecurityBlock> {
  const err = await promise.then(() => null, (e: unknown) => e);
  assert.ok(err instanceof SecurityBlock, `expected a SecurityBlock, got ${String(err)}`);
  assert.equal(err.kind, kind, err.message);
  return err;
}

Deno.test("HttpFetch declares zu's tier, capabilities, egress and schema", () => {
  const tool = new HttpFetch();
  assert.equal(tool.name, "http_fetch");
  assert.equal(tool.tier, 1);
  assert.deepEqual([...tool.capabilities], ["net"]);
  assert.deepEqual([...tool.egress], ["*"]);
  assert.equal(tool.schema.name, "http_fetch");
  assert.deepEqual(tool.schema.parameters["required"], ["url"]);
  assert.match(tool.prompt_fragment, /http_fetch\(url\)/);
});

Deno.test("HttpFetch dials the pinned address and keeps the name in Host", async () => {
  await using server = origin(() =>
    new Response("<h1>Shop</h1>", { headers: { "content-type": "text/html" } })
  );
  const dns = resolver({ "shop.test": [PUBLIC_A] });
  const dial = dialer(server.port);
  const tool = new HttpFetch({ resolver: dns, dialer: dial });
  const obs = await tool.call(CTX, { url: "http://Shop.Test./item?id=7" });
  assert.deepEqual(obs, { status: 200, html: "<h1>Shop</h1>", url: "http://shop.test./item?id=7" });
  assert.deepEqual(dns.calls, ["shop.test"]);
  assert.deepEqual(dial.dialed, [{ ip: PUBLIC_A, port: 80 }]);
  assert.deepEqual(server.hosts, ["shop.test."]);
  assert.deepEqual(server.paths, ["/item"]);
});

Deno.test("HttpFetch over https verifies the certificate against the name, not the pinned address", async () => {
  await using server = origin((req) => new Response(`secure ${req.headers.get("host")}`), true);
  const dns = resolver({
    "shop.test": [PUBLIC_A],
    "www.shop.test": [PUBLIC_A],
    "other.test": [PUBLIC_A],
  });
  const dial = dialer(server.port);
  const tool = new HttpFetch({ resolver: dns, dialer: dial, caCerts: [CERT] });
  const obs = await tool.call(CTX, { url: "https://shop.test/" });
  assert.equal(obs["status"], 200);
  assert.equal(obs["html"], "secure shop.test");
  assert.equal(
    (await tool.call(CTX, { url: "https://www.shop.test/" }))["html"],
    "secure www.shop.test",
  );
  assert.deepEqual(dial.dialed, [{ ip: PUBLIC_A, port: 443 }, { ip: PUBLIC_A, port: 443 }]);
  // Same socket target, wrong name: the certificate does not cover other.test.
  await assert.rejects(tool.call(CTX, { url: "https://other.test/" }), /other\.test/);
  // Without the test root, the self-signed certificate is not trusted at all.
  const strict = new HttpFetch({ resolver: dns, dialer: dial });
  await assert.rejects(strict.call(CTX, { url: "https://shop.test/" }));
});

Deno.test("HttpFetch resolves once per hop, so a rebinding resolver cannot switch the address after the check", async () => {
  await using server = origin(() => new Response("first answer"));
  let calls = 0;
  const rebinding = (_host: string): Promise<string[]> => {
    calls++;
    return Promise.resolve(calls === 1 ? [PUBLIC_A] : ["127.0.0.1"]);
  };
  const dial = dialer(server.port);
  const tool = new HttpFetch({ resolver: rebinding, dialer: dial });
  assert.equal((await tool.call(CTX, { url: "http://shop.test/" }))["html"], "first answer");
  assert.equal(calls, 1);
  assert.deepEqual(dial.dialed, [{ ip: PUBLIC_A, port: 80 }]);
  // The next call resolves again and is refused on the new answer.
  await blocked(tool.call(CTX, { url: "http://shop.test/" }), "ssrf");
  assert.equal(dial.dialed.length, 1);
});

Deno.test("HttpFetch over https strips a trailing dot from SNI", async () => {
  await using server = origin(() => new Response("dotted"), true);
  const tool = new HttpFetch({
    resolver: resolver({ "shop.test": [PUBLIC_A] }),
    dialer: dialer(server.port),
    caCerts: [CERT],
  });
  assert.equal((await tool.call(CTX, { url: "https://shop.test./" }))["html"], "dotted");
});

Deno.test("HttpFetch times out while the resolver hangs", async () => {
  const { promise: never, resolve } = Promise.withResolvers<string[]>();
  const tool = new HttpFetch({ resolver: () => never, dialer: dialer(1), timeoutMs: 200 });
  const err = await tool.call(CTX, { url: "http://shop.test/" }).catch((e) => e);
  resolve([]);
  assert.equal(err.code, "fetch_timeout");
});

Deno.test("HttpFetch decompresses gzip and decodes the declared charset", async () => {
  await using server = origin(() =>
    new Response(gzipSync(new TextEncoder().encode("caf\u00e9 <b>4,20 \u20ac</b>")), {
      headers: { "content-encoding": "gzip", "content-type": "text/html; charset=utf-8" },
    })
  );
  const tool = new HttpFetch({
    resolver: resolver({ "shop.test": [PUBLIC_A] }),
    dialer: dialer(server.port),
  });
  const obs = await tool.call(CTX, { url: "http://shop.test/" });
  assert.equal(obs["html"], "caf\u00e9 <b>4,20 \u20ac</b>");
});

Deno.test("HttpFetch returns an error status as an observation", async () => {
  await using server = origin(() => new Response("gone", { status: 404 }));
  const tool = new HttpFetch({
    resolver: resolver({ "shop.test": [PUBLIC_A] }),
    dialer: dialer(server.port),
  });
  assert.deepEqual(await tool.call(CTX, { url: "http://shop.test/x" }), {
    status: 404,
    html: "gone",
    url: "http://shop.test/x",
  });
});

const ENCODED_INTERNAL_URLS = [
  "http://127.0.0.1/",
  "http://2130706433/",
  "http://0x7f000001/",
  "http://0177.0.0.01/",
  "http://0x7f.1/",
  "http://127.1/",
  "http://127.0.1/",
  "http://[::1]/",
  "http://[::ffff:127.0.0.1]/",
  "http://[::ffff:7f00:1]/",
  "http://[64:ff9b::127.0.0.1]/",
  "http://[2002:7f00:1::]/",
  "http://0.0.0.0:8080/",
  "http://10.0.0.5/",
  "http://012.0.0.5/",
  "http://169.254.169.254/latest/meta-data/",
  "http://0xa9fea9fe/",
  "http://2852039166/",
  "http://[::ffff:a9fe:a9fe]/",
  "http://[fd00:ec2::254]/",
  "http://100.100.100.200/",
  "http://192.168.1.1/",
  "https://localhost/",
  "http://metadata.google.internal/",
];

for (const url of ENCODED_INTERNAL_URLS) {
  Deno.test(`HttpFetch refuses ${url} before any DNS or socket`, async () => {
    const dns = resolver({});
    const dial = dialer(1);
    const tool = new HttpFetch({ resolver: dns, dialer: dial });
    await blocked(tool.call(CTX, { url }), "ssrf");
    assert.deepEqual(dns.calls, []);
    assert.deepEqual(dial.dialed, []);
  });
}

Deno.test("HttpFetch refuses a URL with an IPv6 zone id, which no URL parser accepts", async () => {
  const dns = resolver({});
  await blocked(
    new HttpFetch({ resolver: dns }).call(CTX, { url: "http://[fe80::1%25eth0]/" }),
    "fetch_blocked",
  );
  assert.deepEqual(dns.calls, []);
});

for (const inside of ["10.0.0.5", "127.0.0.1", "169.254.169.254", "::1", "::ffff:10.0.0.5"]) {
  Deno.test(`HttpFetch refuses a DNS answer that points inside (${inside})`, async () => {
    const dns = resolver({ "rebind.test": [PUBLIC_A, inside] });
    const dial = dialer(1);
    const tool = new HttpFetch({ resolver: dns, dialer: dial });
    const err = await blocked(tool.call(CTX, { url: "http://rebind.test/" }), "ssrf");
    assert.equal(err.target, "rebind.test");
    assert.deepEqual(dial.dialed, []);
  });
}

Deno.test("HttpFetch never dials loopback even with allowPrivate and allowCidrs", async () => {
  const dial = dialer(1);
  const tool = new HttpFetch({
    resolver: resolver({ "shop.test": ["127.0.0.1"] }),
    dialer: dial,
    allowPrivate: true,
    allowCidrs: ["127.0.0.0/8"],
  });
  await blocked(tool.call(CTX, { url: "http://shop.test/" }), "ssrf");
  assert.deepEqual(dial.dialed, []);
});

Deno.test("HttpFetch lets a named private CIDR through with allowCidrs", async () => {
  await using server = origin(() => new Response("intranet"));
  const dial = dialer(server.port, ["10.20.0.7"]);
  const tool = new HttpFetch({
    resolver: resolver({ "wiki.corp.test": ["10.20.0.7"] }),
    dialer: dial,
    allowCidrs: ["10.20.0.0/16"],
  });
  assert.equal((await tool.call(CTX, { url: "http://wiki.corp.test/" }))["html"], "intranet");
  assert.deepEqual(dial.dialed, [{ ip: "10.20.0.7", port: 80 }]);
});

Deno.test("HttpFetch follows a redirect by hand and re-resolves the new host", async () => {
  await using server = origin((req) => {
    const url = new URL(req.url);
    if (url.pathname === "/old") {
      return new Response(null, { status: 301, headers: { location: "http://cdn.shop.test/new" } });
    }
    return new Response(`at ${req.headers.get("host")}${url.pathname}`);
  });
  const dns = resolver({ "shop.test": [PUBLIC_A], "cdn.shop.test": [PUBLIC_B] });
  const dial = dialer(server.port);
  const tool = new HttpFetch({ resolver: dns, dialer: dial });
  const obs = await tool.call(CTX, { url: "http://shop.test/old" });
  assert.deepEqual(obs, {
    status: 200,
    html: "at cdn.shop.test/new",
    url: "http://cdn.shop.test/new",
  });
  assert.deepEqual(dns.calls, ["shop.test", "cdn.shop.test"]);
  assert.deepEqual(dial.dialed.map((d) => d.ip), [PUBLIC_A, PUBLIC_B]);
});

for (
  const location of [
    "http://169.254.169.254/latest/meta-data/",
    "http://0x7f.1:8080/admin",
    "http://inside.test/",
  ]
) {
  Deno.test(`HttpFetch refuses a redirect to an internal address at the hop (${location})`, async () => {
    await using server = origin(() => new Response(null, { status: 302, headers: { location } }));
    const dns = resolver({ "shop.test": [PUBLIC_A], "inside.test": ["10.0.0.5"] });
    const dial = dialer(server.port);
    const tool = new HttpFetch({ resolver: dns, dialer: dial });
    await blocked(tool.call(CTX, { url: "http://shop.test/" }), "ssrf");
    assert.equal(dial.dialed.length, 1);
    assert.equal(server.paths.length, 1);
  });
}

Deno.test("HttpFetch refuses a redirect to a host outside allowed_domains", async () => {
  await using server = origin(() =>
    new Response(null, { status: 302, headers: { location: "http://evil.test/" } })
  );
  const dns = resolver({ "shop.test": [PUBLIC_A], "evil.test": [PUBLIC_B] });
  const tool = new HttpFetch({
    resolver: dns,
    dialer: dialer(server.port),
    allowedDomains: ["shop.test"],
  });
  await blocked(tool.call(CTX, { url: "http://shop.test/" }), "off_allowlist");
  assert.deepEqual(dns.calls, ["shop.test"]);
});

function redirectChain(length: number): (req: Request) => Response {
  return (req) => {
    const n = Number(new URL(req.url).pathname.slice(1) || "0");
    if (n < length) return new Response(null, { status: 307, headers: { location: `/${n + 1}` } });
    return new Response(`end ${n}`);
  };
}

Deno.test("HttpFetch follows exactly 5 redirects", async () => {
  await using server = origin(redirectChain(5));
  const tool = new HttpFetch({
    resolver: resolver({ "shop.test": [PUBLIC_A] }),
    dialer: dialer(server.port),
  });
  const obs = await tool.call(CTX, { url: "http://shop.test/0" });
  assert.deepEqual(obs, { status: 200, html: "end 5", url: "http://shop.test/5" });
  assert.equal(server.paths.length, 6);
});

Deno.test("HttpFetch refuses a sixth redirect", async () => {
  await using server = origin(redirectChain(6));
  const tool = new HttpFetch({
    resolver: resolver({ "shop.test": [PUBLIC_A] }),
    dialer: dialer(server.port),
  });
  const err = await blocked(tool.call(CTX, { url: "http://shop.test/0" }), "fetch_blocked");
  assert.match(err.message, /more than 5 redirects/);
  assert.equal(server.paths.length, 6);
});

Deno.test("HttpFetch refuses a body over 5,000,000 bytes by default", async () => {
  const big = "x".repeat(5_000_001);
  await using server = origin((req) =>
    new Response(new URL(req.url).pathname === "/big" ? big : big.slice(1))
  );
  const tool = new HttpFetch({
    resolver: resolver({ "shop.test": [PUBLIC_A] }),
    dialer: dialer(server.port),
  });
  assert.equal(
    ((await tool.call(CTX, { url: "http://shop.test/ok" }))["html"] as string).length,
    5_000_000,
  );
  await blocked(tool.call(CTX, { url: "http://shop.test/big" }), "oversized");
});

Deno.test("HttpFetch counts decompressed bytes, so a gzip bomb is refused", async () => {
  const bomb = gzipSync(new Uint8Array(2_000_000));
  assert.ok(bomb.byteLength < 10_000);
  await using server = origin(() =>
    new Response(bomb, { headers: { "content-encoding": "gzip" } })
  );
  const tool = new HttpFetch({
    resolver: resolver({ "shop.test": [PUBLIC_A] }),
    dialer: dialer(server.port),
    maxBytes: 1_000_000,
  });
  await blocked(tool.call(CTX, { url: "http://shop.test/" }), "oversized");
});

Deno.test("HttpFetch refuses a streamed body without Content-Length once it passes the cap", async () => {
  await using server = origin(() => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 50) return controller.close();
        sent++;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    return new Response(body);
  });
  const tool = new HttpFetch({
    resolver: resolver({ "shop.test": [PUBLIC_A] }),
    dialer: dialer(server.port),
    maxBytes: 100_000,
  });
  await blocked(tool.call(CTX, { url: "http://shop.test/" }), "oversized");
});

Deno.test("HttpFetch times out on an origin that never answers", async () => {
  const { promise: release, resolve } = Promise.withResolvers<void>();
  await using server = origin(async () => {
    await release;
    return new Response("late");
  });
  const tool = new HttpFetch({
    resolver: resolver({ "shop.test": [PUBLIC_A] }),
    dialer: dialer(server.port),
    timeoutMs: 300,
  });
  const started = performance.now();
  const err = await tool.call(CTX, { url: "http://shop.test/" }).catch((e) => e);
  resolve();
  assert.ok(err instanceof ZuError, String(err));
  assert.equal(err.code, "fetch_timeout");
  assert.ok(performance.now() - started < 5_000);
});

Deno.test("HttpFetch stops when the run's signal aborts", async () => {
  const { promise: release, resolve } = Promise.withResolvers<void>();
  const { promise: arrived, resolve: onArrive } = Promise.withResolvers<void>();
  await using server = origin(async () => {
    onArrive();
    await release;
    return new Response("late");
  });
  const tool = new HttpFetch({
    resolver: resolver({ "shop.test": [PUBLIC_A] }),
    dialer: dialer(server.port),
  });
  const controller = new AbortController();
  const call = tool.call({ signal: controller.signal } as RunContext, { url: "http://shop.test/" });
  await arrived;
  controller.abort(new Error("run cancelled"));
  await assert.rejects(call, /run cancelled/);
  resolve();
});

Deno.test("HttpFetch falls back to the next checked address when one refuses connections", async () => {
  await using server = origin(() => new Response("second"));
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = probe.addr.port;
  probe.close();
  const dial = Object.assign(
    (pinned: DialTarget): DialTarget => {
      dial.dialed.push(pinned);
      return { ip: "127.0.0.1", port: pinned.ip === PUBLIC_A ? closedPort : server.port };
    },
    { dialed: [] as DialTarget[] },
  );
  const tool = new HttpFetch({
    resolver: resolver({ "shop.test": [PUBLIC_A, PUBLIC_B] }),
    dialer: dial,
  });
  assert.equal((await tool.call(CTX, { url: "http://shop.test/" }))["html"], "second");
  assert.deepEqual(dial.dialed.map((d) => d.ip), [PUBLIC_A, PUBLIC_B]);
});

for (
  const url of [
    "file:///etc/passwd",
    "ftp://shop.test/",
    "javascript:alert(1)",
    "gopher://shop.test/",
    "not a url",
  ]
) {
  Deno.test(`HttpFetch refuses ${JSON.stringify(url)} (http and https only)`, async () => {
    const dns = resolver({});
    await blocked(new HttpFetch({ resolver: dns }).call(CTX, { url }), "fetch_blocked");
    assert.deepEqual(dns.calls, []);
  });
}

Deno.test("HttpFetch refuses a URL that carries credentials", async () => {
  await blocked(new HttpFetch().call(CTX, { url: "http://user:pw@shop.test/" }), "fetch_blocked");
});

Deno.test("HttpFetch applies allowed_domains with wildcards before resolving", async () => {
  const dns = resolver({});
  const tool = new HttpFetch({ resolver: dns, allowedDomains: ["*.shop.test", "SHOP.TEST."] });
  await blocked(tool.call(CTX, { url: "http://evil.test/" }), "off_allowlist");
  await blocked(tool.call(CTX, { url: "http://shop.test.evil.test/" }), "off_allowlist");
  assert.deepEqual(dns.calls, []);
});

Deno.test("HttpFetch argument errors are TypeErrors", async () => {
  await assert.rejects(new HttpFetch().call(CTX, {}), TypeError);
  await assert.rejects(new HttpFetch().call(CTX, { url: 7 }), TypeError);
});

Deno.test("HttpFetch with a transport touches neither DNS nor sockets", async () => {
  const dns = resolver({});
  const dial = dialer(1);
  const seen: string[] = [];
  const options: HttpFetchOptions = {
    resolver: dns,
    dialer: dial,
    allowedDomains: ["shop.test"],
    maxBytes: 10,
    transport: (req) => {
      seen.push(`${req.method} ${req.url}`);
      return Promise.resolve({
        status: 200,
        body: req.url.endsWith("big") ? "x".repeat(11) : "ok",
      });
    },
  };
  const tool = new HttpFetch(options);
  assert.deepEqual(await tool.call(CTX, { url: "https://shop.test/a" }), {
    status: 200,
    html: "ok",
    url: "https://shop.test/a",
  });
  await blocked(tool.call(CTX, { url: "https://shop.test/big" }), "oversized");
  await blocked(tool.call(CTX, { url: "https://evil.test/" }), "off_allowlist");
  assert.deepEqual(seen, ["GET https://shop.test/a", "GET https://shop.test/big"]);
  assert.deepEqual(dns.calls, []);
  assert.deepEqual(dial.dialed, []);
});

Deno.test("HttpFetch in ZU_SANDBOXED mode still refuses internal literals and off-allowlist hosts", async () => {
  const env = (name: string) => (name === "ZU_SANDBOXED" ? "1" : undefined);
  const tool = new HttpFetch({ env, allowedDomains: ["shop.test", "127.0.0.1"] });
  await blocked(tool.call(CTX, { url: "http://evil.test/" }), "off_allowlist");
  await blocked(tool.call(CTX, { url: "http://127.0.0.1/" }), "ssrf");
});

async function sandboxedChild(
  proxyPort: number,
  url: string,
): Promise<{ code: number; stdout: unknown; stderr: string }> {
  const script = new URL("./testdata/sandboxed_fetch.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      `--allow-net=127.0.0.1:${proxyPort},shop.test,evil.test`,
      "--allow-env",
      "--allow-read",
      script.pathname,
      url,
    ],
    env: { ZU_SANDBOXED: "1", HTTP_PROXY: `http://127.0.0.1:${proxyPort}`, NO_PROXY: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  return { code: out.code, stdout: stdout.trim() ? JSON.parse(stdout) : null, stderr };
}

Deno.test("HttpFetch in ZU_SANDBOXED mode goes through the environment's proxy", async () => {
  const proxied: string[] = [];
  await using proxy = origin((req) => {
    proxied.push(req.url);
    return new Response(`via proxy ${new URL(req.url).pathname}`);
  });
  const out = await sandboxedChild(proxy.port, "http://shop.test/page");
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(out.stdout, {
    status: 200,
    html: "via proxy /page",
    url: "http://shop.test/page",
  });
  assert.deepEqual(proxied, ["http://shop.test/page"]);
});

Deno.test("HttpFetch in ZU_SANDBOXED mode checks every redirect hop before following it", async () => {
  const proxied: string[] = [];
  await using proxy = origin((req) => {
    proxied.push(req.url);
    return new Response(null, { status: 302, headers: { location: "http://evil.test/loot" } });
  });
  const out = await sandboxedChild(proxy.port, "http://shop.test/page");
  assert.equal(out.code, 1, out.stderr);
  assert.equal((out.stdout as { kind: string }).kind, "off_allowlist");
  assert.deepEqual(proxied, ["http://shop.test/page"]);
});

Deno.test("HttpFetch in ZU_SANDBOXED mode reports the proxy's DNS failure as dns_failed, not a block", async () => {
  await using proxy = origin(() =>
    new Response(null, { status: 502, headers: { "x-zu-egress-refused": "dns_failed" } })
  );
  const out = await sandboxedChild(proxy.port, "http://shop.test/page");
  assert.equal(out.code, 1, out.stderr);
  const { error, kind } = out.stdout as { error: string; kind: string | null };
  assert.equal(kind, null, "not a SecurityBlock");
  assert.match(
    error,
    /Cannot resolve host "shop\.test": the sandbox's egress proxy found no address/,
  );
});
