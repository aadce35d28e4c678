/**
 * `zu explain-permissions [agent]`: print the exact Deno flags a jailed run of the agent gets,
 * and why each one is there. With `inject`/`placeholder` bindings (the secret flags, or the
 * operator's file), it also shows the run's egress proxy and the placeholder variables the child
 * may read (nothing is resolved: no secret value is read).
 *
 * @module
 */
import { bool, type CommandDef, printJson, str } from "./_command.ts";
import { loadAgent } from "./_agent.ts";
import { JAIL_ENTRY, permissionsFor } from "../runner/jailed.ts";
import { AGENT_ARG } from "./cmd_run.ts";
import { CLEARANCE_FLAGS } from "./_clearance_flags.ts";
import { SECRET_FLAGS, secretSettingsOf } from "./_secret_flags.ts";
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
    if (bool(ctx, "json")) {
      printJson(ctx.io, {
        agent: agent.file,
        mode,
        flags: perms.flags,
        explain: perms.explain,
        command,
      });
      return 0;
    }
    ctx.io.stdout(`Agent: ${agent.file}\nMode:  ${mode}\n\nFlags:\n`);
    for (const f of perms.flags) ctx.io.stdout(`  ${f}\n`);
    ctx.io.stdout(`\nWhy:\n`);
    for (const e of perms.explain) {
      ctx.io.stdout(`  ${e.flag}${e.value ? ` ${e.value}` : ""}\n      ${e.why}\n`);
    }
    return 0;
  },
};
