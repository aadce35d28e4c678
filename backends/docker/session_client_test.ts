// The host client against the real agent as a local process (no Docker): results, timeouts,
// cancel, and a lost agent failing the calls in flight with SessionLost, promptly.
import assert from "node:assert/strict";
import { localSession } from "./_local_session.ts";
import { SessionClient, SessionLost, type SessionTransport } from "./session_client.ts";
import { encodeFrame } from "./session_agent/frames.ts";
import { compileSetsidHelper } from "./setsid_helper.ts";

const hasSh = (() => {
  try {
    return Deno.statSync("/bin/sh").isFile;
  } catch {
    return false;
  }
})();

async function resultsTimeoutCancelLost(setsid?: string): Promise<void> {
  {
    const { session, child } = await localSession(setsid ? { setsid } : {});
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
  }
}

Deno.test({
  name: "SessionClient: results, stdin, a timeout, a cancel and a lost agent (forking spawn)",
  ignore: !hasSh,
  fn: () => resultsTimeoutCancelLost(),
});

Deno.test({
  name: "SessionClient: the same through the zu-setsid helper (skipped without gcc -static)",
  ignore: !hasSh,
  fn: async (t) => {
    const helper = await compileSetsidHelper();
    if (!helper) {
      console.log("skipped: cannot compile zu-setsid here (no gcc -static)");
      return;
    }
    try {
      await resultsTimeoutCancelLost(helper.path);
      await t.step("a command runs in its own session, its tree is killed on timeout", async () => {
        const { session, child } = await localSession({ setsid: helper.path });
        try {
          // Field 6 of /proc/self/stat is the session id; the shell is the helper's pid.
          const own = await session.run({ sh: 'set -- $(cat /proc/$$/stat); echo "$$ $6"' });
          const [pid, sid] = own.stdout.trim().split(" ");
          assert.equal(sid, pid);
          const marker = `zu-setsid-test-${crypto.randomUUID()}`;
          const r = await session.run({
            sh: `sleep 30 & sh -c "sleep 31; : ${marker}" & echo started; wait`,
            timeoutMs: 300,
          });
          assert.equal(r.stdout, "started\n");
          assert.equal(r.timedOut, true);
          const left = await new Deno.Command("pgrep", { args: ["-f", marker] }).output();
          assert.equal(
            new TextDecoder().decode(left.stdout).trim(),
            "",
            "a child outlived the kill",
          );
          const missing = await session.run({ argv: ["no-such-program-zu"] });
          assert.equal(missing.exitCode, 127);
          assert.match(missing.stderr, /cannot run "no-such-program-zu"/);
        } finally {
          await session.close();
          await child.status;
        }
      });
    } finally {
      await helper.remove();
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
