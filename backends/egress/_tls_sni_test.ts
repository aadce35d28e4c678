import assert from "node:assert/strict";
import {
  MAX_CLIENT_HELLO_BYTES,
  MAX_HELLO_RECORDS,
  MAX_TUNNEL_START_BYTES,
  readClientHello,
} from "./_tls_sni.ts";
import { clientHello, tlsRecords } from "./_test_util.ts";

const reasonOf = (b: Uint8Array) => {
  const r = readClientHello(b);
  return r.state === "refused" ? r.reason : r.state;
};

Deno.test("readClientHello reads the SNI from a ClientHello in one record", () => {
  assert.deepEqual(readClientHello(tlsRecords(clientHello("API.Example.com"))), {
    state: "done",
    sni: "api.example.com",
  });
});

Deno.test("readClientHello reassembles a ClientHello split across several records", () => {
  const hello = clientHello("a.test");
  assert.deepEqual(readClientHello(tlsRecords(hello, [3, 1, 40])), {
    state: "done",
    sni: "a.test",
  });
  const oneByteRecords = tlsRecords(hello, Array(MAX_HELLO_RECORDS - 1).fill(1));
  assert.deepEqual(readClientHello(oneByteRecords), { state: "done", sni: "a.test" });
});

Deno.test("readClientHello needs more bytes at every cut of a fragmented ClientHello", () => {
  const bytes = tlsRecords(clientHello("a.test"), [10, 10, 10]);
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.equal(reasonOf(bytes.subarray(0, cut)), "need_more", `cut at ${cut}`);
  }
  assert.equal(reasonOf(bytes), "done");
});

Deno.test("readClientHello reads a large ClientHello up to the bound and refuses beyond it", () => {
  const big = clientHello("a.test", { padding: MAX_CLIENT_HELLO_BYTES - 200 });
  assert.ok(big.length <= MAX_CLIENT_HELLO_BYTES);
  assert.equal(reasonOf(tlsRecords(big, [8000, 8000])), "done");
  const tooBig = clientHello("a.test", { padding: MAX_CLIENT_HELLO_BYTES });
  assert.equal(reasonOf(tlsRecords(tooBig, [16000])), "client_hello_too_large");
  assert.ok(MAX_TUNNEL_START_BYTES >= MAX_CLIENT_HELLO_BYTES + 5 * MAX_HELLO_RECORDS);
});

Deno.test("readClientHello refuses a ClientHello split into more records than the bound", () => {
  const bytes = tlsRecords(clientHello("a.test"), Array(MAX_HELLO_RECORDS + 1).fill(1));
  assert.equal(reasonOf(bytes), "client_hello_too_large");
});

Deno.test("readClientHello reports no name for a ClientHello without server_name", () => {
  assert.deepEqual(readClientHello(tlsRecords(clientHello(null))), { state: "done", sni: null });
});

Deno.test("readClientHello refuses junk, other records and other handshakes", () => {
  const enc = (t: string) => new TextEncoder().encode(t);
  assert.equal(reasonOf(enc("GET / HTTP/1.1\r\n\r\n")), "not_tls");
  assert.equal(reasonOf(Uint8Array.from([0x16, 0x09])), "not_tls");
  // A record longer than 2^14, an empty record, a non-handshake record in the middle.
  assert.equal(reasonOf(Uint8Array.from([0x16, 3, 1, 0xff, 0xff])), "malformed_client_hello");
  assert.equal(reasonOf(Uint8Array.from([0x16, 3, 1, 0, 0])), "malformed_client_hello");
  const first = tlsRecords(clientHello("a.test").subarray(0, 10));
  const alert = Uint8Array.from([0x15, 3, 1, 0, 2, 2, 40]);
  assert.equal(reasonOf(Uint8Array.from([...first, ...alert])), "malformed_client_hello");
  // A ServerHello (type 2) where a ClientHello must be.
  const server = clientHello("a.test");
  server[0] = 2;
  assert.equal(reasonOf(tlsRecords(server)), "not_client_hello");
});

Deno.test("readClientHello refuses lengths that do not add up", () => {
  const hello = clientHello("a.test");
  // Claim a longer extensions block than the message holds: the message length stays right.
  const broken = hello.slice();
  const extLenAt = 4 + 2 + 32 + 1 + 32 + 2 + 2 + 2;
  broken[extLenAt + 1] = broken[extLenAt + 1]! + 1;
  assert.equal(reasonOf(tlsRecords(broken)), "malformed_client_hello");
  // A host_name that is not a DNS name.
  assert.equal(reasonOf(tlsRecords(clientHello("a b.test"))), "malformed_client_hello");
});
