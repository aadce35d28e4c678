/**
 * `zu build [agent]`: the offline spine: replay (must succeed), record track.json, harden, gate.
 *
 * @module
 */
import { bool, type CommandDef, printJson, str } from "./_command.ts";
import { loadAgent } from "./_agent.ts";
import { loadBundle } from "./_bundle.ts";
import { openRunLog, resolvePath } from "./_event_log.ts";
import { permissionsFor, runJailed } from "../runner/jailed.ts";
import {
  HARDEN_FLAGS,
  hardenJailed,
  hardenRequest,
  reportFormat,
  writeReport,
} from "./cmd_harden.ts";
import { AGENT_ARG } from "./cmd_run.ts";

/** One stage of a build. */
export interface BuildStage {
  /** replay, track, harden. */
  name: string;
  /** passed, failed or skipped. */
  status: "passed" | "failed" | "skipped";
  /** One line. */
  detail: string;
}

const MARK = { passed: "✓", failed: "✗", skipped: "·" } as const;

/** `zu build`. */
export const buildCommand: CommandDef = {
  name: "build",
  summary: "Replay offline, record track.json, then harden; fails when any stage fails",
  description:
    `The offline spine: the replay must succeed, its path is saved as <agent>/track.json, and
harden's verdict must pass: every variant meets its expectation (as "zu harden" exits 0).`,
  positionals: [{ ...AGENT_ARG }],
  flags: {
    "min-score": HARDEN_FLAGS["min-score"]!,
    perturb: HARDEN_FLAGS.perturb!,
    bundle: HARDEN_FLAGS.bundle!,
    workers: HARDEN_FLAGS.workers!,
    report: HARDEN_FLAGS.report!,
    db: {
      type: "string",
      placeholder: "path",
      description: "Event log for the replay (default: the agent's event_sink, else .zu/events.db)",
    },
    json: { type: "boolean", description: "Print the stages as JSON" },
  },
  examples: ["zu build my-agent", "zu build my-agent --min-score 0.8 --report build.html"],
  run: async (ctx) => {
    const req = await hardenRequest(ctx);
    const reportPath = str(ctx, "report");
    const format = reportPath ? reportFormat(reportPath, ctx.path.join(" ")) : null;
    const agent = await loadAgent(ctx.io, ctx.positionals[0]);
    const { bundle, path } = await loadBundle(ctx.io, agent, req.bundle);
    const { perms } = await permissionsFor(ctx.io, agent, { mode: "offline" });
    const { serializeBundle } = await import("../harness/bundle.ts");
    const stages: BuildStage[] = [];
    const { sink, db } = await openRunLog(ctx.io, agent, str(ctx, "db"));
    let replay;
    try {
      replay = await runJailed(ctx.io, agent, {
        mode: "offline",
        perms,
        sink,
        input: serializeBundle(bundle),
        childOptions: { model: "script", bundlePath: path },
      });
    } finally {
      await sink.close();
    }
    const result = replay.result.result;
    const replayOk = result.status === "success";
    stages.push({
      name: "replay",
      status: replayOk ? "passed" : "failed",
      detail: `${result.status}${
        result.reason ? ` (${result.reason})` : ""
      }, ${replay.events.length} events -> ${db ?? "(not kept: in-memory event_sink)"}`,
    });
    if (replayOk) {
      const { recordTrack } = await import("../agent/track.ts");
      const track = recordTrack(replay.events, bundle.task, bundle.model);
      const trackPath = `${agent.dir}/track.json`;
      await track.save(trackPath);
      stages.push({
        name: "track",
        status: "passed",
        detail: `${track.steps.length} steps -> ${trackPath}`,
      });
      const report = await hardenJailed(ctx.io, agent, req);
      if (reportPath && format) {
        await writeReport(report, resolvePath(ctx.io.cwd, reportPath), format);
      }
      const hardenOk = report.exit_code === 0 && report.grounding_load_bearing;
      stages.push({
        name: "harden",
        status: hardenOk ? "passed" : "failed",
        detail: `resilience ${Math.round(report.resilience * 100)}% (min ${
          Math.round(req.minScore * 100)
        }%), grounding ${
          report.grounding_load_bearing ? "load-bearing" : "NOT load-bearing"
        }, ${report.rates.ok.text} variants as expected`,
      });
    } else {
      stages.push({ name: "track", status: "skipped", detail: "the replay failed" });
      stages.push({ name: "harden", status: "skipped", detail: "the replay failed" });
    }
    const ok = stages.every((s) => s.status === "passed");
    if (bool(ctx, "json")) printJson(ctx.io, { ok, stages, report: reportPath ?? null });
    else {
      for (const s of stages) ctx.io.stdout(`${MARK[s.status]} ${s.name}: ${s.detail}\n`);
      ctx.io.stdout(ok ? "build: ok\n" : "build: failed\n");
    }
    return ok ? 0 : 1;
  },
};
