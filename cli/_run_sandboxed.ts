/**
 * `zu run --sandboxed`: the jailed agent inside the runtime container (a thin layer over
 * `runSandboxed` in `backends/launcher_run.ts`).
 *
 * Operator settings (environment): `ZU_SANDBOX_IMAGE` (default `zu-runtime:<version>`),
 * `ZU_SANDBOX_ALLOW_CIDRS` (comma list of internal CIDRs the proxy lets through),
 * `ZU_SANDBOX_NETWORKS` (comma list of Docker networks the proxy also joins),
 * `ZU_SANDBOX_HOSTS` (`name=ip,...`: fixed answers for allowlisted names, like extra hosts),
 * `ZU_SANDBOX_SOURCE` (a zu checkout mounted read-only over the image's copy).
 *
 * @module
 */
import { Interrupted, UserError, ZuError } from "../core/errors.ts";
import type { Resolver } from "../core/net_guard.ts";
import { bool, type CommandContext, str } from "./_command.ts";
import { jailAgentOf, loadAgent } from "./_agent.ts";
import { openRunLog } from "./_event_log.ts";
import { reportRun, type RunResultView } from "./_run_report.ts";
import { afterRun } from "./cmd_run.ts";
import type { CliIo } from "./_io.ts";

function list(value: string | undefined): string[] {
  return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

/** `ZU_SANDBOX_HOSTS=name=ip,...` as a resolver (names it does not know go to the system). */
async function hostsResolver(io: CliIo): Promise<Resolver | undefined> {
  const entries = list(io.env("ZU_SANDBOX_HOSTS"));
  if (!entries.length) return undefined;
  const answers = new Map<string, string[]>();
  for (const e of entries) {
    const [name, ip] = e.split("=").map((s) => s.trim().toLowerCase());
    if (!name || !ip) {
      throw new UserError(
        "usage",
        `Cannot read ZU_SANDBOX_HOSTS entry "${e}": expected name=ip`,
      );
    }
    answers.set(name, [...(answers.get(name) ?? []), ip]);
  }
  const { systemResolver } = await import("../core/net_guard.ts");
  return (host) => {
    const known = answers.get(host.toLowerCase().replace(/\.$/, ""));
    return known ? Promise.resolve([...known]) : systemResolver(host);
  };
}

/** Runs `zu run --sandboxed`; returns the exit code. */
export async function runSandboxedCommand(ctx: CommandContext): Promise<number> {
  const io = ctx.io;
  const { checkSandbox, runSandboxed } = await import("../backends/launcher_run.ts");
  const { DEFAULT_LAUNCHER_IMAGE } = await import("../backends/launcher.ts");
  const agent = await loadAgent(io, ctx.positionals[0]);
  const jail = await jailAgentOf(io, agent);
  const image = io.env("ZU_SANDBOX_IMAGE") || DEFAULT_LAUNCHER_IMAGE;
  const env = (k: string) => io.env(k);
  const resolver = await hostsResolver(io);
  // Docker and the image before the event log is opened: a missing one leaves it untouched.
  await checkSandbox(agent.arg, { image, env });
  const { sink, db } = await openRunLog(io, agent, str(ctx, "db"));
  const track = !bool(ctx, "no-track");
  const source = io.env("ZU_SANDBOX_SOURCE");
  const allowCidrs = list(io.env("ZU_SANDBOX_ALLOW_CIDRS"));
  const networks = list(io.env("ZU_SANDBOX_NETWORKS"));
  let run;
  try {
    run = await runSandboxed(agent.file, {
      sink,
      jail,
      env,
      image,
      track,
      timeoutMs: (agent.config.budget.wall_time_s + 60) * 1000,
      onAgentOutput: (t) => io.stderr(t),
      ...(source ? { zuSourceBind: source } : {}),
      ...(allowCidrs.length ? { allowCidrs } : {}),
      ...(networks.length ? { proxyNetworks: networks } : {}),
      ...(resolver ? { resolver } : {}),
      ...(io.signal ? { signal: io.signal } : {}),
    });
  } catch (err) {
    if (err instanceof ZuError && err.code === "sandbox_timeout") {
      io.stderr(`error: ${err.message}\n`);
      return 1;
    }
    if (io.signal?.aborted) throw new Interrupted();
    throw err;
  } finally {
    await sink.close();
  }
  const r = run.result as {
    result: RunResultView;
    task: string;
    model: string | null;
    replayed_track?: boolean;
  };
  const decisions = run.outcome.proxyDecisions;
  const refused = decisions.filter((d) => d.allowed === false);
  const lines = [
    `sandbox: ${run.image} (run ${run.runId}); egress ${
      decisions.length - refused.length
    } allowed, ${refused.length} refused by the proxy`,
    ...refused.map((d) => `refused: ${String(d.host)}:${String(d.port)} (${String(d.reason)})`),
    ...await afterRun(agent.dir, agent.arg, run.events, r, track),
  ];
  return reportRun(io, {
    result: r.result,
    events: run.events,
    db,
    json: bool(ctx, "json"),
    extra: {
      replayed_track: r.replayed_track ?? false,
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
