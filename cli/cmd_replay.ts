/**
 * `zu replay [agent]`: replay the agent's capture bundle offline in a jailed child with no
 * network at all; events land in the event log and its cost is appended to `<agent>/cost.jsonl`
 * (as `zu run` does; `track.json` is left alone).
 *
 * @module
 */
import { bool, type CommandDef, str } from "./_command.ts";
import { loadAgent } from "./_agent.ts";
import { loadBundle } from "./_bundle.ts";
import { openRunLog } from "./_event_log.ts";
import { permissionsFor, runJailed } from "../runner/jailed.ts";
import { reportRun } from "./_run_report.ts";
import { AGENT_ARG, RUN_FLAGS } from "./cmd_run.ts";

/** `zu replay`. */
export const replayCommand: CommandDef = {
  name: "replay",
  summary: "Replay the agent's capture bundle offline: no model, no network, $0",
  description:
    `The model is a scripted provider over the recorded moves; http_fetch replays the recorded
pages in order and fails loudly on overrun. Detectors, validators and the event log are real.
The child process gets no network permission at all.`,
  positionals: [{ ...AGENT_ARG }],
  flags: {
    bundle: {
      type: "string",
      placeholder: "path",
      description: "Bundle to replay (default: <agent>/fixtures/capture.json)",
    },
    model: {
      type: "string",
      description: "Who decides the moves",
      choices: ["script", "hijacked"],
      default: "script",
    },
    ...RUN_FLAGS,
  },
  examples: ["zu replay my-agent", "zu replay my-agent --model hijacked --json"],
  run: async (ctx) => {
    const agent = await loadAgent(ctx.io, ctx.positionals[0]);
    const { path, bundle } = await loadBundle(ctx.io, agent, str(ctx, "bundle"));
    const { perms } = await permissionsFor(ctx.io, agent, { mode: "offline" });
    const { serializeBundle } = await import("../harness/bundle.ts");
    const { sink, db } = await openRunLog(ctx.io, agent, str(ctx, "db"));
    try {
      const run = await runJailed(ctx.io, agent, {
        mode: "offline",
        perms,
        sink,
        input: serializeBundle(bundle),
        childOptions: { model: str(ctx, "model") ?? "script", bundlePath: path },
      });
      const { unused, fixtureErrors } = run.result;
      const { recordRun } = await import("../runner/after_run.ts");
      await recordRun(agent.dir, {
        agent: agent.arg,
        events: run.events,
        result: run.result.result,
        task: bundle.task ?? agent.config.task?.query ?? "",
        model: null,
        track: false,
      });
      return reportRun(ctx.io, {
        result: run.result.result,
        events: run.events,
        db,
        json: bool(ctx, "json"),
        extra: { bundle: path, unused, fixture_errors: fixtureErrors },
        lines: [
          `bundle: ${path}`,
          ...(unused.length ? [`unused: ${unused.length} recorded observation(s) never used`] : []),
          ...fixtureErrors.map((f) => `fixture: ${f.tool}: ${f.message}`),
        ],
      });
    } finally {
      await sink.close();
    }
  },
};
