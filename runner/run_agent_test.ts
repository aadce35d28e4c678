import { deepEqual, equal, ok } from "node:assert/strict";
import { loadAgentConfig } from "../agent/config.ts";
import { MemorySink } from "../sinks/memory/mod.ts";
import { recordRun } from "./after_run.ts";
import { runAgent } from "./run_agent.ts";

const HOST = { env: (_: string) => undefined, stderr: (_: string) => {} };

async function scriptedAgent(): Promise<{ dir: string; file: string }> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "zu_run_agent_" }));
  const file = `${dir}/agent.yaml`;
  await Deno.writeTextFile(
    file,
    [
      "task: {query: What is the answer?}",
      "plugins: {validators: []}",
      "provider:",
      "  name: scripted",
      "  script: [{text: '{\"answer\": 42}'}]",
    ].join("\n") + "\n",
  );
  return { dir, file };
}

Deno.test("runAgent answers the same typed run in process and in the jail", async () => {
  const { dir, file } = await scriptedAgent();
  try {
    const agent = { file, config: await loadAgentConfig(dir, { env: HOST.env }) };
    const local = await runAgent(agent, { mode: "in-process", track: false });
    equal(local.mode, "in-process");
    deepEqual(local.result, { status: "success", value: { answer: 42 }, reason: null });

    const sink = new MemorySink();
    const jailed = await runAgent(agent, { mode: "jailed", host: HOST, sink, track: false });
    equal(jailed.mode, "jailed");
    deepEqual(jailed.result, local.result);
    equal(jailed.task, "What is the answer?");
    equal(jailed.model, null);
    equal(jailed.replayedTrack, false);
    equal(jailed.outcome.code, 0, jailed.outcome.stderr);
    ok(jailed.outcome.argv.includes(`--allow-read=${dir}`), jailed.outcome.argv.join(" "));
    equal(await sink.count(), jailed.events.length);
    deepEqual(
      jailed.events.map((e) => e.type).filter((t) => t.startsWith("harness.task.")),
      ["harness.task.started", "harness.task.completed"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("recordRun saves the track of a successful run and appends one ledger line per run", async () => {
  const { dir, file } = await scriptedAgent();
  try {
    const agent = { file, config: await loadAgentConfig(dir, { env: HOST.env }) };
    const run = await runAgent(agent, { mode: "in-process", track: false });
    const lines = await recordRun(dir, { ...run, agent: "answer" });
    deepEqual(lines, [`track:  ${dir}/track.json`]);
    ok((await Deno.stat(`${dir}/track.json`)).isFile);
    await recordRun(dir, { ...run, agent: "answer", track: false });
    const ledger = (await Deno.readTextFile(`${dir}/cost.jsonl`)).trim().split("\n");
    equal(ledger.length, 2);
    const first = JSON.parse(ledger[0]!);
    equal(first.agent, "answer");
    equal(first.status, "success");
    equal(first.replayed, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
