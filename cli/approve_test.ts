// zu pending / approve / reject across processes: a real child pauses a run and is killed; the
// verdict and the resume come from other children (the resume runs in the jail, like zu run).
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { SqliteSink } from "../sinks/sqlite/mod.ts";

const MAIN = fromFileUrl(new URL("./main.ts", import.meta.url));
const PAUSER = fromFileUrl(new URL("../runner/testdata/pause_child.ts", import.meta.url));

const AGENT = `provider:
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

async function zu(cwd: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Pauses a run in a child, kills the child, returns the run id. */
async function pausedRunKilled(dir: string, db: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", PAUSER, dir, db],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (let i = 0; i < 1000 && !text.includes("\n"); i++) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  child.kill("SIGKILL");
  const status = await child.status;
  equal(status.signal, "SIGKILL"); // it was still alive, holding nothing but the log
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  await child.stdin.close().catch(() => {});
  const line = JSON.parse(text.split("\n")[0]!);
  equal(line.status, "paused");
  return line.run;
}

async function logTypes(db: string, run: string) {
  await using sink = new SqliteSink(db);
  return (await sink.query({ task_id: run })).map((e) => ({ type: e.type, p: e.payload }));
}

Deno.test("a run paused in a killed process is approved and resumed from other processes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT);
    const db = `${dir}/events.db`;
    const run = await pausedRunKilled(dir, db);
    const pending = await zu(dir, "pending", "--db", db, "--json");
    equal(pending.code, 0, pending.stderr);
    const rows = JSON.parse(pending.stdout);
    equal(rows.length, 1);
    equal(rows[0].run, run);
    equal(rows[0].tool, "recall");
    // Refusals, each one line and exit 2, before anything is written.
    const forged = await zu(
      dir,
      "approve",
      run,
      "--agent",
      dir,
      "--db",
      db,
      "--approval",
      crypto.randomUUID(),
    );
    equal(forged.code, 2);
    ok(/is not the pending approval/.test(forged.stderr), forged.stderr);
    const unknown = await zu(dir, "reject", "0000dead", "--agent", dir, "--db", db);
    equal(unknown.code, 2);
    ok(/Unknown run/.test(unknown.stderr), unknown.stderr);
    equal(unknown.stderr.trim().split("\n").length, 1);
    const before = (await logTypes(db, run)).length;
    const ok1 = await zu(
      dir,
      "approve",
      run.slice(0, 8),
      "--agent",
      dir,
      "--db",
      db,
      "--by",
      "alice",
      "--reason",
      "fine",
      "--json",
    );
    equal(ok1.code, 0, ok1.stderr);
    equal(JSON.parse(ok1.stdout).status, "success");
    const events = await logTypes(db, run);
    const types = events.map((e) => e.type);
    const at = types.indexOf("harness.run.paused");
    equal(at, before - 1);
    deepStrictEqual(types.slice(at, at + 5), [
      "harness.run.paused",
      "harness.approval.resolved",
      "harness.run.resumed",
      "harness.tool.invoked",
      "harness.gate.decided",
    ]);
    equal(events[at + 1]!.p.by, "cli:alice");
    equal(events[at + 1]!.p.reason, "fine");
    equal(events[at + 4]!.p.decision, "approved_by_human");
    equal(types.at(-1), "harness.task.completed");
    // A second verdict, and a verdict on a run that is not paused, are refused.
    const again = await zu(dir, "reject", run, "--agent", dir, "--db", db);
    equal(again.code, 2);
    ok(/not paused/.test(again.stderr), again.stderr);
    equal((await logTypes(db, run)).length, events.length);
    const none = await zu(dir, "pending", "--db", db);
    ok(/nothing pending/.test(none.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu reject resumes the run with the refusal the model reads", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT);
    const db = `${dir}/events.db`;
    const run = await pausedRunKilled(dir, db);
    const r = await zu(
      dir,
      "reject",
      run,
      "--agent",
      dir,
      "--db",
      db,
      "--reason",
      "no recall today",
    );
    equal(r.code, 0, r.stderr);
    const events = await logTypes(db, run);
    const blocked = events.find((e) => e.type === "harness.defense.blocked");
    equal(blocked?.p.kind, "human_denied");
    equal(blocked?.p.detail, "no recall today");
    ok(!events.some((e) => e.p.decision === "approved_by_human"));
    equal(events.at(-1)?.type, "harness.task.completed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu pending renders hostile call arguments harmless", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const hostile = AGENT.replace(
      "args: {query: notes}",
      'args: {query: "\\e[31mred\\u202egnp.exe\\0"}',
    );
    await Deno.writeTextFile(`${dir}/agent.yaml`, hostile);
    const db = `${dir}/events.db`;
    await pausedRunKilled(dir, db);
    const text = await zu(dir, "pending", "--db", db);
    equal(text.code, 0, text.stderr);
    ok(text.stdout.includes("red"), text.stdout);
    const bad = [...text.stdout].filter((c) => {
      const n = c.codePointAt(0)!;
      return (n < 0x20 && c !== "\n") || n === 0x7f || n === 0x202e;
    });
    deepStrictEqual(bad, [], JSON.stringify(text.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
