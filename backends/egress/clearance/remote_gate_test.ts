import assert from "node:assert/strict";
import { ClearanceDesk } from "./clearance_desk.ts";
import type { ClearancePending } from "../../../core/types.ts";
import { serveClearanceSocket } from "./clearance_socket.ts";
import { remoteClearanceGate } from "./remote_gate.ts";
import { encodeFrame, FrameReader, parseWireAnswer } from "./clearance_wire.ts";

/** A real desk behind a real socket, the run fixed by the host as "host-run". */
async function rig(holdMs = 5000) {
  const dir = await Deno.makeTempDir({ prefix: "zu_clearance_sock_" });
  const waiting: ((p: ClearancePending) => void)[] = [];
  const pendings: ClearancePending[] = [];
  const desk = new ClearanceDesk({
    holdMs,
    onPending: (p) => {
      pendings.push(p);
      waiting.shift()?.(p);
    },
  });
  await desk.ready();
  const violations: string[] = [];
  const server = await serveClearanceSocket({
    path: `${dir}/clearance.sock`,
    gate: desk,
    runId: () => "host-run",
    onViolation: (m) => violations.push(m),
  });
  const nextPending = () => new Promise<ClearancePending>((r) => waiting.push(r));
  const close = async () => {
    await server.close();
    desk.close();
    await Deno.remove(dir, { recursive: true });
  };
  return { dir, desk, server, pendings, violations, nextPending, close };
}

const REQ = { run_id: "forged-by-sandbox", host: "new.test", port: 443, scheme: "https" };

Deno.test("remote gate: a held request is filed under the host's run and released by an allow", async () => {
  const r = await rig();
  const gate = remoteClearanceGate(r.server.path, { timeoutMs: 10_000 });
  try {
    const seen = r.nextPending();
    const answer = gate.request(REQ);
    const p = await seen;
    assert.equal(p.run_id, "host-run", "the run id comes from the host, not the request");
    assert.equal(p.host, "new.test");
    assert.equal(gate.inFlight(), 1);
    await r.desk.verdict({ ...p, action: "allow", actor: "op" });
    const a = await answer;
    assert.equal(a.decision, "allow");
    assert.equal(a.request_id, p.request_id);
    // A deny carries the desk's reason and a message the model can read.
    const seen2 = r.nextPending();
    const denied = gate.request({ ...REQ, host: "other.test" });
    const p2 = await seen2;
    await r.desk.verdict({ ...p2, action: "deny", actor: "op", reason: "not\x1b[31m today" });
    const d = await denied;
    assert.equal(d.decision, "deny");
    assert.ok(
      d.decision === "deny" && d.reason === "operator" && /not  ?\[31m today/.test(d.message),
    );
    assert.deepEqual(r.violations, []);
  } finally {
    gate.close();
    await r.close();
  }
});

Deno.test("remote gate: killing the socket denies every held request at once", async () => {
  const r = await rig(60_000);
  const gate = remoteClearanceGate(r.server.path, { timeoutMs: 60_000 });
  try {
    const seen = [r.nextPending(), r.nextPending(), r.nextPending()];
    const held = ["a.test", "b.test", "c.test"].map((host) => gate.request({ ...REQ, host }));
    await Promise.all(seen);
    const t0 = performance.now();
    await r.server.close();
    const answers = await Promise.all(held);
    assert.ok(performance.now() - t0 < 1000, "denied at once, not at a deadline");
    for (const a of answers) assert.ok(a.decision === "deny" && a.reason === "clearance_closed");
    // The next request finds the socket gone: denied too.
    const later = await gate.request({ ...REQ, host: "d.test" });
    assert.ok(later.decision === "deny" && later.reason === "clearance_closed");
  } finally {
    gate.close();
    await r.close();
  }
});

Deno.test("remote gate: no answer within timeoutMs is a deny; a missing socket is a deny", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_clearance_sock_" });
  const never = { request: () => new Promise<never>(() => {}) };
  const server = await serveClearanceSocket({
    path: `${dir}/c.sock`,
    gate: never,
    runId: () => "r",
  });
  const gate = remoteClearanceGate(`${dir}/c.sock`, { timeoutMs: 150 });
  const missing = remoteClearanceGate(`${dir}/missing.sock`, { timeoutMs: 150 });
  try {
    const a = await gate.request(REQ);
    assert.ok(a.decision === "deny" && a.reason === "clearance_timeout");
    const b = await missing.request(REQ);
    assert.ok(b.decision === "deny" && b.reason === "clearance_closed");
    // A host name the wire cannot carry is refused locally (the link stays up).
    const c = await gate.request({ ...REQ, host: "bad\x00host" });
    assert.ok(c.decision === "deny" && c.reason === "clearance_closed");
    assert.equal(server.links(), 1);
  } finally {
    gate.close();
    missing.close();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("clearance socket: a frame that breaks the protocol tears the link down, answering nothing held on it", async () => {
  const r = await rig(60_000);
  const conn = await Deno.connect({ transport: "unix", path: r.server.path });
  try {
    const seen = r.nextPending();
    await conn.write(encodeFrame({ id: "q1", host: "held.test", port: 443, scheme: "https" }));
    const p = await seen;
    assert.equal(p.run_id, "host-run");
    const dup = new TextEncoder().encode(
      '{"id":"q2","host":"x.test","port":443,"scheme":"https","host":"y.test"}',
    );
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, dup.length, false);
    await conn.write(new Uint8Array([...len, ...dup]));
    const reader = new FrameReader();
    const buf = new Uint8Array(1024);
    const got: unknown[] = [];
    let ended = false;
    for (let i = 0; i < 10; i++) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) {
        ended = true;
        break;
      }
      got.push(...reader.push(buf.subarray(0, n)).map(parseWireAnswer));
    }
    assert.ok(ended, "the host closed the link");
    assert.deepEqual(got, [], "nothing is answered on a torn link");
    assert.equal(r.violations.length, 1);
    assert.match(r.violations[0]!, /duplicate key/);
  } finally {
    conn.close();
    await r.close();
  }
});

Deno.test("remote gate: an answer that breaks the protocol denies everything held on the link", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_clearance_sock_" });
  const listener = Deno.listen({ transport: "unix", path: `${dir}/evil.sock` });
  const gate = remoteClearanceGate(`${dir}/evil.sock`, { timeoutMs: 60_000 });
  try {
    const held = [gate.request(REQ), gate.request({ ...REQ, host: "two.test" })];
    const conn = await listener.accept();
    const reader = new FrameReader();
    const buf = new Uint8Array(1024);
    let frames = 0;
    for (let i = 0; i < 10 && frames < 2; i++) {
      const n = await conn.read(buf);
      if (n === null) break;
      frames += reader.push(buf.subarray(0, n)).length;
    }
    assert.equal(frames, 2);
    // An allow for an id never asked: the gate tears the link down and denies both.
    await conn.write(encodeFrame({ id: "r999", decision: "allow" }));
    const answers = await Promise.all(held);
    for (const a of answers) assert.ok(a.decision === "deny" && a.reason === "clearance_closed");
    conn.close();
  } finally {
    gate.close();
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});
