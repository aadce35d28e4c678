import { equal, ok } from "node:assert/strict";
import { redactHeaders, redactText, relayResponse, StreamRedactor } from "./response_redact.ts";
import { Http1Reader } from "./_http1.ts";
import type { ByteStream } from "./byte_stream.ts";

const VALUE = "zu-canary-0123456789abcdef";
const SECRETS = [{ name: "K", value: VALUE, replacement: "zu_ph_K_AAAAAAAAAAAAAAAAAAAAAA" }];
const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("redactText replaces the value as sent, percent-encoded, JSON-escaped and in base64", () => {
  for (
    const text of [
      `x ${VALUE} y`,
      `q=${VALUE.replaceAll("-", "%2D")}`,
      `{"v":"${VALUE.replaceAll("-", "\\u002d")}"}`,
    ]
  ) {
    const r = redactText(text, SECRETS);
    ok(!r.text.includes("0123456789abcdef"), text);
    equal(r.hits[0], "K");
  }
  for (const pre of ["", "a", "ab"]) {
    const r = redactText(btoa(`${pre}${VALUE}.`), SECRETS);
    ok(!atob(r.text).includes(VALUE), pre);
    ok(atob(r.text).includes("zu_ph_K_"), pre);
  }
  equal(redactText("nothing", SECRETS).hits.length, 0);
  equal(redactText("abc", [{ name: "S", value: "abc", replacement: "x" }]).text, "abc");
});

Deno.test("redactHeaders redacts every value and names the secrets found", () => {
  const r = redactHeaders([["X-Echo", `Bearer ${VALUE}`], ["Other", "1"]], SECRETS);
  equal(r.headers[0]![1], `Bearer ${SECRETS[0]!.replacement}`);
  equal(r.hits[0], "K");
});

Deno.test("StreamRedactor finds a value split at every byte, in every form, and loses no byte", () => {
  const body = `{"a":"${VALUE}","b":"${VALUE.replaceAll("-", "\\u002d")}",` +
    `"c":"${VALUE.replaceAll("-", "%2d")}","d":"${btoa(`u:${VALUE}`)}"}tail`;
  const want = redactText(body, SECRETS).text;
  ok(!want.includes("0123456789abcdef"));
  for (let cut = 1; cut < body.length; cut++) {
    for (const second of [cut, Math.min(body.length, cut + 5)]) {
      const r = new StreamRedactor(SECRETS);
      const parts = [
        r.push(enc.encode(body.slice(0, cut))),
        r.push(enc.encode(body.slice(cut, second))),
        r.push(enc.encode(body.slice(second))),
        r.end(),
      ];
      equal(parts.map((p) => dec.decode(p.bytes)).join(""), want, `cut ${cut}/${second}`);
      ok(r.hits.has("K"));
    }
  }
});

Deno.test("StreamRedactor holds back only what could still begin a value", () => {
  const r = new StreamRedactor(SECRETS);
  const event = 'data: {"delta":"hello"}\n\n';
  // at most an unfinished escape and a one-byte start of a form are held (not 8 × the value)
  const held = event.length - dec.decode(r.push(enc.encode(event)).bytes).length;
  ok(held >= 7 && held <= 9, `held ${held}`);
  const partial = r.push(enc.encode(`data: ${VALUE.slice(0, 12)}`));
  ok(!dec.decode(partial.bytes).includes(VALUE.slice(0, 12)));
  const rest = r.push(enc.encode(`${VALUE.slice(12)} done\n\n`));
  const out = dec.decode(partial.bytes) + dec.decode(rest.bytes) + dec.decode(r.end().bytes);
  ok(!out.includes(VALUE) && out.includes(SECRETS[0]!.replacement));
});

function pieces(chunks: string[]): ByteStream {
  const queue = chunks.map((c) => enc.encode(c));
  return {
    read: (p) => {
      const next = queue.shift();
      if (next === undefined) return Promise.resolve(null);
      p.set(next);
      return Promise.resolve(next.length);
    },
    write: (p) => Promise.resolve(p.length),
    close: () => {},
  };
}

function sink(): ByteStream & { text(): string } {
  const got: Uint8Array[] = [];
  return {
    read: () => Promise.resolve(null),
    write: (p) => {
      got.push(p.slice());
      return Promise.resolve(p.length);
    },
    close: () => {},
    text: () => got.map((g) => dec.decode(g)).join(""),
  };
}

async function relay(raw: string[], method = "GET") {
  const reader = new Http1Reader(pieces(raw));
  const head = (await reader.head(65536))!;
  const client = sink();
  const echoes: string[] = [];
  const r = await relayResponse(head, reader, client, {
    secrets: SECRETS,
    method,
    onEcho: (n, where) => echoes.push(`${n}:${where}`),
  });
  return { r, text: client.text(), echoes };
}

Deno.test("relayResponse re-frames a Content-Length body whose length changed", async () => {
  const body = `echo ${VALUE}`;
  const { r, text, echoes } = await relay([
    `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 9)}`,
    body.slice(9),
  ]);
  const out = `echo ${SECRETS[0]!.replacement}`;
  ok(text.includes(`Content-Length: ${out.length}\r\n`));
  ok(text.endsWith(`\r\n\r\n${out}`));
  ok(!text.includes(VALUE));
  equal(r.status, 200);
  ok(r.keepAlive);
  equal(echoes.join(), "K:body");
});

Deno.test("relayResponse redacts a chunked body across chunk boundaries and re-chunks it", async () => {
  const a = `x${VALUE.slice(0, 10)}`;
  const b = `${VALUE.slice(10)}y`;
  const { text, echoes } = await relay([
    `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-E: ${VALUE}\r\n\r\n`,
    `${a.length.toString(16)}\r\n${a}\r\n`,
    `${b.length.toString(16)}\r\n${b}\r\n0\r\n\r\n`,
  ]);
  ok(!text.includes(VALUE) && !text.includes(VALUE.slice(10)));
  const bodyStart = text.indexOf("\r\n\r\n") + 4;
  let data = "";
  let rest = text.slice(bodyStart);
  while (true) {
    const i = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, i), 16);
    if (size === 0) break;
    data += rest.slice(i + 2, i + 2 + size);
    rest = rest.slice(i + 2 + size + 2);
  }
  equal(data, `x${SECRETS[0]!.replacement}y`);
  equal(echoes.sort().join(), "K:body,K:header");
});

Deno.test("relayResponse: a body that only claims gzip is scanned raw; brotli is relayed as is", async () => {
  const body = `gz ${VALUE}`;
  const { text } = await relay([
    `HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  ]);
  ok(!text.includes(VALUE) && text.includes("Content-Encoding: gzip"));
  const br = await relay([
    `HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  ]);
  ok(br.text.endsWith(body));
});

Deno.test("relayResponse inflates a gzip echo, redacts it and sends it plain; a clean one as it came", async () => {
  const gzip = async (t: string) =>
    new Uint8Array(
      await new Response(new Blob([t]).stream().pipeThrough(new CompressionStream("gzip")))
        .arrayBuffer(),
    );
  const echoed = await gzip(`{"auth":"${VALUE}"}`);
  const raw = (h: string, b: Uint8Array) => {
    const hb = enc.encode(h);
    const all = new Uint8Array(hb.length + b.length);
    all.set(hb);
    all.set(b, hb.length);
    return all;
  };
  const run = async (b: Uint8Array) => {
    const stream = raw(
      `HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${b.length}\r\n\r\n`,
      b,
    );
    const r = new Http1Reader(pieces([]), stream);
    const head = (await r.head(65536))!;
    const client = sink();
    const echoes: string[] = [];
    await relayResponse(head, r, client, {
      secrets: SECRETS,
      method: "GET",
      onEcho: (n) => echoes.push(n),
    });
    return { text: client.text(), echoes };
  };
  const hit = await run(echoed);
  ok(!hit.text.includes(VALUE));
  ok(hit.text.endsWith(`{"auth":"${SECRETS[0]!.replacement}"}`));
  ok(!hit.text.toLowerCase().includes("content-encoding"));
  equal(hit.echoes.join(), "K");
  const clean = await gzip("nothing to see");
  const miss = await run(clean);
  ok(miss.text.includes("Content-Encoding: gzip"));
  equal(miss.echoes.length, 0);
});

Deno.test("relayResponse sends a HEAD response without a body and ends a close-delimited one", async () => {
  const head = await relay(["HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"], "HEAD");
  ok(head.text.includes("Content-Length: 99"));
  const closed = await relay([`HTTP/1.0 200 OK\r\n\r\nuntil ${VALUE} close`]);
  ok(!closed.r.keepAlive);
  ok(closed.text.endsWith(`until ${SECRETS[0]!.replacement} close`));
});

Deno.test("StreamRedactor equals redactText on random bodies cut at random points (seeded)", () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const forms = [
    (v: string) => v,
    (v: string) => v.replaceAll("-", "\\u002d"),
    (v: string) => v.replaceAll("-", "%2D").replace("c", "%63"),
    (v: string) => btoa(`ab${v}x`),
    (v: string) => encodeURIComponent(v.replaceAll("-", "\\u002d")),
  ];
  for (let it = 0; it < 300; it++) {
    let body = "";
    for (let k = 0; k < 4; k++) {
      body += "x".repeat(rand(30)) + "\\%u" + forms[rand(forms.length)]!(VALUE);
    }
    const r = new StreamRedactor(SECRETS);
    let out = "";
    for (let at = 0; at < body.length;) {
      const n = 1 + rand(12);
      out += dec.decode(r.push(enc.encode(body.slice(at, at + n))).bytes);
      at += n;
    }
    out += dec.decode(r.end().bytes);
    equal(out, redactText(body, SECRETS).text);
    ok(!out.includes("0123456789abcdef"), body);
  }
});
