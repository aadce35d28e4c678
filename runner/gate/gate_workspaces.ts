/**
 * The `shell` sandboxes of runs that declare `repos:`: per run (trace), the run's gate (its
 * tokens), its leg (internal network and proxy) and one sandbox on that leg with git and the
 * gate's `GIT_CONFIG_*`, so the agent's `shell` can clone and push the granted repositories and
 * nothing else. Closing revokes every token and removes every sandbox, proxy and network.
 *
 * @example
 * ```ts ignore
 * import { GateWorkspaces } from "./gate_workspaces.ts";
 * const ws = new GateWorkspaces({ root, grants: config.repos, backend, docker, image: "zu-runtime-git:0.1.0" });
 * const shell = new Shell({ openSession: (ctx) => ws.session(ctx.trace_id) });
 * // ... run ...
 * await ws.close();
 * ```
 * @module
 */
import type { DockerClient } from "../../backends/docker/docker_client.ts";
import type { RepoGrant } from "../../core/repo_grant.ts";
import type { ExecSession, SandboxBackend, SandboxHandle } from "../../core/types.ts";
import { type GateSandboxLeg, openGateSandboxLeg } from "./gate_sandbox_leg.ts";
import { isGateRunId } from "./gate_tokens.ts";
import { openRunGate, type RunGate } from "./run_gate.ts";

/** A backend with the fast exec session (`LocalDockerBackend`). */
export type SessionBackend = SandboxBackend & {
  session(handle: SandboxHandle): Promise<ExecSession>;
};

/** Options of {@link GateWorkspaces}. */
export interface GateWorkspacesOptions {
  /** The gate directory. */
  root: string;
  /** agent.yaml `repos:`. */
  grants: readonly RepoGrant[];
  /** Launches the sandboxes. */
  backend: SessionBackend;
  /** Creates the legs' networks. */
  docker: DockerClient;
  /** The image (with git), or a function that makes it ready and names it (called once). */
  image: string | (() => Promise<string>);
  /** Receives each gate event with the run (trace) it belongs to. */
  onEvent?: (run: string, type: string, payload: Record<string, unknown>) => void;
}

interface Workspace {
  gate: RunGate;
  leg: GateSandboxLeg | null;
  handle: SandboxHandle | null;
  session: ExecSession | null;
}

/** Per-run gated workspaces. */
export class GateWorkspaces {
  #o: GateWorkspacesOptions;
  #byRun = new Map<string, Promise<Workspace>>();
  #image: Promise<string> | null = null;

  /** Opens nothing yet: the first {@link session} of a run does. */
  constructor(options: GateWorkspacesOptions) {
    this.#o = options;
  }

  /** The run's session (its gate, leg and sandbox opened on first use). */
  async session(run: string): Promise<ExecSession> {
    if (!isGateRunId(run)) throw new TypeError(`Cannot open a gated workspace for run "${run}"`);
    let ws = this.#byRun.get(run);
    if (!ws) {
      ws = this.#open(run);
      this.#byRun.set(run, ws);
    }
    return (await ws).session!;
  }

  async #open(run: string): Promise<Workspace> {
    const o = this.#o;
    const ws: Workspace = {
      gate: await openRunGate({
        root: o.root,
        run,
        grants: o.grants,
        onEvent: (type, payload) => o.onEvent?.(run, type, payload),
      }),
      leg: null,
      handle: null,
      session: null,
    };
    try {
      ws.leg = await openGateSandboxLeg(ws.gate, { docker: o.docker, run });
      this.#image ??= typeof o.image === "string" ? Promise.resolve(o.image) : o.image();
      ws.handle = await o.backend.launch({
        image: await this.#image,
        network: "isolated",
        networkName: ws.leg.networkName,
        proxy: ws.leg.proxyUrl,
        runId: run,
        env: { ...ws.leg.env, ZU_SANDBOXED: "1", HOME: "/tmp", DENO_DIR: "/tmp/.deno" },
      });
      ws.session = await o.backend.session(ws.handle);
      return ws;
    } catch (e) {
      await this.#teardown(ws);
      throw e;
    }
  }

  async #teardown(ws: Workspace): Promise<void> {
    await ws.session?.close().catch(() => {});
    if (ws.handle) await this.#o.backend.destroy(ws.handle).catch(() => {});
    await ws.leg?.close().catch(() => {});
    await ws.gate.close();
  }

  /** Closes every run's workspace: tokens revoked, sandboxes, proxies and networks removed. */
  async close(): Promise<void> {
    const all = [...this.#byRun.values()];
    this.#byRun.clear();
    for (const p of all) {
      const ws = await p.catch(() => null);
      if (ws) await this.#teardown(ws);
    }
  }
}

/** Options of {@link gateWorkspacesFor}. */
export interface GateWorkspacesForOptions {
  /** The host's environment (`ZU_GATE_DIR`, `ZU_GATE_IMAGE`, `HOME`). */
  env: (name: string) => string | undefined;
  /** The run's backend; it must offer the exec session. */
  backend: SandboxBackend;
  /** The daemon socket for the legs' networks. */
  socketPath: string;
  /** Receives each gate event with its run. */
  onEvent?: (run: string, type: string, payload: Record<string, unknown>) => void;
}

/**
 * The run's gated workspaces from the host's defaults: the gate directory from the environment
 * (`defaultGateDir`), the image `$ZU_GATE_IMAGE`, else `zu-runtime-git:<version>` built (once,
 * skipped when up to date) from the runtime image.
 */
export async function gateWorkspacesFor(
  grants: readonly RepoGrant[],
  options: GateWorkspacesForOptions,
): Promise<GateWorkspaces> {
  const { defaultGateDir } = await import("./gate_dir.ts");
  const { openDockerClient } = await import("../../backends/docker/docker_client.ts");
  const backend = options.backend as Partial<SessionBackend>;
  if (typeof backend.session !== "function") {
    throw new TypeError("Cannot open gated workspaces: the backend offers no exec session");
  }
  const explicit = options.env("ZU_GATE_IMAGE");
  return new GateWorkspaces({
    root: defaultGateDir(options.env),
    grants,
    backend: options.backend as SessionBackend,
    docker: await openDockerClient(options.socketPath),
    image: explicit ?? (async () => {
      const { buildGitRuntimeImage, GIT_RUNTIME_IMAGE } = await import(
        "../../backends/docker/git_image.ts"
      );
      const { RUNTIME_IMAGE } = await import("../../backends/docker/image_build.ts");
      return await buildGitRuntimeImage({ baseTag: RUNTIME_IMAGE, tag: GIT_RUNTIME_IMAGE });
    }),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
}
