// Strict framing of zu-session, with no Docker: the parser refuses every malformed frame, and a
// random fuzz of frames never crashes the agent nor the host client (each closes cleanly).
import assert from "node:assert/strict";
import {
  encodeFrame,
  FrameError,
  FrameReader,
  MAX_FRAME_BYTES,
  parseAgentFrame,
  parseHostFrame,
} from "./frames.ts";
import { serveSession } from "./main.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const framed = (body: Uint8Array) => {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
};

Deno.test("frames: a good run frame parses; every malformed body is a FrameError", () => {
  const ok = parseHostFrame(enc('{"t":"run","id":1,"argv":["id"],"timeout_ms":5,"max_output":9}'));
  assert.equal(ok.t, "run");
  const bad = [
    '{"t":"run","id":1,"id":2,"argv":["id"],"timeout_ms":5,"max_output":9}', // duplicate key
    '{"t":"nope","id":1}', // unknown type
    '{"t":"run","id":1,"argv":["id"],"timeout_ms":5,"max_output":9,"x":1}', // unknown field
    '{"t":"run","id":1,"timeout_ms":5,"max_output":9}', // neither argv nor sh
    '{"t":"run","id":1,"argv":["a"],"sh":"b","timeout_ms":5,"max_output":9}', // both
    '{"t":"run","id":1,"argv":[],"timeout_ms":5,"max_output":9}', // empty argv
    '{"t":"run","id":-1,"argv":["id"],"timeout_ms":5,"max_output":9}', // negative id
    '{"t":"run","id":"1","argv":["id"],"timeout_ms":5,"max_output":9}', // wrong type
    '{"t":"cancel","id":1} x', // trailing bytes
    "[1]",
    '{"t":"cancel","id":1',
    '{"t":"cancel","id":1,"env":{"a":{"b":{"c":{"d":{"e":{"f":{}}}}}}}}', // too deep
  ];
  for (const body of bad) assert.throws(() => parseHostFrame(enc(body)), FrameError, body);
  assert.throws(() => parseHostFrame(new Uint8Array([0x7b, 0xff, 0x7d])), FrameError); // bad UTF-8
  assert.throws(() => parseAgentFrame(enc('{"t":"run","id":1}')), FrameError); // host-only type
});

Deno.test("frames: the reader refuses an empty or oversize length and splits chunks", () => {
  const two = new Uint8Array([
    ...encodeFrame({ t: "ok", id: 1 }),
    ...encodeFrame({ t: "ok", id: 2 }),
  ]);
  const reader = new FrameReader();
  const bodies = [...reader.push(two.subarray(0, 5)), ...reader.push(two.subarray(5))];
  assert.equal(bodies.length, 2);
  assert.throws(() => new FrameReader().push(new Uint8Array([0, 0, 0, 0])), FrameError);
  const huge = new Uint8Array(4);
  new DataView(huge.buffer).setUint32(0, MAX_FRAME_BYTES + 1);
  assert.throws(() => new FrameReader().push(huge), FrameError);
  assert.throws(() =>
    encodeFrame({ t: "out", id: 1, stream: 1, data: "x".repeat(MAX_FRAME_BYTES) })
  );
});

const logged: string[] = [];

async function agentOn(input: Uint8Array[]): Promise<{ code: number; frames: unknown[] }> {
  const out: Uint8Array[] = [];
  const code = await serveSession(
    ReadableStream.from(input),
    new WritableStream({ write: (c) => void out.push(c) }),
    (line) => logged.push(line),
  );
  const reader = new FrameReader();
  const frames = out.flatMap((c) => reader.push(c)).map((b) => parseAgentFrame(b));
  return { code, frames };
}

Deno.test("zu-session agent: a bad frame closes the session with code 2, never a throw", async () => {
  const huge = new Uint8Array(4);
  new DataView(huge.buffer).setUint32(0, MAX_FRAME_BYTES + 1);
  const cases = [
    huge,
    framed(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])),
    framed(enc('{"t":"cancel","id":1,"id":1}')),
    framed(enc('{"t":"launch","id":1}')),
  ];
  for (const c of cases) {
    const { code, frames } = await agentOn([c]);
    assert.equal(code, 2);
    assert.deepEqual(frames.map((f) => (f as { t: string }).t), ["hello"]);
  }
  assert.match(logged.at(-1) ?? "", /unknown type "launch"/);
  // End of input closes cleanly too.
  assert.equal((await agentOn([])).code, 0);
});

Deno.test("zu-session agent: 300 random frames never crash it", async () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pieces = [
    '"t"',
    '"run"',
    '"id"',
    "1",
    ":",
    ",",
    "{",
    "}",
    "[",
    "]",
    '"argv"',
    "\\u0000",
    "é",
  ];
  for (let n = 0; n < 300; n++) {
    let body = "{";
    for (let k = 0; k < 1 + rnd() * 12; k++) body += pieces[Math.floor(rnd() * pieces.length)];
    const bytes = rnd() < 0.1 ? crypto.getRandomValues(new Uint8Array(8)) : enc(body);
    const { code } = await agentOn([framed(bytes)]);
    assert.ok(code === 0 || code === 2);
  }
});
