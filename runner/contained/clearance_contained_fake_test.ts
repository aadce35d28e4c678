import { deepEqual, equal, ok } from "node:assert/strict";
import { newEvent } from "../../core/events.ts";
import type { AgentLauncher, LaunchOutcome, LaunchRequest } from "../../core/types.ts";
import type { ClearancePending } from "../../core/types.ts";
import { MemorySink } from "../../sinks/memory/mod.ts";
import { remoteClearanceGate } from "../../backends/egress/clearance/remote_gate.ts";
import type { ClearanceAnswer } from "../../backends/egress/clearance/clearance_answer.ts";
import { openRunClearance } from "../clearance/run_clearance.ts";
import { type LauncherWiring, runSandboxed } from "./run_contained.ts";

// runSandboxed's clearance wiring without Docker: a launcher that plays the sidecar, asking the
// host over the clearance.sock it was handed.

const JAIL = { tools: [{ name: "http_fetch", egress: ["*"] }], target: "https://shop.example/" };

const ANSWER = {
  result: { status: "success", value: { ok: true }, reason: null },
  task: "t",
  task_id: "t-1",
  model: null,
  replayed_track: false,
};

/** Plays a task start, then asks the host's desk like the sidecar would. */
class SidecarPlayer implements AgentLauncher {
  answer: ClearanceAnswer | null = null;
  socketPath: string | null = null;
  constructor(private wiring: LauncherWiring) {}
  async run(request: LaunchRequest): Promise<LaunchOutcome> {
    await this.wiring.sink.append(newEvent({ task_id: "t-1", type: "harness.task.started" }));
    const c = this.wiring.hostSockets?.clearance;
    if (c) {
      this.socketPath = `${this.wiring.hostSockets!.dir}/${c.name}`;
      const gate = remoteClearanceGate(this.socketPath, { timeoutMs: c.timeoutMs });
      this.answer = await gate.request({
        run_id: "forged-in-the-box",
        host: "new.test",
        port: 443,
        scheme: "https",
      });
      gate.close();
    }
    this.wiring.onAgentLine?.({ zu_jail: "result", result: ANSWER });
    return {
      exitCode: 0,
      timedOut: false,
      events: 1,
      rejectedEvents: 0,
      proxyDecisions: [],
      allowlist: [...request.allowlist],
      proxyFlags: [],
      network: "zu-net-fake",
      stderr: "",
      durationMs: 0,
    };
  }
}

async function withAgentDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu_contained_clr_" });
  await Deno.writeTextFile(`${dir}/agent.yaml`, "provider: {name: scripted}\n");
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a contained run serves clearance.sock to its sidecar, names the run by its task and stores the desk's reports as events", async () => {
  await withAgentDir(async (dir) => {
    const sink = new MemorySink();
    await using clearance = await openRunClearance({ holdMs: 30_000, dbPath: null });
    let player: SidecarPlayer | null = null;
    const pendings: ClearancePending[] = [];
    const run = await runSandboxed(dir, {
      sink,
      timeoutMs: 60_000,
      jail: { ...JAIL, agentDir: dir },
      env: () => undefined,
      startBroker: null,
      clearance,
      onEvent: (e) => {
        if (e.type !== "harness.egress.pending") return;
        const p = e.payload as unknown as ClearancePending;
        pendings.push(p);
        void clearance.desk.verdict({ ...p, action: "allow", actor: "op" });
      },
      launcher: (wiring) => player = new SidecarPlayer(wiring),
    });
    equal(run.result.result.status, "success");
    equal(player!.answer?.decision, "allow");
    equal(pendings.length, 1);
    equal(pendings[0]!.run_id, "t-1", "the host names the run by its task, not the box");
    equal(clearance.runId(), "t-1");
    deepEqual(
      run.events.map((e) => `${e.type}@${e.task_id}`),
      [
        "harness.task.started@t-1",
        "harness.egress.pending@t-1",
        "harness.egress.clearance@t-1",
      ],
    );
    equal(run.events[2]!.payload.outcome, "forwarded");
    ok(run.perms.flags.includes("--allow-net"), "the in-box jail is widened");
    // The socket and its directory are gone once the run ended.
    ok(player!.socketPath);
    let exists = true;
    try {
      await Deno.stat(player!.socketPath!);
    } catch {
      exists = false;
    }
    equal(exists, false);
  });
});

Deno.test("with the hold off a contained run gets no clearance socket and no widened grant", async () => {
  await withAgentDir(async (dir) => {
    await using clearance = await openRunClearance({ holdMs: "off", dbPath: null });
    let player: SidecarPlayer | null = null;
    const run = await runSandboxed(dir, {
      sink: new MemorySink(),
      timeoutMs: 60_000,
      jail: { ...JAIL, agentDir: dir },
      env: () => undefined,
      startBroker: null,
      clearance,
      launcher: (wiring) => player = new SidecarPlayer(wiring),
    });
    equal(player!.socketPath, null);
    equal(player!.answer, null);
    ok(!run.perms.flags.includes("--allow-net"));
    ok(run.perms.flags.some((f) => f.startsWith("--allow-net=shop.example")));
  });
});
