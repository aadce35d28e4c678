/**
 * Runs an agent in the Deno permission jail: computes the flags, resolves the declared names
 * (live), starts the child and appends each event it emits to the caller's sink as it arrives.
 * The child's answer is checked at the boundary and typed by mode.
 *
 * @example
 * ```ts ignore
 * import { permissionsFor, runJailed } from "./jailed.ts";
 * const host = { env: (k: string) => Deno.env.get(k), stderr: (t: string) => console.error(t) };
 * const { perms } = await permissionsFor(host, agent, { mode: "offline" });
 * const run = await runJailed(host, agent, { mode: "offline", perms, sink: null, input: bundleText });
 * console.log(run.result.result.status, run.result.unused.length);
 * ```
 * @module
 */
import {
  APPROVAL_RESOLVED,
  DEFENSE_BLOCKED,
  EGRESS_CLEARANCE,
  EGRESS_CREDENTIAL,
  EGRESS_PENDING,
  EGRESS_SECRET_ECHO,
  type Event,
  newEvent,
  RUN_RESUMED,
} from "../core/events.ts";
import { errorOfCode, Interrupted, RunFailure, UserError } from "../core/errors.ts";
import { failureEvent } from "../core/failure_event.ts";
import type { EventSink } from "../core/types.ts";
import type { AgentConfig, AgentRegistries } from "../agent/config.ts";
import { runInJail } from "./jail/child_runner.ts";
import { refuseEventLogEnv } from "./jail/event_log_env.ts";
import type { JailOutcome } from "./jail/child_runner.ts";
import type { SandboxRunCost } from "./sandbox_meter_book.ts";
import { type JailMode, type JailResults, parseJailResult } from "./jail/jail_result.ts";
import type { ToolCallMessage, ToolResultMessage } from "./jail/protocol.ts";
import { confinedAgentDir } from "./jail/agent_dir.ts";
import { jailAgentOf } from "./jail/jail_agent.ts";
import {
  type BrokerAddress,
  computeRunPermissions,
  type JailAgent,
  type RunPermissions,
} from "./jail/permission_flags.ts";
import type { BrokerReport, RunBroker } from "./run_broker.ts";
import { type ClearanceReport, clearanceReportEvent } from "./clearance/clearance_report.ts";
import type { RunClearance } from "./clearance/run_clearance.ts";

/** What a run needs from its host process: environment, output for stray text, cancellation. */
export interface RunHost {
  /** Reads an environment variable (provider keys and base URLs); `undefined` when unset. */
  env(name: string): string | undefined;
  /** Receives the child's non-protocol output. */
  stderr(text: string): void;
  /** Cancels the run. */
  signal?: AbortSignal;
}

/** An agent file and its checked configuration (the CLI's loaded agent is one). */
export interface RunnableAgent {
  /** The agent file (`agent.yaml`). */
  file: string;
  /** The checked configuration. */
  config: AgentConfig;
}

/** The child program. */
export const JAIL_ENTRY: URL = new URL("./jail/jail_entry.ts", import.meta.url);

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
  /** The registries the agent is resolved against (providers declare their endpoint). */
  registries?: AgentRegistries;
  /**
   * The run's model broker (see `run_broker.ts`): its address, `"planned"` when it is not started
   * yet (the flags show `127.0.0.1:<port>`), or `"none"` to grant the providers' hosts and key
   * variables directly. Default: `"planned"` for live runs.
   */
  broker?: BrokerAddress | "planned" | "none";
  /** The jail's view of the agent, when the caller computed it already ({@link jailFor}). */
  jail?: JailAgent;
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
      // Unresolvable now: an empty answer (no address is granted) tells the child that this
      // declared name failed DNS, so it reports dns_failed, not a jail refusal.
      out[host] = [];
    }
  }
  return out;
}

/** The jail's view of an agent and the permissions of one run. */
export interface JailPermissions {
  /** The agent as the jail sees it. */
  jail: JailAgent;
  /** The computed flags. */
  perms: RunPermissions;
  /** The host's answers for the declared names (live with `resolve`), handed to the child. */
  dns: Record<string, string[]>;
}

/** The jail's description of `agent` and the permissions a run in `mode` gets. */
export async function permissionsFor(
  host: Pick<RunHost, "env">,
  agent: RunnableAgent,
  options: PermissionsForOptions,
): Promise<JailPermissions> {
  const env = (k: string) => host.env(k);
  const jail = options.jail ?? await jailFor(host, agent, options);
  const broker = options.broker ?? "planned";
  const base = { mode: options.mode, env, ...(broker !== "none" ? { broker } : {}) };
  let perms = computeRunPermissions(jail, base);
  refuseEventLogEnv(perms.env, agent.config.event_sink, env);
  let dns: Record<string, string[]> = {};
  if (options.mode === "live" && options.resolve && perms.net.length) {
    dns = await resolveNames(perms.net);
    perms = computeRunPermissions(jail, { ...base, resolved: dns });
  }
  return { jail, perms, dns };
}

/** The jail's view of `agent` (tools' egress, target, providers), its directory confined. */
export async function jailFor(
  host: Pick<RunHost, "env">,
  agent: RunnableAgent,
  options: Pick<PermissionsForOptions, "providerOnly" | "registries"> = {},
): Promise<JailAgent> {
  let jail = await jailAgentOf(agent.config, {
    env: (k) => host.env(k),
    ...(options.registries ? { registries: options.registries } : {}),
  });
  // Reads are granted on real paths only, and no link may lead out of the agent directory.
  jail = { ...jail, agentDir: await confinedAgentDir(jail.agentDir) };
  if (options.providerOnly) jail = { ...jail, tools: [], target: null, allowedDomains: [] };
  return jail;
}

/** Options of {@link runJailed}. */
export interface RunJailedOptions<M extends JailMode = JailMode> {
  /** `live`, `offline` or `harden`. */
  mode: M;
  /** The permissions (from {@link permissionsFor}). */
  perms: RunPermissions;
  /** Pinned DNS answers for the child (live). */
  dns?: Record<string, string[]>;
  /** The event log to append to, opened by the caller after every check; null keeps events in memory only. */
  sink: EventSink | null;
  /** Options handed to the child as JSON. */
  childOptions?: Record<string, unknown>;
  /**
   * Options handed to the child on its first stdin line (never on its argv, which every local
   * user can read; no size limit): a resumed run's events. Default none.
   */
  stdinOptions?: Record<string, unknown>;
  /** Text for the child's stdin (a decrypted bundle). */
  input?: string;
  /** Called for each event after it was stored. */
  onEvent?: (e: Event) => void;
  /** Called for each progress report of the child. */
  onProgress?: (done: number, total: number) => void;
  /** Runs the host-executed (tier-2) tools the child asks for (see `host_tools.ts`). */
  onToolCall?: (call: ToolCallMessage) => Promise<ToolResultMessage>;
  /**
   * The run's model broker (`startRunBroker`): the child is told its routes and phantom, and each
   * of its reports becomes a `harness.egress.credential` (or `secret_echo`) event on the run's
   * task. The caller starts and stops it, and computed `perms` with its address.
   */
  broker?: Pick<RunBroker, "overrides" | "listen">;
  /**
   * Other host-side components whose reports become events on the run's task the same way (the
   * credential interceptor behind the jail's egress proxy, source `egress_proxy`).
   */
  reporters?: readonly RunReporter[];
  /**
   * Variables added to the child's environment, winning over the host's (the egress proxy, its
   * trust file, placeholders; never a real secret). Default none.
   */
  extraEnv?: Readonly<Record<string, string>>;
  /**
   * The run's live clearance (`openRunClearance`): named after the run's task as soon as the
   * child's first event names it, and each of its reports becomes a `harness.egress.pending` or
   * `harness.egress.clearance` event on the run's task. Default none.
   */
  clearance?: Pick<RunClearance, "listen" | "setRun">;
}

/** A host-side component whose reports become `harness.egress.*` events on the run's task. */
export interface RunReporter {
  /** The events' `source`: `model_broker`, `egress_proxy`. */
  source: string;
  /** Sets the receiver of its reports (earlier ones replayed); `() => {}` detaches. */
  listen(fn: (report: BrokerReport) => void): void;
}

/** The child's outcome plus the stored events. */
export interface JailedRun<M extends JailMode = JailMode> {
  /** The child's answer, checked and typed for its mode. */
  result: JailResults[M];
  /** Stored events, in order. */
  events: Event[];
  /** The raw outcome. */
  outcome: JailOutcome;
  /** What the sandboxes of host-run tools cost (live runs with a price table), else null/absent. */
  sandbox?: SandboxRunCost | null;
}

/** A report as an event on `task`: values never appear in reports (placeholders as hashes). */
function reportEvent(
  r: BrokerReport,
  source: string,
  task: { task_id: string; trace_id: string },
): Event {
  const echo = r.kind === "echo"
    ? source === "model_broker" ? { ...r.echo, mode: "route" } : { ...r.echo }
    : null;
  return newEvent({
    task_id: task.task_id,
    trace_id: task.trace_id,
    type: r.kind === "credential" ? EGRESS_CREDENTIAL : EGRESS_SECRET_ECHO,
    source,
    payload: echo ?? { ...(r as { use: object }).use },
  });
}

/** Events only the host writes: a human's verdict, the claim on a resume, the clearance desk's. */
const HOST_ONLY_TYPES: readonly string[] = [
  APPROVAL_RESOLVED,
  RUN_RESUMED,
  EGRESS_PENDING,
  EGRESS_CLEARANCE,
];

/**
 * Why a child's event is refused, or null: a verdict or a resume claim (the host's alone), or, on
 * a live run, an event of another task than the run's (no child writes into another run's log).
 */
function forgery(e: Event, mode: JailMode, task: { task_id: string }): string | null {
  if (HOST_ONLY_TYPES.includes(e.type)) {
    return `the jailed child wrote a "${e.type}" event; only the host writes verdicts`;
  }
  if (mode === "live" && e.task_id !== task.task_id) {
    return `the jailed child wrote a "${e.type}" event of another run`;
  }
  return null;
}

function taskOfResult(result: unknown): { task_id: string; trace_id: string } | null {
  const id = (result as { task_id?: unknown } | undefined)?.task_id;
  return typeof id === "string" && id ? { task_id: id, trace_id: id } : null;
}

/** Runs the agent in a jailed child and stores its events. Child user errors become `UserError`s. */
export async function runJailed<M extends JailMode>(
  host: RunHost,
  agent: Pick<RunnableAgent, "file">,
  options: RunJailedOptions<M>,
): Promise<JailedRun<M>> {
  const events: Event[] = [];
  // Every append goes through one chain: the broker's reports arrive between the child's events.
  let chain: Promise<unknown> = Promise.resolve();
  const store = (e: Event): Promise<void> => {
    const next = chain.then(async () => {
      const stored = options.sink ? await options.sink.append(e) : e;
      events.push(stored);
      options.onEvent?.(stored);
    });
    chain = next;
    next.catch(() => {}); // surfaces at the child's next event or at the end
    return next;
  };
  let task: { task_id: string; trace_id: string } | null = null;
  const early: [BrokerReport, string][] = [];
  const reporters: RunReporter[] = [
    ...(options.broker
      ? [{
        source: "model_broker",
        listen: (fn: (r: BrokerReport) => void) => options.broker!.listen(fn),
      }]
      : []),
    ...(options.reporters ?? []),
  ];
  for (const { source, listen } of reporters) {
    listen((r) => {
      if (task === null) early.push([r, source]);
      else store(reportEvent(r, source, task));
    });
  }
  const clearance = options.clearance;
  const earlyClearance: ClearanceReport[] = [];
  clearance?.listen((r) => {
    if (task === null) earlyClearance.push(r);
    else store(clearanceReportEvent(r, task));
  });
  // The child opens the agent file by its real path: the read grant names real paths only.
  const file = await Deno.realPath(agent.file).catch(() => agent.file);
  const args = ["--agent", file, "--mode", options.mode];
  if (options.dns && Object.keys(options.dns).length) {
    args.push("--dns", JSON.stringify(options.dns));
  }
  if (options.childOptions) args.push("--options", JSON.stringify(options.childOptions));
  // The phantom goes on stdin: a child's argv is readable by every local user.
  const preamble = options.broker || options.stdinOptions
    ? JSON.stringify({
      ...(options.broker ? { models: options.broker.overrides } : {}),
      ...options.stdinOptions,
    })
    : undefined;
  if (preamble !== undefined) args.push("--stdin-options");
  const outcome = await runInJail(JAIL_ENTRY, args, options.perms, {
    denoPath: denoBinary(),
    ...(options.extraEnv ? { extraEnv: options.extraEnv } : {}),
    ...(host.signal ? { signal: host.signal } : {}),
    ...(options.input !== undefined ? { input: options.input } : {}),
    onOutput: (line) => host.stderr(`${line}\n`),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onToolCall ? { onToolCall: options.onToolCall } : {}),
    ...(preamble !== undefined ? { preamble } : {}),
    onEvent: async (e) => {
      if (task === null) {
        task = { task_id: e.task_id, trace_id: e.trace_id };
        clearance?.setRun(task.task_id);
        for (const [r, source] of early.splice(0)) store(reportEvent(r, source, task));
        for (const r of earlyClearance.splice(0)) store(clearanceReportEvent(r, task));
      }
      const forged = forgery(e, options.mode, task);
      if (forged !== null) {
        // Recorded on the run's own task, with no field of the forged event's payload.
        await store(newEvent({
          task_id: task.task_id,
          trace_id: task.trace_id,
          type: DEFENSE_BLOCKED,
          source: "jail",
          payload: { kind: "forged_event", tool: null, detail: forged },
        }));
        return;
      }
      await store(e);
    },
  });
  for (const { listen } of reporters) listen(() => {}); // later reports are not this run's
  clearance?.listen(() => {});
  if (early.length || earlyClearance.length) {
    const id = task ?? taskOfResult(outcome.result);
    if (id) {
      for (const [r, source] of early.splice(0)) store(reportEvent(r, source, id));
      for (const r of earlyClearance.splice(0)) store(clearanceReportEvent(r, id));
    }
  }
  await chain;
  // A run the child could not end itself (killed, interrupted) still ends in the log.
  const ended = async (err: Error): Promise<Error> => {
    const end = failureEvent(events, err);
    if (end === null) return err;
    try {
      const stored = options.sink ? await options.sink.append(end) : end;
      events.push(stored);
      options.onEvent?.(stored);
    } catch {
      // err says more than a sink that also failed
    }
    return err;
  };
  if (outcome.error) {
    const rebuilt = errorOfCode(outcome.error.code, outcome.error.message);
    if (rebuilt) throw await ended(rebuilt);
    if (outcome.error.user) throw await ended(new UserError("usage", outcome.error.message));
    throw new Error(
      `The jailed child failed: ${outcome.error.message}\n${outcome.error.stack ?? ""}`,
    );
  }
  if (outcome.result === undefined) {
    if (host.signal?.aborted) {
      // A reason that is a run failure (a `block-and-terminate` violation) ends the run as such.
      const why = host.signal.reason;
      throw await ended(why instanceof RunFailure ? why : new Interrupted());
    }
    throw new Error(
      `The jailed child exited with code ${outcome.code} and no result:\n${outcome.stderr.trim()}`,
    );
  }
  return { result: parseJailResult(options.mode, outcome.result), events, outcome };
}
