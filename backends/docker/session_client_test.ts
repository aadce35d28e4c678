// The host client against the real agent as a local process (no Docker): results, timeouts,
// cancel, and a lost agent failing the calls in flight with SessionLost, promptly.
import assert from "node:assert/strict";
import { localSession } from "./_local_session.ts";
import { SessionClient, SessionLost, type SessionTransport } from "./session_client.ts";
import { encodeFrame } from "./session_agent/frames.ts";

const hasSh = (() => {
  try {
    return Deno.statSync("/bin/sh").isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "SessionClient: results, stdin, a timeout, a cancel and a lost agent",
  ignore: !hasSh,
  fn: async () => {
    const { session, child } = await localSession();
    try {
      const r = await session.run({ sh: "echo out; echo err >&2; exit 4" });
      assert.deepEqual([r.exitCode, r.stdout, r.stderr, r.timedOut], [4, "out\n", "err\n", false]);
      assert.equal((await session.run({ argv: ["cat"], stdin: "in" })).stdout, "in");
      const slow = await session.run({ argv: ["sleep", "30"], timeoutMs: 200 });
      assert.deepEqual([slow.timedOut, slow.signal, slow.exitCode], [true, "SIGKILL", null]);
      const ctl = new AbortController();
      const cancelled = session.run({ argv: ["sleep", "30"], signal: ctl.signal });
      ctl.abort();
      assert.equal((await cancelled).timedOut, true);
      const missing = await session.run({ argv: ["/no/such/program"] });
      assert.equal(missing.exitCode, 127);
      const inFlight = session.run({ argv: ["sleep", "30"] });
      const lost = assert.rejects(inFlight, SessionLost);
      const t0 = performance.now();
      child.kill("SIGKILL");
      await lost;
      assert.ok(performance.now() - t0 < 2000);
      assert.equal(session.alive, false);
    } finally {
      await session.close();
      await child.status;
    }
  },
});

Deno.test("SessionClient: a bad frame from the agent loses the session, no throw", async () => {
  let onData!: (b: Uint8Array) => void;
  let destroyed = false;
  const transport: SessionTransport = {
    write: () => {},
    destroy: () => void (destroyed = true),
    listen: (d) => void (onData = d),
  };
  const client = new SessionClient("fake", transport);
  onData(encodeFrame({ t: "hello", proto: 1, agent: "x", pid: 1 }));
  assert.equal(await client.ready(), 1);
  const call = client.run({ argv: ["x"] });
  onData(new TextEncoder().encode('\0\0\0\x05{"t":'));
  await assert.rejects(call, SessionLost);
  assert.equal(destroyed, true);
  assert.equal(client.alive, false);
});
