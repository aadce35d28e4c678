/**
 * `zu doctor`: what this machine can do: Deno version, Docker, images, keys, whether this
 * process may start jailed children, the PostgreSQL event log (connection and schema version,
 * when an agent or `ZU_PG_URL` names one), and the permissions `zu run` would grant.
 *
 * @module
 */
import { bool, type CommandDef, printJson } from "./_command.ts";
import { findAgentFile, loadAgent } from "./_agent.ts";
import {
  dockerEndpoint,
  dockerGet,
  dockerWhere,
  endpointDetail,
  pingDockerFailure,
} from "./_docker.ts";
import type { CliIo } from "./_io.ts";
import type { EventSinkConfig } from "../core/types.ts";
import { permissionsFor } from "../runner/jailed.ts";
import { postgresChecks } from "./_pg_doctor.ts";
import { VERSION } from "./version.ts";

/** One check. */
export interface Check {
  /** What was checked. */
  name: string;
  /** ok, warn (works without it) or fail (zu cannot work). */
  status: "ok" | "warn" | "fail";
  /** One line. */
  detail: string;
}

/** The images zu uses, by tag. */
export function zuImages(): string[] {
  return [`zu-runtime:${VERSION}`, `zu-attack:${VERSION}`, `zu-browser:${VERSION}`];
}

function denoCheck(): Check {
  const [major = 0, minor = 0] = Deno.version.deno.split(".").map(Number);
  const ok = major > 2 || (major === 2 && minor >= 9);
  return {
    name: "deno",
    status: ok ? "ok" : "fail",
    detail: `${Deno.version.deno} (V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript})${
      ok ? "" : "; zu needs Deno 2.9 or newer (npx -y deno@2.9.6 ...)"
    }`,
  };
}

async function dockerChecks(io: CliIo): Promise<Check[]> {
  const failed = await pingDockerFailure(io);
  const where = endpointDetail(io);
  const endpoint: Check[] = where === null || io.env("DOCKER_HOST") === undefined
    ? []
    : [{ name: "docker endpoint", status: "ok", detail: where }];
  if (failed) {
    return [...endpoint, {
      name: "docker",
      // A configured endpoint that is wrong (bad value, TLS failure) is a failure to fix.
      status: failed.error ? "fail" : "warn",
      detail:
        `${failed.why}; sandbox commands and Docker tests are unavailable (everything offline still works)`,
    }];
  }
  const checks: Check[] = [...endpoint];
  const version = await dockerGet(io, "/version").catch(() => null);
  const v = version?.body as { Version?: string; ApiVersion?: string } | undefined;
  checks.push({
    name: "docker",
    status: "ok",
    detail: `daemon at ${dockerWhere(dockerEndpoint(io))} answers${
      v?.Version ? ` (Engine ${v.Version}, API ${v.ApiVersion})` : ""
    }`,
  });
  for (const image of zuImages()) {
    const a = await dockerGet(io, `/images/${encodeURIComponent(image)}/json`).catch(() => null);
    const present = a?.status === 200;
    const hint = image.startsWith("zu-browser")
      ? "zu sandbox image build --browser"
      : image.startsWith("zu-attack")
      ? "built by .ci/run for the attack tests"
      : "zu sandbox image build";
    checks.push({
      name: "image",
      status: present ? "ok" : "warn",
      detail: present ? `${image} present` : `${image} missing; build it with "${hint}"`,
    });
  }
  return checks;
}

function keyChecks(io: CliIo): Check[] {
  const set = (k: string) => (io.env(k) ?? "") !== "";
  const event = set("ZU_EVENT_KEY") ||
    Object.keys(io.envWithPrefix("ZU_EVENT_KEY_")).some((k) => k !== "ZU_EVENT_KEY_ID");
  const out: Check[] = [
    {
      name: "keys",
      status: event ? "ok" : "warn",
      detail: event
        ? "event-log encryption key set (ZU_EVENT_KEY...)"
        : "ZU_EVENT_KEY not set: event logs with encryption: aesgcm cannot be written or read",
    },
    {
      name: "keys",
      status: set("ZU_FIXTURE_KEY") ? "ok" : "warn",
      detail: set("ZU_FIXTURE_KEY")
        ? "ZU_FIXTURE_KEY set: capture bundles are encrypted"
        : "ZU_FIXTURE_KEY not set: capture bundles are written in plain JSON",
    },
  ];
  for (const k of ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]) {
    out.push({
      name: "keys",
      status: set(k) ? "ok" : "warn",
      detail: `${k} ${set(k) ? "set" : "not set (needed only for live runs on that provider)"}`,
    });
  }
  return out;
}

function jailCheck(): Check {
  const exec = Deno.execPath();
  const can = Deno.permissions.querySync({ name: "run", command: exec }).state === "granted" ||
    Deno.permissions.querySync({ name: "run", command: "deno" }).state === "granted";
  return {
    name: "jail",
    status: can ? "ok" : "warn",
    detail: can
      ? "this process may start jailed children (zu run, replay, harden)"
      : `this process may not run "${exec}": start zu with --allow-run=deno to use run, replay and harden`,
  };
}

/** `zu doctor`. */
export const doctorCommand: CommandDef = {
  name: "doctor",
  summary: "Check Deno, Docker, images, keys, and the permissions zu run would grant",
  positionals: [{
    name: "agent",
    description: "Also show this agent's permissions (default: ./agent.yaml when present)",
    optional: true,
  }],
  flags: { json: { type: "boolean", description: "Print JSON" } },
  run: async (ctx) => {
    const io = ctx.io;
    const checks: Check[] = [
      denoCheck(),
      ...(await dockerChecks(io)),
      ...keyChecks(io),
      jailCheck(),
    ];
    let permissions: { agent: string; flags: string[] } | null = null;
    let agentArg = ctx.positionals[0];
    if (agentArg === undefined) {
      try {
        findAgentFile(io, ".");
        agentArg = ".";
      } catch {
        agentArg = undefined;
      }
    }
    let eventSink: EventSinkConfig | null = null;
    if (agentArg !== undefined) {
      const agent = await loadAgent(io, agentArg);
      const { perms } = await permissionsFor(io, agent, { mode: "live" });
      permissions = { agent: agent.file, flags: perms.flags };
      eventSink = agent.config.event_sink;
    }
    checks.push(...await postgresChecks(io, eventSink));
    const failed = checks.some((c) => c.status === "fail");
    if (bool(ctx, "json")) {
      printJson(io, { ok: !failed, version: VERSION, checks, permissions });
    } else {
      io.stdout(`zu ${VERSION}\n`);
      for (const c of checks) {
        io.stdout(`${c.status.padEnd(4)}  ${c.name.padEnd(6)}  ${c.detail}\n`);
      }
      if (permissions) {
        io.stdout(`\nzu run ${agentArg} would start the agent with:\n`);
        for (const f of permissions.flags) io.stdout(`  ${f}\n`);
        io.stdout(`(why: zu explain-permissions ${agentArg})\n`);
      } else {
        io.stdout(
          `\nPass an agent to see the permissions zu run would grant it: zu doctor <agent>\n`,
        );
      }
    }
    return failed ? 1 : 0;
  },
};
