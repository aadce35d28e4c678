/**
 * `zu run --sandboxed`: the jailed agent inside the runtime container, a thin layer over the
 * runner's contained mode (`runAgent(agent, { mode: "contained", ... })`). Operator settings come
 * from the environment (`sandboxSettingsFromEnv`: `ZU_SANDBOX_IMAGE`, `ZU_SANDBOX_ALLOW_CIDRS`,
 * `ZU_SANDBOX_NETWORKS`, `ZU_SANDBOX_HOSTS`, `ZU_SANDBOX_SOURCE`). Secrets come from the secret
 * flags and the operator's file (`secretSettingsOf`): the providers' keys stay in the host-side
 * model broker, inject/placeholder bindings are served by the run's interceptor behind the
 * sidecar; every bound secret is resolved before Docker is asked (a missing one is exit 2).
 * Live clearance (`--clearance-hold`): the run's desk is opened on the host with the run's event
 * log (when it is SQLite) and the sidecar asks it over `clearance.sock` (docs/clearance.md).
 *
 * @module
 */
import { Interrupted } from "../core/errors.ts";
import { bool, type CommandContext, str } from "./_command.ts";
import { loadAgent } from "./_agent.ts";
import { noteWarnings } from "./_warnings.ts";
import { canonicalSink, openRunLog } from "./_event_log.ts";
import { clearanceHoldOf } from "./_clearance_flags.ts";
import { reportRun } from "./_run_report.ts";
import { secretSettingsOf } from "./_secret_flags.ts";

/** Runs `zu run --sandboxed`; returns the exit code. */
export async function runSandboxedCommand(ctx: CommandContext): Promise<number> {
  const io = ctx.io;
  const { runAgent } = await import("../runner/run_agent.ts");
  const { checkSandbox } = await import("../runner/contained/run_contained.ts");
  const { sandboxSettingsFromEnv } = await import("../runner/contained/sandbox_settings.ts");
  const { recordRun } = await import("../runner/after_run.ts");
  const agent = await loadAgent(io, ctx.positionals[0]);
  if (agent.config.repos.length > 0) {
    noteWarnings(io, [
      `Agent "${agent.file}": "repos" is served to jailed runs only; with --sandboxed the agent gets no repository (see docs/git-gate.md)`,
    ]);
  }
  const env = (k: string) => io.env(k);
  const settings = await sandboxSettingsFromEnv(env);
  const hold = clearanceHoldOf(ctx);
  await using secrets = await secretSettingsOf(ctx);
  // Every bound secret resolves (exit 2 otherwise) before Docker is asked.
  await secrets.verify();
  // A model on loopback is reached by the broker on the host; without a key variable it cannot
  // be reached from the container: said before Docker is asked.
  const { jailAgentOf } = await import("../runner/jail/jail_agent.ts");
  const { checkSandboxModelUrls } = await import("../runner/contained/sandbox_model_url.ts");
  checkSandboxModelUrls(agent.arg, await jailAgentOf(agent.config, { env }), env, {
    brokered: true,
  });
  // Docker and the image before the event log is opened: a missing one leaves it untouched.
  await checkSandbox(agent.arg, { image: settings.image, env });
  const { sink, db } = await openRunLog(io, agent, str(ctx, "db"));
  const track = !bool(ctx, "no-track");
  // Live clearance (docs/clearance.md): the run's desk on the host, its rules and the verdicts
  // of other processes in the run's SQLite event log (none for another driver).
  const { openRunClearance } = await import("../runner/clearance/run_clearance.ts");
  const driver = canonicalSink(io, agent, str(ctx, "db")).driver;
  let clearance;
  try {
    clearance = await openRunClearance({
      holdMs: hold,
      dbPath: driver === "sqlite" ? db : null,
      ...(io.signal ? { signal: io.signal } : {}),
    });
  } catch (err) {
    await sink.close();
    throw err;
  }
  let run;
  try {
    run = await runAgent(agent, {
      mode: "contained",
      ...settings,
      sink,
      env,
      track,
      // The model broker (default) resolves keys with these; inject/placeholder bindings get
      // the run's interceptor.
      secrets,
      timeoutMs: (agent.config.budget.wall_time_s + 60) * 1000,
      onAgentOutput: (t) => io.stderr(t),
      clearance,
      ...(io.signal ? { signal: io.signal } : {}),
    });
  } catch (err) {
    if (io.signal?.aborted) throw new Interrupted();
    throw err;
  } finally {
    await clearance.close();
    await sink.close();
  }
  const decisions = run.outcome.proxyDecisions;
  const refused = decisions.filter((d) => d.allowed === false);
  const lines = [
    `sandbox: ${run.image} (run ${run.runId}); egress ${
      decisions.length - refused.length
    } allowed, ${refused.length} refused by the proxy`,
    ...refused.map((d) => `refused: ${String(d.host)}:${String(d.port)} (${String(d.reason)})`),
    ...await recordRun(agent.dir, { ...run, agent: agent.arg, track }),
  ];
  return reportRun(io, {
    result: run.result,
    events: run.events,
    db,
    json: bool(ctx, "json"),
    extra: {
      replayed_track: run.replayedTrack,
      sandbox: {
        run_id: run.runId,
        image: run.image,
        allowlist: run.outcome.allowlist,
        exit_code: run.outcome.exitCode,
        egress: decisions.map((d) => ({
          host: d.host,
          port: d.port,
          allowed: d.allowed,
          reason: d.reason,
        })),
      },
    },
    lines,
  });
}
