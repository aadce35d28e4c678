/**
 * Runs an agent in the Deno permission jail for a command: computes the flags, resolves the
 * declared names (live), opens the event log only after every input was checked, and appends
 * each event the child emits to it as it arrives.
 *
 * @module
 */
import type { Event } from "../core/events.ts";
import { UserError, ZuError } from "../core/errors.ts";
import type { EventSink } from "../core/types.ts";
import { runInJail } from "../backends/permissions/child_runner.ts";
import type { JailOutcome } from "../backends/permissions/child_runner.ts";
import type { ToolCallMessage, ToolResultMessage } from "../backends/permissions/_protocol.ts";
import {
  computeRunPermissions,
  type JailAgent,
  type RunPermissions,
} from "../backends/permissions/permission_flags.ts";
import { jailAgentOf, type LoadedAgent } from "./_agent.ts";
import type { CliIo } from "./_io.ts";

/** The child program. */
export const JAIL_ENTRY: URL = new URL("../backends/permissions/jail_entry.ts", import.meta.url);

/**
 * The deno binary to start the child with: this process's own when it may run it, else `deno`
 * from PATH (what `--allow-run=deno` grants). A `UserError` says which flag is missing.
 */
export function denoBinary(): string {
  const exec = Deno.execPath();
  if (Deno.permissions.querySync({ name: "run", command: exec }).state === "granted") return exec;
  if (Deno.permissions.querySync({ name: "run", command: "deno" }).state === "granted") {
    return "deno";
  }
  throw new UserError(
    "run_permission_missing",
    `Cannot start the jailed child: this process may not run "${exec}"; start zu with --allow-run=deno (or --allow-run=${exec})`,
  );
}

/** Options of {@link permissionsFor}. */
export interface PermissionsForOptions {
  /** `live` or `offline`. */
  mode: "live" | "offline";
  /** Resolve declared names now and grant their addresses (live runs). Default false. */
  resolve?: boolean;
  /** Only the provider's host (tools replay from a bundle: `harden --model live`). */
  providerOnly?: boolean;
}

async function resolveNames(hosts: string[]): Promise<Record<string, string[]>> {
  const { systemResolver } = await import("../core/net_guard.ts");
  const { parseIpLiteral } = await import("../core/host_normalize.ts");
  const out: Record<string, string[]> = {};
  for (const entry of hosts) {
    const host = entry.startsWith("[") ? "" : entry.split(":")[0] ?? "";
    if (!host || host.startsWith("*") || parseIpLiteral(host) !== null || out[host]) continue;
    try {
      out[host] = await systemResolver(host);
    } catch {
      // unresolvable now: the child will be refused and say so
    }
  }
  return out;
}

/** The jail's description of `agent` and the permissions a run in `mode` gets. */
export async function permissionsFor(
  io: CliIo,
  agent: LoadedAgent,
  options: PermissionsForOptions,
): Promise<{ jail: JailAgent; perms: RunPermissions; dns: Record<string, string[]> }> {
  let jail = await jailAgentOf(io, agent);
  if (options.providerOnly) jail = { ...jail, tools: [], target: null, allowedDomains: [] };
  const env = (k: string) => io.env(k);
  let perms = computeRunPermissions(jail, { mode: options.mode, env });
  let dns: Record<string, string[]> = {};
  if (options.mode === "live" && options.resolve && perms.net.length) {
    dns = await resolveNames(perms.net);
    perms = computeRunPermissions(jail, { mode: options.mode, env, resolved: dns });
  }
  return { jail, perms, dns };
}

/** Options of {@link runJailed}. */
export interface RunJailedOptions {
  /** `live`, `offline` or `harden`. */
  mode: "live" | "offline" | "harden";
  /** The permissions (from {@link permissionsFor}). */
  perms: RunPermissions;
  /** Pinned DNS answers for the child (live). */
  dns?: Record<string, string[]>;
  /** The event log to append to, opened by the caller after every check; null keeps events in memory only. */
  sink: EventSink | null;
  /** Options handed to the child as JSON. */
  childOptions?: Record<string, unknown>;
  /** Text for the child's stdin (a decrypted bundle). */
  input?: string;
  /** Called for each event after it was stored. */
  onEvent?: (e: Event) => void;
  /** Called for each progress report of the child. */
  onProgress?: (done: number, total: number) => void;
  /** Runs the host-executed (tier-2) tools the child asks for (see `_host_tools.ts`). */
  onToolCall?: (call: ToolCallMessage) => Promise<ToolResultMessage>;
}

/** The child's outcome plus the stored events. */
export interface JailedRun {
  /** The child's result message. */
  result: Record<string, unknown>;
  /** Stored events, in order. */
  events: Event[];
  /** The raw outcome. */
  outcome: JailOutcome;
}

/** Runs the agent in a jailed child and stores its events. Child user errors become `UserError`s. */
export async function runJailed(
  io: CliIo,
  agent: LoadedAgent,
  options: RunJailedOptions,
): Promise<JailedRun> {
  const events: Event[] = [];
  const args = ["--agent", agent.file, "--mode", options.mode];
  if (options.dns && Object.keys(options.dns).length) {
    args.push("--dns", JSON.stringify(options.dns));
  }
  if (options.childOptions) args.push("--options", JSON.stringify(options.childOptions));
  const outcome = await runInJail(JAIL_ENTRY, args, options.perms, {
    denoPath: denoBinary(),
    ...(io.signal ? { signal: io.signal } : {}),
    ...(options.input !== undefined ? { input: options.input } : {}),
    onOutput: (line) => io.stderr(`${line}\n`),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onToolCall ? { onToolCall: options.onToolCall } : {}),
    onEvent: async (e) => {
      const stored = options.sink ? await options.sink.append(e) : e;
      events.push(stored);
      options.onEvent?.(stored);
    },
  });
  if (outcome.error) {
    if (outcome.error.user) throw new UserError(outcome.error.code, outcome.error.message);
    if (outcome.error.code !== "bug") throw new ZuError(outcome.error.code, outcome.error.message);
    throw new Error(
      `The jailed child failed: ${outcome.error.message}\n${outcome.error.stack ?? ""}`,
    );
  }
  if (outcome.result === undefined) {
    if (io.signal?.aborted) throw new UserError("interrupted", "Interrupted");
    throw new Error(
      `The jailed child exited with code ${outcome.code} and no result:\n${outcome.stderr.trim()}`,
    );
  }
  return { result: outcome.result as Record<string, unknown>, events, outcome };
}
