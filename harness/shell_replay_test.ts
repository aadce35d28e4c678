import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { assembleRun, loadAgentConfig } from "../agent/config.ts";
import { builtinRegistries, type ToolFactory } from "../agent/builtins.ts";
import { ScriptedProvider } from "../agent/providers/scripted.ts";
import { Shell } from "../agent/tools/shell.ts";
import { EventBus } from "../core/bus.ts";
import { Registry } from "../core/registry.ts";
import { MemorySink } from "../sinks/memory/mod.ts";
import { FakeExecSession } from "../testing/fake_exec_session.ts";
import { runTask } from "../agent/loop.ts";
import { type Move, readBundle, writeBundle } from "./bundle.ts";
import { captureBundle } from "./capture.ts";
import { harden } from "./harden.ts";
import { hardenSpecs } from "./harden_specs.ts";
import { replayOffline } from "./offline.ts";
import { EXEC_PERTURBATIONS } from "./perturb/exec_output.ts";

const AGENT_YAML =
  `# A shell-using agent (zu for Deno test, written by harness/shell_replay_test.ts).
provider:
  name: scripted
tiers:
  1:
    - shell
plugins:
  detectors:
    - exec-failure
  validators:
    - schema
budget:
  max_steps: 6
  max_tokens: 10000
  wall_time_s: 30
task:
  query: Count the lines of data.csv. Return JSON {"lines"}.
  max_tier: 1
  output_schema:
    type: object
    properties:
      lines:
        type: string
    required:
      - lines
`;

const MOVES: Move[] = [
  { tool: "shell", args: { argv: ["wc", "-l", "data.csv"], cwd: "/workspace" } },
  { text: '{"lines": "42"}', finish: "stop" },
];

/** Runs the agent live against a fake session and writes its capture into a fresh agent dir. */
async function capturedAgent(): Promise<{ dir: string; session: FakeExecSession }> {
  const dir = await Deno.makeTempDir({ prefix: "zu_shell_agent_" });
  await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT_YAML);
  const session = new FakeExecSession(() => ({ stdout: "42 data.csv\n", durationMs: 2 }));
  const base = builtinRegistries();
  const tools = new Registry<ToolFactory>("tools");
  for (const name of base.tools.names()) {
    tools.register(
      name,
      name === "shell"
        ? () => new Shell({ openSession: () => Promise.resolve(session) })
        : base.tools.get(name),
    );
  }
  const config = await loadAgentConfig(dir);
  const run = await assembleRun(config, { registries: { ...base, tools } });
  const bus = new EventBus(new MemorySink());
  const result = await runTask(
    run.spec,
    ScriptedProvider.fromMoves(MOVES as Record<string, unknown>[]),
    run.plugins,
    bus,
  );
  const events = await bus.query();
  await bus.close();
  equal(result.status, "success");
  const bundle = captureBundle(events, result, { task: run.spec.query, model: "live-model" });
  await Deno.mkdir(`${dir}/fixtures`);
  await writeBundle(`${dir}/fixtures/capture.json`, bundle);
  return { dir, session };
}

Deno.test("a captured shell call replays offline from its fixture double, with no sandbox", async () => {
  const { dir, session } = await capturedAgent();
  try {
    const bundle = await readBundle(`${dir}/fixtures/capture.json`);
    deepStrictEqual(bundle.moves[0], MOVES[0]);
    deepStrictEqual(bundle.observations["shell"], [{
      exit_code: 0,
      stdout: "42 data.csv\n",
      stderr: "",
      truncated: false,
      timed_out: false,
      duration_ms: 2,
    }]);
    equal(session.commands.length, 1);
    // No backend, no session: the replay's shell is the fixture double.
    const out = await replayOffline(await loadAgentConfig(dir), bundle);
    deepStrictEqual(out.result, { status: "success", value: { lines: "42" }, reason: null });
    deepStrictEqual(out.unused, []);
    deepStrictEqual(out.fixtureErrors, []);
    equal(session.commands.length, 1, "the replay ran no command");
    // A replay asking for more than was recorded overruns loudly.
    const longer = { ...bundle, moves: [MOVES[0]!, MOVES[0]!, MOVES[1]!] };
    const over = await replayOffline(await loadAgentConfig(dir), longer);
    equal(over.result.status, "terminal");
    ok(over.fixtureErrors[0]?.message.startsWith("shell fixture overrun"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("harden perturbs a shell-using agent's command output and the verdict reports each variant", async () => {
  const { dir } = await capturedAgent();
  try {
    const bundle = await readBundle(`${dir}/fixtures/capture.json`);
    deepStrictEqual(hardenSpecs(bundle, "all").slice(-4), [...EXEC_PERTURBATIONS]);
    const report = await harden(dir, { workers: 0, perturb: [...EXEC_PERTURBATIONS] });
    equal(report.baseline.status, "success");
    deepStrictEqual(
      report.variants.map((v) => [v.name, v.expect, v.passed, v.ok]),
      [
        ["exec-nonzero-exit", "fail", false, true],
        ["exec-timeout", "fail", false, true],
        ["exec-truncated-output", "fail", false, true],
        ["exec-inject-output", "blocked", true, true],
      ],
    );
    equal(report.exit_code, 0);
    const inject = report.variants.find((v) => v.name === "exec-inject-output")!;
    equal(inject.blocked, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("harden fails an agent that trusts failed commands and says to add exec-failure", async () => {
  const { dir } = await capturedAgent();
  try {
    const yaml = AGENT_YAML.replace("  detectors:\n    - exec-failure\n", "");
    await Deno.writeTextFile(`${dir}/agent.yaml`, yaml);
    const report = await harden(dir, {
      workers: 0,
      perturb: ["exec-nonzero-exit", "exec-timeout"],
    });
    equal(report.exit_code, 1);
    const misses = report.verdict.misses;
    deepStrictEqual(misses.map((m) => m.name), ["exec-nonzero-exit", "exec-timeout"]);
    ok(misses.every((m) => m.fix.includes("exec-failure")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("harden plays the exec perturbations only for bundles that recorded a command", () => {
  const web = { task: "t", model: null, moves: [], observations: { http_fetch: [{ html: "x" }] } };
  ok(!hardenSpecs(web, "all").some((s) => s.startsWith("exec-")));
});

Deno.test("an instruction injected into a command's output reaches the hijacked model, which the allowlist then stops", async () => {
  const { dir } = await capturedAgent();
  try {
    const withFetch = AGENT_YAML.replace("    - shell\n", "    - shell\n    - http_fetch\n");
    await Deno.writeTextFile(`${dir}/agent.yaml`, withFetch);
    const open = await harden(dir, {
      workers: 0,
      mode: "hijacked",
      perturb: ["exec-inject-output"],
    });
    const got = open.variants[0]!;
    equal(got.blocked, false, "the hijacked model read and obeyed the instruction in stdout");
    ok(got.attack_executed.some((u) => u.startsWith("https://attacker.example/collect")));
    equal(open.exit_code, 1);
    ok(open.verdict.misses[0]?.fix.includes("allowed_domains"));
    await Deno.writeTextFile(
      `${dir}/agent.yaml`,
      `${withFetch}allowed_domains:\n- data.example\n`,
    );
    const fenced = await harden(dir, {
      workers: 0,
      mode: "hijacked",
      perturb: ["exec-inject-output"],
    });
    equal(fenced.variants[0]?.blocked, true);
    equal(fenced.exit_code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the taxonomy's attacks reach a shell agent through its command output, and the oracle obeys them", async () => {
  const { dir } = await capturedAgent();
  try {
    const withFetch = AGENT_YAML.replace("    - shell\n", "    - shell\n    - http_fetch\n");
    await Deno.writeTextFile(`${dir}/agent.yaml`, withFetch);
    const report = await harden(dir, {
      workers: 0,
      mode: "oracle",
      perturb: ["inject-css-hidden", "enc-base64", "frame-user-letter"],
    });
    for (const v of report.variants) {
      equal(v.attack?.attempted, true, `${v.name}: ${v.attack?.outcome} ${v.attack?.stopped_by}`);
      equal(v.attack?.outcome, "succeeded", v.name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
