import assert from "node:assert/strict";
import { readTunnelStart } from "./_proxy_request.ts";
import { clientHello, tlsRecords } from "./_test_util.ts";

/** A reader that hands out `bytes` one byte per read, then EOF (or nothing, forever). */
function byteByByte(bytes: Uint8Array, then: "eof" | "hang" = "eof") {
  let at = 0;
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    read(p: Uint8Array): Promise<number | null> {
      reads++;
      if (at >= bytes.length) {
        return then === "eof" ? Promise.resolve(null) : new Promise<never>(() => {});
      }
      p[0] = bytes[at++]!;
      return Promise.resolve(1);
    },
  };
}

Deno.test("readTunnelStart reassembles a ClientHello delivered one byte per read", async () => {
  const hello = tlsRecords(clientHello("a.test"), [2, 3, 50]);
  const after = Uint8Array.of(0x17, 0x03, 0x03);
  const reader = byteByByte(Uint8Array.from([...hello.subarray(4), ...after]));
  const start = await readTunnelStart(reader, hello.subarray(0, 4), 1000);
  assert.deepEqual(start, { ok: true, bytes: hello, sni: "a.test" });
  assert.equal(reader.reads, hello.length - 4, "stops reading once the ClientHello is complete");
});

Deno.test("readTunnelStart gives up at its deadline when the ClientHello stops midway", async () => {
  const hello = tlsRecords(clientHello("a.test"));
  const start = await readTunnelStart(
    byteByByte(hello.subarray(0, 9), "hang"),
    new Uint8Array(),
    50,
  );
  assert.equal(start.ok, false);
  assert.equal(!start.ok && start.reason, "sni_timeout");
});

Deno.test("readTunnelStart refuses a stream that ends before the ClientHello does", async () => {
  const hello = tlsRecords(clientHello("a.test"));
  const start = await readTunnelStart(byteByByte(hello.subarray(0, 30)), new Uint8Array(), 1000);
  assert.equal(!start.ok && start.reason, "client_hello_truncated");
});
