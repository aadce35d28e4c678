/**
 * `zu capture [agent]`: one live run in the jail, the model deciding from the first move (a
 * recorded `track.json` is never replayed); on success its tool observations (the full content,
 * not the summarised copy) and the model's moves are saved as the capture bundle. Like `zu run`
 * it re-records `track.json` on success (unless `--no-track`) and appends to `cost.jsonl`.
 *
 * @module
 */
import { bool, type CommandDef, str } from "./_command.ts";
import { loadAgent } from "./_agent.ts";
import { resolvePath } from "./_event_log.ts";
import { runLive } from "./_live_run.ts";
import { CLEARANCE_FLAGS } from "./_clearance_flags.ts";
import { SECRET_FLAGS } from "./_secret_flags.ts";
import { Progress } from "./_progress.ts";
import { reportRun } from "./_run_report.ts";
import { AGENT_ARG, RUN_FLAGS } from "./cmd_run.ts";

/** `zu capture`. */
export const captureCommand: CommandDef = {
  name: "capture",
  summary: "Run the agent live once (jailed) and save the run as its capture bundle",
  description:
    `The bundle is written only when the run succeeds, encrypted when ZU_FIXTURE_KEY is set.
The model makes every move (a recorded track.json is never replayed). Like "zu run", a
successful capture re-records <agent>/track.json (unless --no-track) and every capture appends
its cost to <agent>/cost.jsonl. Offline replay and harden then work from it at $0.`,
  positionals: [{ ...AGENT_ARG }],
  flags: {
    out: {
      type: "string",
      placeholder: "path",
      description: "Where to write the bundle (default: <agent>/fixtures/capture.json)",
    },
    ...RUN_FLAGS,
    ...SECRET_FLAGS,
    ...CLEARANCE_FLAGS,
    "no-track": {
      type: "boolean",
      description: "Do not re-record <agent>/track.json after a successful capture",
    },
  },
  examples: ["zu capture my-agent", "ZU_FIXTURE_KEY=... zu capture my-agent"],
  run: async (ctx) => {
    const agent = await loadAgent(ctx.io, ctx.positionals[0]);
    const { bundlePath, fixtureKeyProvider, writeBundle } = await import("../harness/bundle.ts");
    const { captureBundle } = await import("../harness/capture.ts");
    const out = str(ctx, "out") ? resolvePath(ctx.io.cwd, str(ctx, "out")!) : bundlePath(agent.dir);
    const steps = agent.config.task?.budget?.max_steps ?? agent.config.budget.max_steps;
    const progress = new Progress(ctx.io, "capture", steps);
    let run;
    try {
      run = await runLive(ctx, agent, {
        track: false,
        onEvent: (e) => {
          if (e.type === "harness.turn.started") progress.tick(1, e.type);
        },
      });
    } finally {
      progress.finish();
    }
    const { recordRun } = await import("../runner/after_run.ts");
    const track = !bool(ctx, "no-track");
    const lines: string[] = await recordRun(agent.dir, { ...run, agent: agent.arg, track });
    if (run.result.status === "success") {
      const bundle = captureBundle(run.events, run.result, { task: run.task, model: run.model });
      await Deno.mkdir(out.slice(0, out.lastIndexOf("/")), { recursive: true });
      const env = ctx.io.envWithPrefix("ZU_");
      await writeBundle(out, bundle, { env });
      const encrypted = fixtureKeyProvider(env) !== null;
      lines.push(`bundle: ${out}${encrypted ? " (encrypted)" : ""}`);
    } else {
      lines.push("bundle: not written (only a successful run makes a bundle)");
    }
    return reportRun(ctx.io, {
      result: run.result,
      events: run.events,
      db: run.db,
      json: bool(ctx, "json"),
      extra: { bundle: run.result.status === "success" ? out : null },
      lines,
    });
  },
};
