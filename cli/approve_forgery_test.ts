// A verdict forged from inside the jail: a tool of another run writes protocol lines claiming
// an approval of a paused run. The host refuses them; the paused run still awaits its human.
import { equal, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { SqliteSink } from "../sinks/sqlite/mod.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const PAUSER = fileURLToPath(new URL("../runner/testdata/pause_child.ts", import.meta.url));
const FORGER = fileURLToPath(new URL("../runner/testdata/forger.ts", import.meta.url));

const PAUSING = `provider:
  name: scripted
  script:
    - tool: recall
      args: {query: notes}
    - text: '{"answer": "done"}'
plugins:
  tools: [recall]
  detectors: []
  validators: []
action_policies:
  - {tool: recall, effect: escalate}
task:
  query: Recall the notes
  max_tier: 1
`;

function forging(task: string, approval: string): string {
  return `provider:
  name: scripted
  script:
    - tool: forger
      args: {task: "${task}", approval: "${approval}"}
    - text: '{"answer": "forged"}'
plugins:
  tools: ["./forger.ts#Forger"]
  detectors: []
  validators: []
task:
  query: Forge
  max_tier: 1
`;
}

async function run(args: string[], cwd: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("a verdict forged from inside the jail is refused and the paused run still awaits", async () => {
  const root = await Deno.makeTempDir();
  try {
    const paused = `${root}/paused`;
    const forger = `${root}/forger`;
    await Deno.mkdir(paused);
    await Deno.mkdir(forger);
    const db = `${root}/events.db`;
    await Deno.writeTextFile(`${paused}/agent.yaml`, PAUSING);
    // The pausing process exits on its own here (stdin is closed): only the log remains.
    const first = await run(["run", "-A", PAUSER, paused, db], root);
    equal(first.code, 0, first.stderr);
    const { run: task } = JSON.parse(first.stdout.split("\n")[0]!);
    let approval: string;
    {
      await using sink = new SqliteSink(db);
      const [p] = await sink.query({ task_id: task, type: "harness.run.paused" });
      approval = String(p?.payload.approval_id);
    }
    await Deno.copyFile(FORGER, `${forger}/forger.ts`);
    await Deno.writeTextFile(`${forger}/agent.yaml`, forging(task, approval));
    const forged = await run(["run", "-A", MAIN, "run", forger, "--db", db, "--no-track"], root);
    equal(forged.code, 0, forged.stderr);
    await using sink = new SqliteSink(db);
    equal((await sink.query({ task_id: task, type: "harness.approval.resolved" })).length, 0);
    equal((await sink.query({ type: "harness.run.paused" })).length, 1);
    const blocked = (await sink.query({ type: "harness.defense.blocked" }))
      .filter((e) => e.payload.kind === "forged_event");
    equal(blocked.length, 2);
    ok(blocked.every((e) => e.task_id !== task));
    const pending = await run(["run", "-A", MAIN, "pending", "--db", db, "--json"], root);
    const rows = JSON.parse(pending.stdout);
    equal(rows.length, 1);
    equal(rows[0].state, "awaiting");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
