import assert from "node:assert/strict";
import fc from "fast-check";
import { CappedCollector, FrameDemuxer, LineSplitter } from "./exec_stream.ts";
import { concatBytes as concat } from "../../core/bytes.ts";

function frame(stream: number, text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + payload.length);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, payload.length);
  out.set(payload, 8);
  return out;
}

Deno.test("FrameDemuxer separates stdout and stderr however the chunks are cut", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(1, 2), fc.string({ maxLength: 40 })), { maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
      (frames, cuts) => {
        const bytes = concat(frames.map(([s, t]) => frame(s, t)));
        const got: Record<number, string> = { 1: "", 2: "" };
        const demux = new FrameDemuxer((s, p) => (got[s] += new TextDecoder().decode(p)));
        let at = 0;
        let i = 0;
        while (at < bytes.length) {
          const n = cuts[i++ % cuts.length]!;
          demux.push(bytes.subarray(at, at + n));
          at += n;
        }
        assert.equal(got[1], frames.filter(([s]) => s === 1).map(([, t]) => t).join(""));
        assert.equal(got[2], frames.filter(([s]) => s === 2).map(([, t]) => t).join(""));
        assert.equal(demux.pendingBytes, 0);
      },
    ),
  );
});

Deno.test("CappedCollector keeps the first bytes and says it cut", () => {
  const c = new CappedCollector(5);
  c.push(new TextEncoder().encode("abc"));
  assert.equal(c.truncated, false);
  c.push(new TextEncoder().encode("defgh"));
  c.push(new TextEncoder().encode("ij"));
  assert.equal(c.text(), "abcde");
  assert.equal(c.truncated, true);
  assert.equal(c.totalBytes, 10);
  assert.throws(() => new CappedCollector(-1), RangeError);
});

Deno.test("LineSplitter yields whole lines across chunks and multi-byte characters", () => {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l));
  const bytes = new TextEncoder().encode('{"a":"é"}\r\n{"b":2}\npartial');
  for (const b of bytes) s.push(new Uint8Array([b]));
  assert.deepEqual(lines, ['{"a":"é"}', '{"b":2}']);
});
