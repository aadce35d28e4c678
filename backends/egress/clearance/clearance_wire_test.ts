import assert from "node:assert/strict";
import {
  encodeFrame,
  FrameReader,
  MAX_FRAME_BYTES,
  parseWireAnswer,
  parseWireRequest,
  WireError,
} from "./clearance_wire.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** A raw frame with `body` (any bytes) behind its length. */
function raw(body: Uint8Array, len = body.length): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, len, false);
  out.set(body, 4);
  return out;
}

Deno.test("clearance wire: a request and an answer survive a round trip, split anywhere", () => {
  const req = { id: "r1", host: "new.test", port: 443, scheme: "https" as const, sni: "new.test" };
  const ans = { id: "r1", decision: "deny" as const, reason: "operator" as const, message: "no" };
  const bytes = new Uint8Array([...encodeFrame(req), ...encodeFrame(ans)]);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const r = new FrameReader();
    const bodies = [...r.push(bytes.subarray(0, cut)), ...r.push(bytes.subarray(cut))];
    assert.equal(bodies.length, 2);
    assert.deepEqual(parseWireRequest(bodies[0]!), req);
    assert.deepEqual(parseWireAnswer(bodies[1]!), ans);
    assert.equal(r.buffered, 0);
  }
  assert.deepEqual(parseWireAnswer(enc('{"id":"a","decision":"allow","request_id":"x-1"}')), {
    id: "a",
    decision: "allow",
    request_id: "x-1",
  });
});

Deno.test("clearance wire: an oversize or empty length is refused from the header alone", () => {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, MAX_FRAME_BYTES + 1, false);
  assert.throws(() => new FrameReader().push(header), WireError);
  assert.throws(() => new FrameReader().push(new Uint8Array(4)), WireError);
  new DataView(header.buffer).setUint32(0, 0xffffffff, false);
  assert.throws(() => new FrameReader().push(header), WireError);
  // The largest frame is accepted; one byte more is not sent.
  const ok = new FrameReader().push(raw(new Uint8Array(MAX_FRAME_BYTES).fill(0x20)));
  assert.equal(ok[0]!.length, MAX_FRAME_BYTES);
  assert.throws(
    () =>
      encodeFrame({
        id: "r1",
        host: "a".repeat(MAX_FRAME_BYTES),
        port: 1,
        scheme: "http",
      }),
    WireError,
  );
});

Deno.test("clearance wire: duplicate keys, unknown fields, null, nesting and bad types are refused", () => {
  const bad = [
    '{"id":"r1","host":"a.test","port":443,"scheme":"https","host":"b.test"}',
    '{"id":"r1","host":"a.test","port":443,"scheme":"https","run_id":"other"}',
    '{"id":"r1","host":"a.test","port":443,"scheme":"https","sni":null}',
    '{"id":"r1","host":"a.test","port":{"n":443},"scheme":"https"}',
    '{"id":"r1","host":"a.test","port":[443],"scheme":"https"}',
    '{"id":"r1","host":"a.test","port":true,"scheme":"https"}',
    '{"id":"r1","host":"a.test","port":"443","scheme":"https"}',
    '{"id":"r1","host":"a.test","port":443.5,"scheme":"https"}',
    '{"id":"r1","host":"a.test","port":4e2,"scheme":"https"}',
    '{"id":"r1","host":"a.test","port":0,"scheme":"https"}',
    '{"id":"r1","host":"a.test","port":65536,"scheme":"https"}',
    '{"id":"r1","host":"a.test","port":443,"scheme":"ftp"}',
    '{"id":"r1","host":"A.test\\u001b[31m","port":443,"scheme":"https"}',
    '{"id":"r 1","host":"a.test","port":443,"scheme":"https"}',
    '{"id":"r1","host":"a.test","port":443}',
    '{"id":"r1","host":"a.test","port":443,"scheme":"https"} x',
    '{"id":"r1","host":"a.test","port":443,"scheme":"https",}',
    '["r1"]',
    "null",
    "",
  ];
  for (const text of bad) {
    assert.throws(() => parseWireRequest(enc(text)), WireError, text);
  }
  assert.throws(() => parseWireRequest(new Uint8Array([0x7b, 0xff, 0x7d])), WireError);
  const badAnswers = [
    '{"id":"r1","decision":"allow","reason":"operator"}',
    '{"id":"r1","decision":"deny","reason":"because"}',
    '{"id":"r1","decision":"deny"}',
    '{"id":"r1","decision":"maybe"}',
    '{"id":"r1","decision":"deny","reason":"operator","message":"\\u001b[2J"}',
    '{"id":"r1","decision":"allow","request_id":null}',
    '{"id":"r1","decision":"allow","decision":"deny","reason":"operator"}',
    '{"id":"r1","decision":"allow","held":true}',
  ];
  for (const text of badAnswers) {
    assert.throws(() => parseWireAnswer(enc(text)), WireError, text);
  }
});
