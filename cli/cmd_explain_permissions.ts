/**
 * `zu explain-permissions [agent]`: print the exact Deno flags a jailed run of the agent gets,
 * and why each one is there. With `inject`/`placeholder` bindings (the secret flags, or the
 * operator's file), it also shows the run's egress proxy and the placeholder variables the child
 * may read (nothing is resolved: no secret value is read). It also shows the run's live clearance
 * (`--clearance-hold`): how long a fetch to an undeclared host is held for an operator, and that it
 * is reached through the host's fetch relay and egress proxy while `--allow-net` stays as printed.
 * Last, the host process's own grants for the agent's event log (`sinks/sink_grants.ts`): a
 * PostgreSQL log's host and port only, never given to the child.
 *
 * @module
 */
import { bool, type CommandDef, printJson, str } from "./_command.ts";
import { loadAgent, type LoadedAgent } from "./_agent.ts";
import type { CliIo } from "./_io.ts";
import { JAIL_ENTRY, permissionsFor } from "../runner/jailed.ts";
import { AGENT_ARG } from "./cmd_run.ts";
import { CLEARANCE_FLAGS, clearanceHoldOf } from "./_clearance_flags.ts";
import { SECRET_FLAGS, secretSettingsOf } from "./_secret_flags.ts";
import { sinkHostGrants } from "../sinks/sink_grants.ts";
import {
  interceptHosts,
  placeholderVariables,
  withInterceptGrants,
} from "../runner/jail/intercept_grants.ts";

/** `zu explain-permissions`. */
export const explainPermissionsCommand: CommandDef = {
  name: "explain-permissions",
  summary: "Print the exact Deno permission flags a run of the agent gets, and why",
  positionals: [{ ...AGENT_ARG }],
  flags: {
    mode: {
      type: "string",
      description: "live (zu run, zu capture) or offline (zu replay, zu harden)",
      choices: ["live", "offline"],
      default: "live",
    },
    resolve: {
      type: "boolean",
      description: "Resolve the declared names now and show their pinned addresses",
    },
    json: { type: "boolean", description: "Print JSON" },
    sandboxed: {
      type: "boolean",
      description:
        "Also show a zu run --sandboxed run: the jail inside the container and the egress-proxy sidecar (widened for live clearance unless --clearance-hold off)",
    },
    ...SECRET_FLAGS,
    ...CLEARANCE_FLAGS,
  },
  examples: [
    "zu explain-permissions my-agent",
    "zu explain-permissions my-agent --mode offline --json",
    "zu explain-permissions my-agent --bind GH:placeholder:api.github.com:GH_TOKEN",
  ],
  run: async (ctx) => {
    const agent = await loadAgent(ctx.io, ctx.positionals[0]);
    const mode = str(ctx, "mode") === "offline" ? "offline" : "live";
    let { perms } = await permissionsFor(ctx.io, agent, { mode, resolve: bool(ctx, "resolve") });
    await using settings = await secretSettingsOf(ctx);
    const hosts = interceptHosts(settings.bindings);
    if (mode === "live" && hosts.length) {
      perms = withInterceptGrants(perms, {
        proxy: "planned",
        hosts,
        placeholders: placeholderVariables(settings.bindings),
      });
    }
    const clearance = clearanceOf(mode, clearanceHoldOf(ctx));
    const command = [
      "deno",
      "run",
      ...perms.flags,
      JAIL_ENTRY.pathname,
      "--agent",
      agent.file,
      "--mode",
      mode,
    ];
    const sandboxed = bool(ctx, "sandboxed") && mode === "live"
      ? await sandboxedView(ctx.io, agent, clearanceHoldOf(ctx))
      : null;
    const eventLog = eventLogOf(ctx.io, agent);
    if (bool(ctx, "json")) {
      printJson(ctx.io, {
        agent: agent.file,
        mode,
        flags: perms.flags,
        explain: perms.explain,
        command,
        clearance,
        ...(sandboxed ? { sandboxed } : {}),
        ...(eventLog ? { event_log: eventLog } : {}),
      });
      return 0;
    }
    ctx.io.stdout(`Agent: ${agent.file}\nMode:  ${mode}\n\nFlags:\n`);
    for (const f of perms.flags) ctx.io.stdout(`  ${f}\n`);
    ctx.io.stdout(`\nWhy:\n`);
    for (const e of perms.explain) {
      ctx.io.stdout(`  ${e.flag}${e.value ? ` ${e.value}` : ""}\n      ${e.why}\n`);
    }
    ctx.io.stdout(
      `\nClearance:\n  ${clearance.hold === "off" ? "off" : `hold ${clearance.hold}`}\n`,
    );
    ctx.io.stdout(`      ${clearance.how}\n`);
    if (sandboxed) printSandboxed(ctx.io, sandboxed);
    if (eventLog) printEventLog(ctx.io, eventLog);
    return 0;
  },
};

/** The host process's grants for the agent's `event_sink` (the jailed child gets none). */
function eventLogOf(io: CliIo, agent: LoadedAgent) {
  const cfg = agent.config.event_sink;
  if (!cfg) return null;
  return { driver: cfg.driver, ...sinkHostGrants(cfg, { dir: agent.dir, env: (k) => io.env(k) }) };
}

function printEventLog(io: CliIo, log: NonNullable<ReturnType<typeof eventLogOf>>): void {
  io.stdout(
    `\nEvent log (driver "${log.driver}"${
      log.url ? `, ${log.url}` : ""
    }): the host process opens it and appends the child's events; the child gets none of these:\n`,
  );
  if (log.missing) io.stdout(`  (${log.missing})\n`);
  for (const e of log.explain) io.stdout(`  ${e.flag}=${e.value}\n      ${e.why}\n`);
}

/** The run's live clearance, as `explain-permissions` shows it. */
export interface ClearanceExplained {
  /** `"off"`, or the hold as `"25s"`. */
  hold: string;
  /** The hold in ms (0 when off). */
  hold_ms: number;
  /** Whether the child's fetch to an ungranted host is relayed to the host (live, hold not off). */
  relay: boolean;
  /** The child's `--allow-net` never changes during the run: always true. */
  allow_net_unchanged: true;
  /** One sentence: how a cleared host becomes reachable. */
  how: string;
}

function clearanceOf(mode: "live" | "offline", hold: number | "off"): ClearanceExplained {
  const ms = hold === "off" ? 0 : hold;
  const relay = mode === "live" && ms > 0;
  return {
    hold: ms === 0 ? "off" : `${ms / 1000}s`,
    hold_ms: ms,
    relay,
    allow_net_unchanged: true,
    how: relay
      ? `A fetch to a host --allow-net does not grant is relayed to the host and sent through the run's egress proxy (127.0.0.1), held there up to ${
        ms / 1000
      }s for an operator (zu pending, zu clear); an allowed host still passes every address check. The child's --allow-net stays exactly as above.`
      : mode === "live"
      ? "Off: a fetch to a host --allow-net does not grant is refused by Deno at once (runtime_permission)."
      : "Offline runs have no network: nothing is held or relayed.",
  };
}

async function sandboxedView(
  io: CliIo,
  agent: LoadedAgent,
  holdMs: number | "off",
) {
  const env = (k: string) => io.env(k);
  const { jailAgentOf } = await import("../runner/jail/jail_agent.ts");
  const { explainSandboxed } = await import("../runner/contained/explain_sandboxed.ts");
  return explainSandboxed(await jailAgentOf(agent.config, { env }), { holdMs, env });
}

function printSandboxed(io: CliIo, x: Awaited<ReturnType<typeof sandboxedView>>): void {
  io.stdout(
    `\nSandboxed (zu run --sandboxed), live clearance ${
      x.clearance.widened ? `on (hold ${x.clearance.hold_ms} ms)` : "off"
    }:\n\nJail in the container:\n`,
  );
  for (const f of x.jail.flags) io.stdout(`  ${f}\n`);
  const widened = x.jail.explain.filter((e) => e.why.startsWith("live clearance"));
  for (const e of widened) io.stdout(`      ${e.flag}: ${e.why}\n`);
  io.stdout(
    `\nEgress-proxy sidecar (allowlist: ${x.sidecar.allowlist.join(", ") || "none"}${
      x.clearance.widened ? "; any other host is held for an operator" : ""
    }):\n`,
  );
  for (const f of x.sidecar.flags) io.stdout(`  ${f}\n`);
  io.stdout(`\nWhy (sidecar):\n`);
  for (const e of x.sidecar.explain) {
    io.stdout(`  ${e.flag}${e.value ? ` ${e.value}` : ""}\n      ${e.why}\n`);
  }
}
