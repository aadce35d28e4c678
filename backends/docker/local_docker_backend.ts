/**
 * `LocalDockerBackend`: zu's `SandboxBackend` on the local Docker daemon (dockerode).
 *
 * Every sandbox gets the hardening floor of `hardening.ts` (CapDrop ALL, no-new-privileges,
 * inline seccomp, pids ≤ 256, memory ≤ 1 GiB without swap, a CPU quota, uid 10001, read-only
 * root with a noexec `/tmp` tmpfs, network off) whatever its spec says. Network modes: `none`
 * (default); `isolated`, created directly on an internal network (`Internal: true`, labelled;
 * never attached after create); `unrestricted`, only with `allowUnrestrictedEgress: true` and
 * logged as a warning. Images must pass the image policy and be present locally.
 *
 * Execs go through the sandbox's `zu-session` when its image ships the agent (a timeout kills
 * the command's process group only); otherwise through a plain exec. Docker cannot kill one
 * plain exec: one that reaches its timeout kills its whole sandbox, which then refuses execs.
 *
 * `workspace: true` gives a sandbox its own writable `/workspace` (`workspace_volume.ts`);
 * `snapshot`/`restore` capture it and start new sandboxes from it (`workspace_snapshot.ts`,
 * stored by `snapshot_store.ts`).
 *
 * @example
 * ```ts ignore
 * import { LocalDockerBackend } from "./local_docker_backend.ts";
 * await using backend = new LocalDockerBackend();
 * const box = await backend.launch({ image: "zu-attack:0.1.0", runId: "run-1" });
 * const r = await backend.execEntrypoint(box, ["sh", "-c", "echo hi; echo oops >&2"], { timeoutMs: 5000 });
 * console.log(r.exitCode, r.stdout, r.stderr);
 * await backend.destroy(box);
 * ```
 * @module
 */
import type Dockerode from "dockerode";
import type { DockerEndpoint } from "./docker_endpoint.ts";
import type { DockerClient } from "./docker_client.ts";
import type { ToolCall } from "../../core/contracts.ts";
import { RunFailure, UserError } from "../../core/errors.ts";
import type {
  ExecOptions,
  ExecResult,
  ExecSession,
  SandboxBackend,
  SandboxCost,
  SandboxHandle,
  SandboxPrices,
  SandboxReach,
  SandboxSpec,
  SessionHandle,
  TeardownReport,
  WorkspaceSnapshot,
} from "../../core/types.ts";
import { estimateSandboxCost, meterSandboxCost } from "../../core/sandbox_prices.ts";
import { emptyTeardownReport } from "../../core/sandbox_lifecycle.ts";
import { readSandboxUsage } from "./sandbox_meter.ts";
import { reachOf } from "./sandbox_reach.ts";
import { teardownSandbox } from "./sandbox_teardown.ts";
import {
  createDockerClient,
  daemonUnreachable,
  endpointOf,
  imageMissing,
  isDaemonDown,
  statusOf,
} from "./_client.ts";
import { releaseIdleConnections } from "./open_docker_endpoint.ts";
import { sshExited } from "./ssh_dial.ts";
import { CappedCollector, FrameDemuxer } from "./exec_stream.ts";
import { runExec } from "./exec_run.ts";
import { attachJsonLinesSession } from "./session.ts";
import { execThroughSession, SandboxSessions } from "./sandbox_sessions.ts";
import { hardenedCreateOptions, managedLabels, sandboxLimits } from "./hardening.ts";
import { checkSandboxSpec, seccompJsonFor } from "./sandbox_floor.ts";
import {
  checkImagePin,
  checkImagePolicy,
  DEFAULT_IMAGE_POLICY,
  type ImagePolicy,
} from "./image_policy.ts";
import { processStartTime, reapLeaked, type ReapOptions, type ReapReport } from "./reaper.ts";
import { SnapshotStore } from "./snapshot_store.ts";
import {
  POLICY_LABEL,
  policyHash,
  prepareRestore,
  restoreWorkspace,
  snapshotWorkspace,
} from "./workspace_snapshot.ts";
import {
  createWorkspaceVolume,
  removeWorkspaceVolume,
  WORKSPACE_LABEL,
  workspaceSizeBytes,
  workspaceVolumeName,
} from "./workspace_volume.ts";

/** A log sink for backend decisions worth keeping (unrestricted egress, failed cleanups). */
export type SandboxLogger = (
  level: "info" | "warn",
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** Options of {@linkcode LocalDockerBackend}. */
export interface LocalDockerBackendOptions {
  /** dockerode client. Default: created on first use on `socketPath`. */
  docker?: DockerClient;
  /** Daemon socket. Default: {@link endpoint}, else the environment's (`DOCKER_HOST`). */
  socketPath?: string;
  /** Daemon endpoint (`unix://`, `tcp://` with TLS). Default: `DOCKER_HOST` and friends. */
  endpoint?: DockerEndpoint;
  /** Image policy. Default: local images only. */
  imagePolicy?: ImagePolicy;
  /** Shipped seccomp profile (`default` or `block`) when a spec names none. Default `default`. */
  seccomp?: string;
  /** Logger. Default: none. */
  logger?: SandboxLogger;
  /** How long a sandbox may take to be running. Default 30 000 ms. */
  startupTimeoutMs?: number;
  /** Exec timeout when the call gives none. Default 45 000 ms. */
  execTimeoutMs?: number;
  /** Cap of each of stdout and stderr. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Command that runs one tool call (JSON on stdin, one JSON observation on stdout). Default `["zu-tool"]`. */
  toolCommand?: string[];
  /** Command that serves a JSON-lines session. Default `["zu-browser"]`. */
  sessionCommand?: string[];
  /** Wait for one session reply. Default 120 000 ms. */
  sessionReplyTimeoutMs?: number;
  /** Where workspace snapshots are kept. Default `new SnapshotStore()` (`.zu/snapshots`). */
  snapshotStore?: SnapshotStore;
  /** The operator's price table (`parseSandboxPrices`); without one the cost methods answer null. */
  prices?: SandboxPrices;
}

/** Options of {@linkcode LocalDockerBackend.restore}. */
export interface RestoreOptions {
  /** Restore even when the new spec's hardening policy differs from the snapshot's. */
  allowPolicyChange?: boolean;
}

/** Options of {@linkcode LocalDockerBackend.launch}. */
export interface LaunchOptions {
  /** Extra container labels (`zu.pool=<key>`); the managed labels win. Default none. */
  labels?: Record<string, string>;
}

/** A handle that also tears its sandbox down with `await using`. */
export interface DockerSandboxHandle extends SandboxHandle, AsyncDisposable {}

interface BoxState {
  handle: DockerSandboxHandle;
  ownedNetwork: string | null;
  dead: string | null;
  workspace?: string;
  snapshotOf?: string;
}

const DEFAULT_MAX_OUTPUT = 1024 * 1024;

function randomSuffix(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 10);
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 32) || "run";
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function toBytes(stdin: Uint8Array | string): Uint8Array {
  return typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin;
}

/** zu's SandboxBackend on the local Docker daemon. */
export class LocalDockerBackend implements SandboxBackend, AsyncDisposable {
  #options: LocalDockerBackendOptions;
  #endpoint: DockerEndpoint | undefined;
  #docker: Promise<Dockerode> | undefined;
  #boxes = new Map<string, BoxState>();
  #ownerStart: Promise<string> | undefined;
  #sessions = new SandboxSessions(() => this.client());

  /** Creates the backend; nothing touches the daemon until the first call. */
  constructor(options: LocalDockerBackendOptions = {}) {
    this.#options = options;
    if (options.docker) this.#docker = Promise.resolve(options.docker);
  }

  /** The dockerode client (created on first use). */
  client(): Promise<DockerClient> {
    this.#docker ??= (async () => await createDockerClient(this.endpoint()))();
    return this.#docker;
  }

  /** The daemon endpoint (from the options, else the environment; a bad value throws). */
  endpoint(): DockerEndpoint {
    this.#endpoint ??= endpointOf(this.#options);
    return this.#endpoint;
  }

  async #call<T>(fn: (docker: Dockerode) => Promise<T>): Promise<T> {
    const docker = await this.client();
    try {
      return await fn(docker);
    } catch (error) {
      if (isDaemonDown(error)) throw daemonUnreachable(this.endpoint(), error);
      throw error;
    }
  }

  #owner(): Promise<string> {
    this.#ownerStart ??= processStartTime(Deno.pid).then((s) => s ?? "");
    return this.#ownerStart;
  }

  #log(level: "info" | "warn", message: string, fields?: Record<string, unknown>): void {
    try {
      this.#options.logger?.(level, message, fields);
    } catch {
      // a broken logger must not break a sandbox
    }
  }

  async #checkImage(docker: Dockerode, image: string): Promise<void> {
    const policy = this.#options.imagePolicy ?? DEFAULT_IMAGE_POLICY;
    const ref = checkImagePolicy(image, policy);
    let info: Dockerode.ImageInspectInfo;
    try {
      info = await docker.getImage(image).inspect();
    } catch (error) {
      if (statusOf(error) === 404) throw imageMissing(image, error);
      throw error;
    }
    checkImagePin(ref, policy, { id: info.Id, repoDigests: info.RepoDigests ?? [] });
  }

  async #network(
    docker: Dockerode,
    spec: SandboxSpec,
    labels: Record<string, string>,
  ): Promise<{ mode: string; owned: string | null }> {
    const mode = spec.network ?? "none";
    if (mode === "none") return { mode: "none", owned: null };
    if (mode === "unrestricted") {
      if (spec.allowUnrestrictedEgress !== true) {
        throw new UserError(
          "network_policy",
          `Cannot start sandbox: network "unrestricted" needs allowUnrestrictedEgress: true`,
        );
      }
      this.#log("warn", "sandbox launched with unrestricted egress", {
        image: spec.image,
        runId: labels["zu.run"],
      });
      return { mode: "bridge", owned: null };
    }
    if (mode !== "isolated") throw new TypeError(`Unknown sandbox network "${String(mode)}"`);
    if (spec.networkName) {
      try {
        const info = await docker.getNetwork(spec.networkName).inspect() as { Internal?: boolean };
        if (info.Internal !== true) {
          throw new UserError(
            "network_policy",
            `Cannot start sandbox: network "${spec.networkName}" is not internal (Internal: true)`,
          );
        }
        return { mode: spec.networkName, owned: null };
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    }
    const name = spec.networkName ??
      `zu-net-${safeName(labels["zu.run"] ?? "run")}-${randomSuffix()}`;
    await docker.createNetwork({
      Name: name,
      Driver: "bridge",
      Internal: true,
      CheckDuplicate: true,
      Labels: labels,
    });
    return { mode: name, owned: name };
  }

  /**
   * Creates and starts a hardened sandbox. `options.labels` adds labels (the warm pool's
   * `zu.pool`); they never replace the managed labels of `hardening.ts`.
   */
  async launch(spec: SandboxSpec, options: LaunchOptions = {}): Promise<DockerSandboxHandle> {
    // The floor first: nothing is created, nor the daemon asked, for a spec that would loosen it.
    checkSandboxSpec(spec);
    const seccompJson = seccompJsonFor(spec.seccomp ?? this.#options.seccomp ?? "default");
    return await this.#call(async (docker) => {
      await this.#checkImage(docker, spec.image);
      const runId = spec.runId ?? `adhoc-${randomSuffix()}`;
      const ctxBase = {
        runId,
        ownerPid: Deno.pid,
        ownerStart: await this.#owner(),
        createdAt: Date.now(),
      };
      const labels = managedLabels(ctxBase);
      const net = await this.#network(docker, spec, labels);
      const name = `zu-${safeName(runId)}-${randomSuffix()}`;
      const wsBytes = workspaceSizeBytes(spec.workspace);
      const workspace = wsBytes > 0 ? workspaceVolumeName(runId) : undefined;
      let container: Dockerode.Container | undefined;
      try {
        if (workspace) {
          await createWorkspaceVolume(docker, {
            name: workspace,
            sizeBytes: wsBytes,
            labels,
            sandbox: name,
          });
        }
        const create = hardenedCreateOptions(spec, {
          ...ctxBase,
          name,
          seccompJson,
          networkMode: net.mode,
          hostCpus: navigator.hardwareConcurrency || 1,
          ...(workspace ? { workspaceVolume: workspace } : {}),
        });
        create.Labels![POLICY_LABEL] = await policyHash(create, spec);
        // The caller's extra labels (a pool's) never replace the managed ones.
        create.Labels = { ...options.labels, ...create.Labels };
        container = await docker.createContainer(create);
        await container.start();
        await this.#waitRunning(container, name);
      } catch (error) {
        if (container) await container.remove({ force: true }).catch(() => {});
        if (workspace) await removeWorkspaceVolume(docker, workspace).catch(() => {});
        if (net.owned) await docker.getNetwork(net.owned).remove().catch(() => {});
        throw error;
      }
      const id = container.id;
      const handle: DockerSandboxHandle = {
        id,
        name,
        runId,
        [Symbol.asyncDispose]: () => this.destroy(handle),
      };
      this.#boxes.set(id, {
        handle,
        ownedNetwork: net.owned,
        dead: null,
        ...(workspace ? { workspace } : {}),
      });
      return handle;
    });
  }

  async #waitRunning(container: Dockerode.Container, name: string): Promise<void> {
    const deadline = performance.now() + (this.#options.startupTimeoutMs ?? 30_000);
    for (let i = 0; i < 10_000; i++) {
      const info = await container.inspect();
      if (info.State.Running) return;
      if (["exited", "dead"].includes(info.State.Status)) {
        const logs = await this.#logsTail(container);
        throw new RunFailure(
          "sandbox_start_failed",
          `Cannot start sandbox "${name}": it exited with code ${info.State.ExitCode}${
            logs ? `: ${logs}` : ""
          }`,
        );
      }
      if (performance.now() > deadline) {
        throw new RunFailure(
          "sandbox_start_failed",
          `Cannot start sandbox "${name}": not running after the startup timeout`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async #logsTail(container: Dockerode.Container): Promise<string> {
    try {
      const raw = await container.logs({
        stdout: true,
        stderr: true,
        tail: 5,
        follow: false,
      }) as unknown as Uint8Array;
      const text = new CappedCollector(500);
      new FrameDemuxer((_s, p) => text.push(p)).push(raw);
      return text.text().trim().replaceAll("\n", " | ");
    } catch {
      return "";
    }
  }

  #state(handle: SandboxHandle): BoxState | undefined {
    return this.#boxes.get(handle.id);
  }

  /** Runs a command in the sandbox: stdout and stderr apart, each capped; a timeout kills the sandbox. */
  async execEntrypoint(
    handle: SandboxHandle,
    cmd: string[],
    options: ExecOptions & { plainExec?: boolean } = {},
  ): Promise<ExecResult> {
    const state = this.#state(handle);
    if (state?.dead) {
      throw new RunFailure(
        "sandbox_dead",
        `Cannot exec in sandbox "${handle.name}": ${state.dead}; launch a new one`,
      );
    }
    if (cmd.length === 0) throw new TypeError("Cannot exec an empty command");
    options.signal?.throwIfAborted();
    const timeoutMs = options.timeoutMs ?? this.#options.execTimeoutMs ?? 45_000;
    const cap = options.maxOutputBytes ?? this.#options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const stdin = options.stdin === undefined ? undefined : toBytes(options.stdin);
    const env = Object.entries(options.env ?? {}).map(([k, v]) => {
      if (!k || k.includes("=")) throw new TypeError(`Invalid environment variable "${k}"`);
      return `${k}=${v}`;
    });
    const session = options.plainExec ? null : await this.#sessions.get(handle).catch(() => null);
    if (session && (typeof options.stdin !== "object" || isUtf8(options.stdin))) {
      return await execThroughSession(session, cmd, { ...options, timeoutMs, maxOutputBytes: cap });
    }
    return await this.#call(async (docker) => {
      try {
        return await runExec(docker.getContainer(handle.id), cmd, {
          env,
          timeoutMs,
          maxOutputBytes: cap,
          ...(stdin !== undefined ? { stdin } : {}),
          ...(options.signal !== undefined ? { signal: options.signal } : {}),
          onKill: (why) => {
            if (state) state.dead = why;
          },
        });
      } catch (error) {
        if (statusOf(error) === 404) {
          throw new RunFailure(
            "sandbox_gone",
            `Cannot exec in sandbox "${handle.name}": it no longer exists`,
            { cause: error },
          );
        }
        if (statusOf(error) === 409) {
          throw new RunFailure(
            "sandbox_dead",
            `Cannot exec in sandbox "${handle.name}": it is not running`,
            { cause: error },
          );
        }
        throw error;
      }
    });
  }

  /**
   * Runs one tool call: the tool command with `{"name","args"}` as JSON on stdin; the last
   * non-empty stdout line is the observation. Failures become observations, as in zu:
   * `{status: 504, error: "tool timed out after Ns"}`, `{status: 500, error: "tool failed (exit N): ..."}`,
   * `{status: 500, error: "tool produced non-JSON output", raw}`.
   */
  async exec(
    handle: SandboxHandle,
    call: ToolCall,
    options: ExecOptions = {},
  ): Promise<Record<string, unknown>> {
    const timeoutMs = options.timeoutMs ?? this.#options.execTimeoutMs ?? 45_000;
    const r = await this.execEntrypoint(handle, this.#options.toolCommand ?? ["zu-tool"], {
      ...options,
      timeoutMs,
      stdin: JSON.stringify({ name: call.name, args: call.args }) + "\n",
    });
    if (r.timedOut) {
      return { status: 504, error: `tool timed out after ${Math.round(timeoutMs / 1000)}s` };
    }
    if (r.exitCode !== 0) {
      return { status: 500, error: `tool failed (exit ${r.exitCode}): ${r.stderr.slice(0, 500)}` };
    }
    const last = r.stdout.split("\n").map((l) => l.trim()).filter(Boolean).at(-1) ?? "";
    try {
      const parsed = JSON.parse(last);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
        return parsed as Record<string, unknown>;
      }
    } catch {
      // falls through
    }
    return { status: 500, error: "tool produced non-JSON output", raw: r.stdout.slice(0, 2000) };
  }

  /**
   * The sandbox's `zu-session` (one per sandbox, reused; reopened after a loss). Fails when the
   * image ships no agent (see `plainExecSession` for those).
   */
  session(handle: SandboxHandle): Promise<ExecSession> {
    return this.#sessions.require(handle);
  }

  /** Creates and starts a sandbox (the same as `launch`: it returns once the sandbox runs). */
  provision(spec: SandboxSpec): Promise<DockerSandboxHandle> {
    return this.launch(spec);
  }

  /** Waits until the sandbox runs and says how to reach it (networks, addresses, session). */
  async waitReady(handle: SandboxHandle): Promise<SandboxReach> {
    return await this.#call(async (docker) => {
      const container = docker.getContainer(handle.id);
      await this.#waitRunning(container, handle.name);
      const session = await this.#sessions.get(handle).then(() => true, () => false);
      return reachOf(await container.inspect(), session);
    });
  }

  /**
   * Removes the sandbox, its workspace volume and the internal network it created, and reports
   * each (`sandbox_teardown.ts`). Idempotent: a second call reports nothing removed.
   */
  async teardown(handle: SandboxHandle): Promise<TeardownReport> {
    const state = this.#state(handle);
    await this.#sessions.close(handle);
    this.#boxes.delete(handle.id);
    const report = await this.#call(async (docker) => {
      const workspace = state ? state.workspace : await docker.getContainer(handle.id).inspect()
        .then((i) => i.Config.Labels?.[WORKSPACE_LABEL], () => undefined);
      return await teardownSandbox(docker, {
        id: handle.id,
        workspace,
        network: state?.ownedNetwork ?? null,
      });
    });
    return { ...emptyTeardownReport(handle), ...report, sandbox: handle.id };
  }

  /**
   * Removes the sandbox (and the internal network it created). Idempotent. Throws when the
   * container or its workspace could not be removed; a network that stays is logged.
   */
  async destroy(handle: SandboxHandle): Promise<void> {
    const report = await this.teardown(handle);
    for (const f of report.failed) {
      if (f.kind === "network") {
        this.#log("warn", "could not remove sandbox network", { network: f.name, error: f.error });
      }
    }
    const hard = report.failed.find((f) => f.kind !== "network");
    if (hard) {
      throw new RunFailure(
        "sandbox_teardown_failed",
        `Cannot remove sandbox "${handle.name}": its ${hard.kind} "${hard.name}" stays: ${hard.error}`,
      );
    }
  }

  /**
   * Launches a sandbox and attaches a JSON-lines session to the session command (one JSON
   * command per line in, one JSON reply per line out). `close()` sends `{"op":"close"}` and
   * destroys the sandbox.
   */
  async openSession(spec: SandboxSpec): Promise<SessionHandle> {
    const handle = await this.launch(spec);
    try {
      return await this.#attachSession(handle);
    } catch (error) {
      await this.destroy(handle).catch(() => {});
      throw error;
    }
  }

  #attachSession(handle: DockerSandboxHandle): Promise<SessionHandle> {
    return this.client().then((docker) =>
      attachJsonLinesSession(
        docker.getContainer(handle.id),
        this.#options.sessionCommand ?? ["zu-browser"],
        {
          ...(this.#options.sessionReplyTimeoutMs !== undefined
            ? { replyTimeoutMs: this.#options.sessionReplyTimeoutMs }
            : {}),
          onClose: () => this.destroy(handle),
        },
      )
    );
  }

  /** Whether `snapshot`/`restore` work: yes, for sandboxes launched with a workspace. */
  supportsSnapshots(): boolean {
    return true;
  }

  /** Snapshots the sandbox's `/workspace` (see `workspace_snapshot.ts`); returns the snapshot id. */
  async snapshot(handle: SandboxHandle): Promise<string> {
    return (await this.snapshotWorkspace(handle)).id;
  }

  /** Snapshots a sandbox's `/workspace` (a handle, or the id or name of any zu sandbox). */
  async snapshotWorkspace(
    sandbox: SandboxHandle | string,
    options: { pinned?: boolean } = {},
  ): Promise<WorkspaceSnapshot> {
    const id = typeof sandbox === "string" ? sandbox : sandbox.id;
    const runId = typeof sandbox === "string" ? "" : sandbox.runId;
    const ownerStart = await this.#owner();
    return await this.#call((docker) =>
      snapshotWorkspace(docker, this.snapshotStore(), id, {
        ownerLabels: managedLabels({
          runId,
          ownerPid: Deno.pid,
          ownerStart,
          createdAt: Date.now(),
        }),
        pinned: options.pinned === true,
        snapshotOf: this.#boxes.get(id)?.snapshotOf,
      })
    );
  }

  /** The store this backend keeps workspace snapshots in. */
  snapshotStore(): SnapshotStore {
    return this.#options.snapshotStore ??= new SnapshotStore();
  }

  /**
   * Launches a NEW sandbox (with a workspace) whose `/workspace` is the snapshot's, byte for
   * byte; the environment comes from `spec`, never from the snapshot. A spec under another
   * hardening policy than the snapshot's is refused (`snapshot_policy`) unless `allowPolicyChange`.
   */
  async restore(
    snapshot: string,
    spec: SandboxSpec,
    options: RestoreOptions = {},
  ): Promise<DockerSandboxHandle> {
    const { snap, tar, full } = await prepareRestore(this.snapshotStore(), snapshot, spec, {
      defaultSeccomp: this.#options.seccomp ?? "default",
      allowPolicyChange: options.allowPolicyChange === true,
    });
    const handle = await this.launch(full);
    try {
      await this.#call((docker) => restoreWorkspace(docker, handle.id, tar));
    } catch (error) {
      await this.destroy(handle).catch(() => {});
      throw error;
    }
    const state = this.#boxes.get(handle.id);
    if (state) state.snapshotOf = snap.id;
    return handle;
  }

  /** Out-of-band audit: the processes running in the sandbox, as the daemon sees them. */
  async top(handle: SandboxHandle): Promise<Array<{ pid: string; cmd: string }>> {
    return await this.#call(async (docker) => {
      const r = await docker.getContainer(handle.id).top({ ps_args: "-o pid,args" }) as {
        Titles?: string[];
        Processes?: string[][];
      };
      const titles = r.Titles ?? [];
      const pidAt = Math.max(0, titles.findIndex((t) => t.toUpperCase() === "PID"));
      const cmdAt = titles.findIndex((t) => ["CMD", "COMMAND", "ARGS"].includes(t.toUpperCase()));
      return (r.Processes ?? []).map((p) => ({
        pid: p[pidAt] ?? "",
        cmd: (cmdAt >= 0 ? p[cmdAt] : p.at(-1)) ?? "",
      }));
    });
  }

  /** Out-of-band audit: what changed in the sandbox's filesystem since it started. */
  async fsDiff(
    handle: SandboxHandle,
  ): Promise<Array<{ path: string; kind: "changed" | "added" | "deleted" }>> {
    return await this.#call(async (docker) => {
      let raw: unknown = await docker.getContainer(handle.id).changes();
      // The daemon answers `null` for no changes, which dockerode hands over as raw bytes.
      if (raw instanceof Uint8Array) {
        raw = JSON.parse(new TextDecoder().decode(raw).trim() || "null");
      }
      const changes = raw as Array<{ Path: string; Kind: number }> | null;
      const kinds = ["changed", "added", "deleted"] as const;
      return (changes ?? []).map((c) => ({ path: c.Path, kind: kinds[c.Kind] ?? "changed" }));
    });
  }

  /** Out-of-band audit: the sandbox's mounts as the daemon reports them. */
  async mounts(handle: SandboxHandle): Promise<Array<Record<string, unknown>>> {
    return await this.#call(async (docker) => {
      const info = await docker.getContainer(handle.id).inspect();
      return (info.Mounts ?? []) as unknown as Array<Record<string, unknown>>;
    });
  }

  /** The spec's limits under the floor × `durationS` at the price table; null without one. */
  estimateCost(spec: SandboxSpec, durationS: number): Promise<SandboxCost | null> {
    const prices = this.#options.prices;
    if (!prices) return Promise.resolve(null);
    checkSandboxSpec(spec);
    const limits = sandboxLimits(spec, navigator.hardwareConcurrency || 1);
    return Promise.resolve(estimateSandboxCost(prices, {
      cpuLimit: limits.cpus,
      memoryLimitBytes: limits.memoryBytes,
      durationS,
    }));
  }

  /** The sandbox's measured use (`sandbox_meter.ts`) at the price table; null without one. */
  async meterActual(handle: SandboxHandle): Promise<SandboxCost | null> {
    const prices = this.#options.prices;
    if (!prices) return null;
    const usage = await this.#call((docker) => readSandboxUsage(docker, handle.id));
    return meterSandboxCost(prices, usage);
  }

  /** Removes what dead runs left behind (see `reaper.ts` for how a dead owner is told). */
  async reapLeaked(options: ReapOptions = {}): Promise<ReapReport> {
    const report = await this.#call((docker) => reapLeaked(docker, options));
    return { ...report, snapshots: await this.snapshotStore().reap(options) };
  }

  /** Handles of the sandboxes this backend launched and has not destroyed. */
  live(): DockerSandboxHandle[] {
    return [...this.#boxes.values()].map((s) => s.handle);
  }

  /** Destroys every sandbox this backend launched. */
  async [Symbol.asyncDispose](): Promise<void> {
    const errors: unknown[] = [];
    for (const { handle } of [...this.#boxes.values()]) {
      await this.destroy(handle).catch((e) => errors.push(e));
    }
    const docker = await this.#docker?.catch(() => null);
    if (docker) {
      releaseIdleConnections(docker); // an ssh:// client's pooled ssh processes
      await sshExited(); // ... gone when dispose returns
    }
    if (errors.length > 0) {
      this.#log("warn", "some sandboxes could not be destroyed", { errors: errors.map(String) });
    }
  }
}
