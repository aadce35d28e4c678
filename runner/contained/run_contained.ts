/**
 * `runSandboxed`: one live agent run inside the runtime container (via {@link SandboxLauncher})
 * AND, inside the container, under the Deno permission jail: the contained process is
 * `deno run --no-prompt --cached-only <the computed flags> jail_entry.ts`, a copy of the agent
 * directory is mounted read-only at `/agent`, `ZU_SANDBOXED=1` makes `http_fetch` go through
 * the egress proxy, and the proxy's allowlist is exactly the jail's `--allow-net` hosts (the tools'
 * declared egress plus the model provider's host). The jail child's event lines stream back and
 * land in the host's sink as they happen; every proxy decision is recorded there as
 * `harness.egress.observed`.
 *
 * @example
 * ```ts ignore
 * import { runSandboxed } from "./run_contained.ts";
 * import { SqliteSink } from "../../sinks/sqlite/mod.ts";
 * await using sink = await SqliteSink.open("events.db");
 * const run = await runSandboxed("agents/shop/agent.yaml", { sink, timeoutMs: 5 * 60_000 });
 * console.log(run.result.result.status, run.events.length, run.outcome.proxyDecisions.length);
 * ```
 * @module
 */
import type Dockerode from "dockerode";
import { EGRESS_OBSERVED, type Event, newEvent } from "../../core/events.ts";
import { errorOfCode, RunFailure, UserError } from "../../core/errors.ts";
import { failureEvent } from "../../core/failure_event.ts";
import type { AgentLauncher, EventSink } from "../../core/types.ts";
import type { Resolver } from "../../core/net_guard.ts";
import type { DockerClient } from "../../backends/docker/docker_client.ts";
import { jailAgentOf } from "../jail/jail_agent.ts";
import { checkSandboxModelUrls } from "./sandbox_model_url.ts";
import type { JailAgent, RunPermissions } from "../jail/permission_flags.ts";
import { type LiveChildResult, parseJailResult } from "../jail/jail_result.ts";
import {
  type ContainedIntercept,
  providerKeyEnvs,
  type StartContainedBroker,
} from "./contained_broker.ts";
import { type ContainedSecrets, startContainedSecrets } from "./_contained_secrets.ts";
import { RecordingSink } from "./_recording_sink.ts";
import { CredentialReports } from "./_credential_reports.ts";
import type { ContainedBrokerOptions, ContainedInterceptOptions } from "./contained_vault.ts";
import { brokerOf, interceptOf } from "./_secret_ports.ts";
import type { InterceptSettings } from "../run_interceptor.ts";
import { stageAgentDir } from "./_stage_agent.ts";
import {
  checkSandbox,
  type CheckSandboxOptions,
  dockerClient,
  preflight,
} from "./sandbox_preflight.ts";

export { checkSandbox, type CheckSandboxOptions };
import { BROKER_HOST } from "../../backends/egress/sidecar_forward.ts";
import {
  CONTAINMENT_ENV_KEYS,
  SANDBOX_AGENT_DIR,
  sandboxedPermissions,
} from "./sandboxed_permissions.ts";
import type { RunClearance } from "../clearance/run_clearance.ts";
import { type ContainedClearance, startContainedClearance } from "./_contained_clearance.ts";
import { createHostSocketDir, type HostSockets, removeHostSocketDir } from "./host_sockets.ts";
import { parseHostPattern } from "../../core/host_pattern.ts";
import {
  DEFAULT_LAUNCHER_IMAGE,
  type LaunchOutcome,
  SandboxLauncher,
  type SandboxLauncherOptions,
} from "./sandbox_launcher.ts";

export { SANDBOX_AGENT_DIR, sandboxedPermissions };

/** Options of {@link runSandboxed}. */
export interface RunSandboxedOptions {
  /** The host's canonical sink: every event of the run lands here as it happens. Required. */
  sink: EventSink;
  /** The run's timeout: the container is killed after this long. Required. */
  timeoutMs: number;
  /** The agent as the jail sees it. Default: loaded from the agent file. */
  jail?: JailAgent;
  /** Reads the host's environment (provider keys and base URLs). Default `Deno.env.get`. */
  env?: (name: string) => string | undefined;
  /** Replay a matching `track.json` (the child only replays; the caller records). Default true. */
  track?: boolean;
  /** dockerode client. Default: `/var/run/docker.sock` (or `DOCKER_HOST`). */
  docker?: DockerClient;
  /** The runtime image. Default `zu-runtime:0.1.0`. */
  image?: string;
  /** Where zu's sources are in the image. Default `/opt/zu`. */
  zuRoot?: string;
  /** A host checkout of zu bind-mounted read-only at `zuRoot` (agent and proxy). Default none. */
  zuSourceBind?: string;
  /** Non-global CIDRs the proxy lets through (internal services, test networks). Default none. */
  allowCidrs?: readonly string[];
  /** Networks the proxy also joins (internal services, test networks). Default none. */
  proxyNetworks?: readonly string[];
  /** Resolves allowlisted names once at start (host side). Default the system resolver. */
  resolver?: Resolver;
  /** Run id (the `zu.run` label of everything created). Default a fresh uuid. */
  runId?: string;
  /** Called for each stored event, in order. */
  onEvent?: (event: Event) => void;
  /** Each JSON line the proxy prints. */
  onProxyLine?: (line: Record<string, unknown>) => void;
  /** Non-protocol stdout and stderr text of the contained process. */
  onAgentOutput?: (text: string) => void;
  /** Cancels the run; everything is torn down. */
  signal?: AbortSignal;
  /**
   * Makes the launcher from the run's wiring (its sink and line callbacks). Default: a
   * {@link SandboxLauncher} on the Docker daemon, after checking that it answers and holds the
   * image. Tests pass a fake (`FakeAgentLauncher` in `@zu/zu/testing`).
   */
  launcher?: (wiring: LauncherWiring) => AgentLauncher;
  /**
   * Keeps the provider keys on the host (route mode): started with the run's routes (one per
   * provider with a URL and a key variable) and `<host socket dir>/broker.sock`; the container
   * gets the broker's phantom in each key variable, `http://zu-vault/r/<id>` as each base URL
   * (in the staged agent file) and no real key; the model host is not allowlisted at the
   * sidecar. A loopback model URL is allowed then. Default: the real model broker
   * (`modelBrokerStarter` of `./contained_vault.ts`) with the resolver of `secrets` (else the
   * host environment) and the run's `resolver`/`allowCidrs`, its reports stored as
   * `harness.egress.credential` / `secret_echo` events (source `model_broker`). `null`: none
   * (the old way: the real key in the container's env).
   */
  startBroker?: StartContainedBroker | null;
  /**
   * Inject/placeholder modes: the TLS interceptor on `<host socket dir>/intercept.sock`, the
   * sidecar's `--forward-connect` patterns, and the CA bundle mounted at `/zu/ca.pem` with the
   * CA variables set in the agent container. Default: the run's interceptor
   * (`startContainedIntercept`) when `secrets` has inject/placeholder bindings, its reports
   * stored as events (source `egress_proxy`); a misplaced placeholder under
   * `block-and-terminate` stops the agent container (a `security_block` failure). Else none.
   */
  intercept?: ContainedIntercept;
  /**
   * The operator's secret settings (`SecretSettings` of `./vault` fits): the resolver the
   * broker and interceptor use, the bindings and the violation action. Default none (keys from
   * the host environment, no inject/placeholder bindings).
   */
  secrets?: InterceptSettings;
  /** Test seams of the default broker: extra upstream roots, a name resolver. */
  brokerOptions?: Pick<ContainedBrokerOptions, "caCerts" | "resolveHost">;
  /** Test seams of the default interceptor: roots, DNS, local origins, CIDRs, system roots. */
  interceptOptions?: Pick<
    ContainedInterceptOptions,
    "caCerts" | "dnsResolver" | "localOrigins" | "allowCidrs" | "systemRootsPath"
  >;
  /**
   * Called once the agent container stopped, before anything is removed (tests export and
   * inspect the containers here).
   */
  beforeTeardown?: SandboxLauncherOptions["beforeTeardown"];
  /**
   * The run's live clearance (`openRunClearance`), on the host: the sidecar asks its desk over
   * `clearance.sock` in the host socket directory (bound into the sidecar only) about every host
   * the allowlist does not cover, with the run id fixed by the host; the desk's reports are
   * stored as `harness.egress.pending` / `harness.egress.clearance` events on the run's task, and
   * `setRun(task id)` names the run once the task is known. The sidecar's and the in-box jail's
   * `--allow-net` are widened (`backends/egress/clearance_grant.ts`). The caller opens and closes
   * it. Default none, or a hold of 0 (`--clearance-hold off`): as before, refused at once.
   */
  clearance?: RunClearance;
}

/** What a contained run hands its launcher: where the agent's events and lines go. */
export type LauncherWiring = Pick<
  SandboxLauncherOptions,
  | "sink"
  | "onAgentLine"
  | "onAgentText"
  | "onAgentStderr"
  | "onProxyLine"
  | "hostSockets"
  | "beforeTeardown"
>;

/** What a sandboxed run did. */
export interface SandboxedRun {
  /** The jail child's answer (`{result, task, task_id, model, replayed_track}`), checked. */
  result: LiveChildResult;
  /** The stored events (as the sink returned them), in order. */
  events: Event[];
  /** The launcher's outcome (exit code, proxy decisions, allowlist, ...). */
  outcome: LaunchOutcome;
  /** The jail flags used inside the container. */
  perms: RunPermissions;
  /** The run id (the `zu.run` label). */
  runId: string;
  /** The image the agent ran in. */
  image: string;
}

function hostEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

async function describeAgent(
  file: string,
  env: (name: string) => string | undefined,
): Promise<JailAgent> {
  const { loadAgentConfig } = await import("../../agent/config.ts");
  return jailAgentOf(await loadAgentConfig(file, { env }), { env });
}

/**
 * Runs the agent of `agentFile` (its agent.yaml, or a directory holding one) live, inside the
 * runtime container and, there, under the Deno permission jail. Resolves with the jail child's
 * result once the container exited and everything was torn down. Throws a `UserError` when
 * Docker or the image is missing or the agent is invalid, a `RunFailure` (`sandbox_timeout`) when
 * the run was killed at its timeout.
 */
export async function runSandboxed(
  agentFile: string,
  options: RunSandboxedOptions,
): Promise<SandboxedRun> {
  const env = options.env ?? hostEnv;
  let file = agentFile;
  try {
    if (Deno.statSync(file).isDirectory) file = `${file.replace(/\/$/, "")}/agent.yaml`;
  } catch {
    // loadAgentConfig reports the missing file
  }
  const jail = options.jail ?? await describeAgent(file, env);
  const reports = new CredentialReports();
  const startBroker = brokerOf(options, env, reports);
  checkSandboxModelUrls(agentFile, jail, env, { brokered: startBroker !== undefined });
  const name = file.slice(file.lastIndexOf("/") + 1);
  const image = options.image ?? DEFAULT_LAUNCHER_IMAGE;
  const zuRoot = options.zuRoot ?? "/opt/zu";
  let docker: Dockerode | null = null;
  if (!options.launcher) {
    docker = await dockerClient(options.docker, env);
    await preflight(docker, image, agentFile);
  }

  // A misplaced placeholder under block-and-terminate stops the agent container.
  const terminate = new AbortController();
  const intercept = await interceptOf(options, agentFile, reports, terminate);
  const stage = await stageAgentDir(jail.agentDir);
  let secrets: ContainedSecrets | null = null;
  const clearanceOn = options.clearance !== undefined && options.clearance.holdMs > 0;
  let ownDir: string | null = null;
  let cleared: ContainedClearance | null = null;
  try {
    secrets = await startContainedSecrets({
      stagedFile: `${stage}/${name}`,
      jail,
      env,
      startBroker,
      intercept,
    });
    let hostSockets: HostSockets | undefined = secrets?.hostSockets;
    if (clearanceOn) {
      const dir = secrets?.hostSockets.dir ?? (ownDir = await createHostSocketDir());
      cleared = await startContainedClearance(options.clearance!, dir);
      hostSockets = { ...(hostSockets ?? { dir }), clearance: cleared.socket };
    }
    const perms = sandboxedPermissions(secrets?.jail ?? jail, {
      env,
      ...(secrets ? { envKeys: secrets.envKeys } : {}),
      clearance: clearanceOn,
    });
    const childEnv = containerEnv(perms, env, secrets, {
      // With a broker, no provider key ever comes from the host's environment.
      neverCopy: startBroker ? providerKeyEnvs(jail) : new Set(),
    });
    return await launchStaged(stage, {
      options,
      command: jailCommand(perms, zuRoot, name, options.track ?? true),
      childEnv,
      perms,
      image,
      zuRoot,
      docker,
      agentFile,
      secrets,
      reports,
      hostSockets,
      cleared,
      terminate: terminate.signal,
    });
  } finally {
    await cleared?.close();
    if (ownDir !== null) await removeHostSocketDir(ownDir);
    await secrets?.close();
    await Deno.remove(stage, { recursive: true }).catch(() => {});
  }
}

/**
 * The agent container's variables: each permitted one from the host, except the containment
 * signals (the launcher sets them), those in `neverCopy` (provider keys under a broker) and
 * those the secrets replace (phantoms, route URLs); plus the secrets' own (CA, placeholders).
 */
function containerEnv(
  perms: RunPermissions,
  env: (name: string) => string | undefined,
  secrets: ContainedSecrets | null,
  options: { neverCopy: ReadonlySet<string> },
): Record<string, string> {
  const childEnv: Record<string, string> = { NO_COLOR: "1", DENO_DIR: "/tmp/.deno" };
  for (const k of perms.env) {
    if (CONTAINMENT_ENV_KEYS.includes(k)) continue;
    const replaced = secrets?.replaced.get(k);
    if (replaced !== undefined) {
      childEnv[k] = replaced;
      continue;
    }
    if (options.neverCopy.has(k)) continue;
    const v = env(k);
    if (v !== undefined) childEnv[k] = v;
  }
  return { ...childEnv, ...(secrets?.env ?? {}) };
}

function jailCommand(perms: RunPermissions, zuRoot: string, name: string, track: boolean) {
  return [
    "/usr/local/bin/deno",
    "run",
    ...perms.flags,
    "--config",
    `${zuRoot}/deno.json`,
    `${zuRoot}/runner/jail/jail_entry.ts`,
    "--agent",
    `${SANDBOX_AGENT_DIR}/${name}`,
    "--mode",
    "live",
    "--options",
    JSON.stringify({ track }),
  ];
}

/** Codes of a failed model or network call, where the proxy's refusals may be the cause. */
const NETWORK_FAILURES: ReadonlySet<string> = new Set([
  "network_policy",
  "provider_auth",
  "provider_error",
  "provider_timeout",
  "provider_unavailable",
  "fetch_failed",
]);

/**
 * The child's message of a failed network call, with what the egress proxy refused during the
 * run (host, port, reason), which the child cannot see through a refused CONNECT tunnel.
 */
function withProxyRefusals(
  message: string,
  code: string | undefined,
  decisions: readonly Record<string, unknown>[],
): string {
  if (code === undefined || !NETWORK_FAILURES.has(code)) return message;
  const refused = decisions.filter((d) => d.allowed === false && d.host);
  if (refused.length === 0) return message;
  const shown = [...new Set(refused.map((d) => `"${d.host}:${d.port}" (${d.reason})`))];
  return `${message}; the egress proxy refused ${shown.slice(0, 3).join(", ")}${
    shown.length > 3 ? ` and ${shown.length - 3} more` : ""
  }`;
}

async function launchStaged(stage: string, input: {
  options: RunSandboxedOptions;
  command: string[];
  childEnv: Record<string, string>;
  perms: RunPermissions;
  image: string;
  zuRoot: string;
  docker: Dockerode | null;
  agentFile: string;
  secrets: ContainedSecrets | null;
  reports: CredentialReports;
  hostSockets: HostSockets | undefined;
  cleared: ContainedClearance | null;
  terminate: AbortSignal;
}): Promise<SandboxedRun> {
  const { options, command, childEnv, perms, image, zuRoot, docker, agentFile, secrets, reports } =
    input;
  const cleared = input.cleared;
  const binds = [`${stage}:${SANDBOX_AGENT_DIR}`, ...(secrets?.binds ?? [])];
  if (options.zuSourceBind) binds.push(`${options.zuSourceBind}:${zuRoot}`);

  const sink = new RecordingSink(options.sink, (e) => {
    options.onEvent?.(e);
    reports.pump();
    cleared?.pump();
  });
  let result: unknown = undefined;
  let error: Record<string, unknown> | undefined;
  const wiring: LauncherWiring = {
    sink,
    ...(options.onProxyLine ? { onProxyLine: options.onProxyLine } : {}),
    ...(input.hostSockets ? { hostSockets: input.hostSockets } : {}),
    ...(options.beforeTeardown ? { beforeTeardown: options.beforeTeardown } : {}),
    onAgentLine: (line) => {
      if (line.zu_jail === "result") result = line.result;
      else if (line.zu_jail === "error") error = line;
      else options.onAgentOutput?.(`${JSON.stringify(line)}\n`);
    },
    ...(options.onAgentOutput
      ? {
        onAgentText: (t) => options.onAgentOutput?.(`${t}\n`),
        onAgentStderr: options.onAgentOutput,
      }
      : {}),
  };
  const launcher = options.launcher ? options.launcher(wiring) : new SandboxLauncher({
    ...wiring,
    ...(docker ? { docker } : {}),
    image,
    zuRoot,
    ...(options.zuSourceBind ? { zuSourceBind: options.zuSourceBind } : {}),
  });
  const runId = options.runId ?? crypto.randomUUID();
  reports.attach(sink, runId);
  cleared?.attach(sink);
  const signal = options.signal
    ? AbortSignal.any([options.signal, input.terminate])
    : input.terminate;
  // A run the container could not end itself (killed at its timeout) still ends in the log.
  const ended = async (err: Error): Promise<Error> => {
    await reports.drain().catch(() => {});
    await cleared?.drain().catch(() => {});
    const end = failureEvent(sink.stored, err);
    if (end !== null) await sink.append(end).catch(() => {});
    return err;
  };
  let outcome: LaunchOutcome;
  try {
    outcome = await launcher.run({
      command,
      // The broker's name is forwarded by the sidecar, never dialled: not on its allowlist.
      allowlist: perms.net.filter((e) => parseHostPattern(e).host !== BROKER_HOST),
      timeoutMs: options.timeoutMs,
      env: childEnv,
      binds,
      runId,
      taskId: () => sink.taskId,
      ...(options.allowCidrs ? { allowCidrs: options.allowCidrs } : {}),
      ...(options.proxyNetworks ? { proxyNetworks: options.proxyNetworks } : {}),
      ...(options.resolver ? { resolver: options.resolver } : {}),
      signal,
    });
  } catch (e) {
    if (input.terminate.aborted && e === input.terminate.reason) throw await ended(e as Error);
    await reports.drain().catch(() => {});
    await cleared?.drain().catch(() => {});
    throw e;
  }
  await reports.drain();
  await cleared?.drain();

  // Decisions made before the first event named the task are recorded now.
  const observed = sink.stored.filter((e) => e.type === EGRESS_OBSERVED).length;
  const missed = outcome.proxyDecisions.length - observed;
  if (missed > 0 && sink.taskId) {
    for (const d of outcome.proxyDecisions.slice(0, missed)) {
      await sink.append(newEvent({
        task_id: sink.taskId,
        type: EGRESS_OBSERVED,
        source: "egress_proxy",
        payload: { ...d, run_id: runId },
      }));
    }
  }

  const failure = error as
    | { code?: string; user?: boolean; message?: string; stack?: string }
    | undefined;
  if (failure) {
    const message = withProxyRefusals(
      failure.message ?? "the contained run failed",
      failure.code,
      outcome.proxyDecisions,
    );
    const rebuilt = errorOfCode(failure.code, message);
    if (rebuilt) throw await ended(rebuilt);
    if (failure.user) throw await ended(new UserError("usage", message));
    throw new Error(`The sandboxed run failed: ${message}\n${failure.stack ?? ""}`);
  }
  if (result === undefined) {
    if (outcome.timedOut) {
      throw await ended(
        new RunFailure(
          "sandbox_timeout",
          `Cannot finish "${agentFile}" sandboxed: the run was killed at its timeout of ${options.timeoutMs} ms`,
        ),
      );
    }
    // The container died (killed, out of memory, a crashed runtime): a failed run that says so
    // in one line and in its last event, with the last line the container wrote.
    const last = outcome.stderr.trim().split("\n").at(-1)?.trim() ?? "";
    throw await ended(
      new RunFailure(
        "sandbox_dead",
        `Cannot finish "${agentFile}" sandboxed: the container exited with code ${outcome.exitCode} and no result${
          last ? ` (last output: ${JSON.stringify(last.slice(0, 300))})` : ""
        }`,
      ),
    );
  }
  return {
    result: parseJailResult("live", result),
    events: sink.stored,
    outcome,
    perms,
    runId,
    image,
  };
}
