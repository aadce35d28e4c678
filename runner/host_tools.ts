/**
 * The host side of host-executed tools: answers a jailed child's `tool_call` for `render_dom`,
 * `browser`, `shell` or `run_code` by running the real tool here, on the host's Docker
 * (`LocalDockerBackend`): the browser tools behind a per-call egress proxy container
 * (`DockerProxyEgress`), the code tools in one network-less sandbox per run. The agent's own
 * configuration (`allowed_domains` included) applies; the host re-checks every argument and
 * target (it never trusts the child). Without a Docker daemon or the images, each call answers
 * an error observation.
 *
 * @module
 */
import type { Resolver } from "../core/net_guard.ts";
import type { ExecSession, RunContext, SandboxBackend, Tool } from "../core/types.ts";
import type { BrowserEgress } from "../core/types.ts";
import type { ToolFactory } from "../agent/builtins.ts";
import {
  describeEndpoint,
  type DockerEndpoint,
  parseDockerEndpoint,
} from "../backends/docker/docker_endpoint.ts";
import { requireLocalEngine } from "../backends/docker/local_engine.ts";
import { daemonError } from "../backends/docker/daemon_error.ts";
import type { ToolCallMessage, ToolResultMessage } from "./jail/protocol.ts";
import { HOST_EXECUTED_TOOLS, replyErrorOf } from "./jail/host_tool.ts";
import type { AgentConfig } from "../agent/config.ts";
import type { RunClearance } from "./clearance/run_clearance.ts";
import { meteredBackend, SandboxMeterBook, type SandboxRunCost } from "./sandbox_meter_book.ts";

/** Options of {@linkcode HostToolExecutor}. */
export interface HostToolExecutorOptions {
  /** Environment of the host (provider keys, `ZU_RENDER_IMAGE`). */
  env: (name: string) => string | undefined;
  /**
   * Sandbox backend. Default the agent's `backend:` (`runner/sandbox_registry.ts`): a
   * `LocalDockerBackend` on `DOCKER_HOST` or the default socket when it names none.
   */
  backend?: SandboxBackend;
  /** Egress provider. Default a `DockerProxyEgress` (proxy on the daemon's `bridge` network). */
  egress?: BrowserEgress;
  /** Resolver of the host's re-check. Default the system resolver. */
  resolver?: Resolver;
  /** Non-global CIDRs let through besides the configuration's. Default none. */
  allowCidrs?: string[];
  /**
   * Says why tier-2 tools cannot run (one line), or null when they can. Default: pings the
   * daemon and looks for the browser and runtime images.
   */
  preflight?: (images: string[]) => Promise<string | null>;
  /**
   * Calls served per run; later ones answer an error. Default the agent's budget: `max_steps`
   * times `max_tool_calls` (the most the loop itself can make).
   */
  maxCalls?: number;
  /**
   * The run's live clearance (`openRunClearance`): the default egress (`DockerProxyEgress`) then
   * asks its desk about any host but the checked target, over `clearance.sock` in a host socket
   * directory of its own bound into each proxy container (docs/clearance.md). The caller opens
   * and closes it (and stores its reports). Default none, or a hold of 0: as before.
   */
  clearance?: RunClearance;
  /**
   * Receives the git gate's events (`harness.git_gate.*`) of a run that declares `repos:`, with
   * the run (trace) they belong to. Default: dropped.
   */
  onGateEvent?: (run: string, type: string, payload: Record<string, unknown>) => void;
}

function camel(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  }
  return out;
}

/** Runs the real tier-2 tools for a jailed child. Call {@linkcode close} at the end of the run. */
export class HostToolExecutor implements AsyncDisposable {
  #config: AgentConfig;
  #options: HostToolExecutorOptions;
  #tools: Promise<{ tools: Map<string, Tool>; unavailable: string | null }> | null = null;
  #traces = new Set<string>();
  #backend: SandboxBackend | null = null;
  #opening: Promise<SandboxBackend> | null = null;
  #book = new SandboxMeterBook();
  #served = 0;
  #maxCalls: number;
  #queue: Promise<unknown> = Promise.resolve();
  #clearanceDir: { close(): Promise<void> } | null = null;
  #gate: Promise<{ session(run: string): Promise<ExecSession>; close(): Promise<void> }> | null =
    null;

  /** Prepares nothing yet: Docker is touched at the first call. */
  constructor(config: AgentConfig, options: HostToolExecutorOptions) {
    this.#config = config;
    this.#options = options;
    const budget = { ...config.budget, ...(config.task?.budget ?? {}) };
    this.#maxCalls = options.maxCalls ?? budget.max_steps * budget.max_tool_calls;
  }

  /**
   * Opens the agent's sandbox backend now (when no `backend` option is given), so a bad
   * `backend:` is refused before the run starts (`backend_invalid`, exit 2). Idempotent.
   */
  openBackend(): Promise<SandboxBackend> {
    if (this.#options.backend) return Promise.resolve(this.#options.backend);
    this.#opening ??= (async () => {
      const { openSandboxBackend } = await import("./sandbox_registry.ts");
      const opened = await openSandboxBackend(this.#config.backend, {
        agentDir: this.#config.agentDir,
        env: this.#options.env,
        prices: this.#config.sandbox_prices,
        file: this.#config.path,
      });
      this.#backend = opened;
      return opened;
    })();
    return this.#opening;
  }

  /** What the run's sandboxes cost so far (metered at their teardown), or null without a price table. */
  sandboxCost(): SandboxRunCost | null {
    return this.#book.total();
  }

  async #setup(): Promise<{ tools: Map<string, Tool>; unavailable: string | null }> {
    const o = this.#options;
    const { assembleRun } = await import("../agent/config.ts");
    const { builtinRegistries } = await import("../agent/builtins.ts");
    const { Registry } = await import("../core/registry.ts");
    const { DEFAULT_BROWSER_IMAGE } = await import("../agent/tools/browser_target.ts");
    const { RenderDom } = await import("../agent/tools/render_dom.ts");
    const { Browser } = await import("../agent/tools/browser.ts");
    const { Shell } = await import("../agent/tools/shell.ts");
    const { RunCode } = await import("../agent/tools/run_code.ts");
    const { DEFAULT_EXEC_IMAGE } = await import("../agent/tools/sandbox_exec.ts");
    const { RUNTIME_IMAGE } = await import("../backends/docker/image_build.ts");
    const endpoint = parseDockerEndpoint(o.env);
    const backend = meteredBackend(await this.openBackend(), this.#book);
    let egress = o.egress ?? null;
    const images = new Set<string>();
    const base = builtinRegistries();
    const tools = new Registry<ToolFactory>("tools");
    for (const name of base.tools.names()) {
      const make = base.tools.get(name);
      if (!HOST_EXECUTED_TOOLS.includes(name)) {
        tools.register(name, make);
        continue;
      }
      tools.register(name, (args = {}) => {
        make(args); // the built-in's own argument checks
        const a = camel(args);
        if (name === "shell" || name === "run_code") {
          const image = typeof a["image"] === "string"
            ? a["image"]
            : o.env("ZU_EXEC_IMAGE") ?? DEFAULT_EXEC_IMAGE;
          images.add(image);
          const options = { ...a, image, backend };
          if (name === "shell" && this.#config.repos.length > 0) {
            // A run with repos: its shell sandbox sits on the git gate's leg (docs/git-gate.md).
            requireLocalEngine(
              endpoint,
              "give the agent its repositories",
              "the git gate listens on this host's loopback, reached through a proxy on the engine",
            );
            const socket = endpoint.kind === "unix" ? endpoint.socketPath : "";
            const gated = (ctx: RunContext) => {
              this.#gate ??= import("./gate/gate_workspaces.ts").then((m) =>
                m.gateWorkspacesFor(this.#config.repos, {
                  env: o.env,
                  backend,
                  socketPath: socket,
                  ...(o.onGateEvent ? { onEvent: o.onGateEvent } : {}),
                })
              );
              return this.#gate.then((g) => g.session(ctx.trace_id ?? "default"));
            };
            return new Shell({ ...options, openSession: gated });
          }
          return name === "shell" ? new Shell(options) : new RunCode(options);
        }
        const image = typeof a["image"] === "string"
          ? a["image"]
          : o.env("ZU_RENDER_IMAGE") ?? DEFAULT_BROWSER_IMAGE;
        images.add(image);
        const allowCidrs = [
          ...(Array.isArray(a["allowCidrs"]) ? a["allowCidrs"] as string[] : []),
          ...(o.allowCidrs ?? []),
        ];
        const options = {
          ...a,
          image,
          allowCidrs,
          backend,
          ...(egress ? { egress } : {}),
          ...(o.resolver ? { resolver: o.resolver } : {}),
        };
        return name === "render_dom" ? new RenderDom(options) : new Browser(options);
      });
    }
    if (!egress && !o.egress) {
      // Built before the tools so every tool shares it; Docker is contacted only on use.
      const { DockerProxyEgress } = await import("../backends/egress/docker_proxy_egress.ts");
      const { openDockerClient } = await import("../backends/docker/docker_client.ts");
      const docker = await openDockerClient(endpoint);
      let clearance;
      if (o.clearance && o.clearance.holdMs > 0) {
        // The proxy bind-mounts the desk's socket directory: only a local engine sees it.
        requireLocalEngine(
          endpoint,
          "hold browsing egress for clearance",
          "the egress proxy bind-mounts this host's clearance socket directory",
        );
        const { openClearanceSocketDir } = await import("./contained/clearance_socket_dir.ts");
        const dir = await openClearanceSocketDir(o.clearance);
        this.#clearanceDir = dir;
        clearance = dir.option;
      }
      egress = new DockerProxyEgress(docker, clearance ? { clearance } : {});
    }
    const run = await assembleRun(this.#config, {
      env: o.env,
      registries: { ...base, tools },
    });
    images.add(RUNTIME_IMAGE);
    const { isDefaultSandboxBackend } = await import("./sandbox_registry.ts");
    // A custom backend brings its own images and engine: the local daemon is not asked about them.
    const preflight = o.preflight ??
      (isDefaultSandboxBackend(this.#config.backend) || o.backend
        ? (list: string[]) => dockerPreflight(list, endpoint)
        : () => Promise.resolve(null));
    const unavailable = await preflight([...images]);
    return { tools: run.plugins.tools, unavailable };
  }

  /**
   * Answers one `tool_call`: the real tool's observation, or the error it threw. Calls run one
   * at a time, in arrival order (each may start Chromium).
   */
  call(msg: ToolCallMessage): Promise<ToolResultMessage> {
    const next = this.#queue.catch(() => {}).then(() => this.#serve(msg));
    this.#queue = next;
    return next;
  }

  async #serve(msg: ToolCallMessage): Promise<ToolResultMessage> {
    const reply = (r: Omit<ToolResultMessage, "zu_jail" | "id">): ToolResultMessage => ({
      zu_jail: "tool_result",
      id: msg.id,
      ...r,
    });
    try {
      this.#tools ??= this.#setup();
      const { tools, unavailable } = await this.#tools;
      const tool = HOST_EXECUTED_TOOLS.includes(msg.tool) ? tools.get(msg.tool) : undefined;
      if (!tool) {
        return reply({
          error: {
            name: "ZuError",
            code: "tool_not_offered",
            message: `Cannot run "${msg.tool}" on the host: the agent does not offer it`,
          },
        });
      }
      if (unavailable !== null) return reply({ observation: { error: unavailable } });
      if (++this.#served > this.#maxCalls) {
        return reply({
          error: {
            name: "ZuError",
            code: "budget_exhausted",
            message:
              `Cannot run "${msg.tool}" on the host: the run already made ${this.#maxCalls} host calls`,
          },
        });
      }
      const traceId = typeof msg.trace_id === "string" && msg.trace_id ? msg.trace_id : "default";
      this.#traces.add(traceId);
      const ctx = { trace_id: traceId, spec: { task_id: traceId } } as unknown as RunContext;
      const args = msg.args && typeof msg.args === "object" ? msg.args : {};
      return reply({ observation: await tool.call(ctx, args) });
    } catch (err) {
      return reply({ error: replyErrorOf(err) });
    }
  }

  /** Closes the browser sessions and code sandboxes of the run(s) served. Idempotent. */
  async close(): Promise<void> {
    if (this.#tools === null && this.#backend === null) return;
    const { closeRunSessions } = await import("../agent/tools/browser.ts");
    const { closeRunWorkspaces } = await import("../agent/tools/sandbox_exec.ts");
    for (const trace of this.#traces) {
      await closeRunSessions(trace).catch(() => {});
      await closeRunWorkspaces(trace).catch(() => {});
    }
    this.#traces.clear();
    const gate = this.#gate;
    this.#gate = null;
    await (await gate?.catch(() => null))?.close().catch(() => {});
    const dir = this.#clearanceDir;
    this.#clearanceDir = null;
    await dir?.close();
    const created = this.#backend as Partial<AsyncDisposable> | null;
    this.#backend = null;
    this.#opening = null;
    if (created && typeof created[Symbol.asyncDispose] === "function") {
      try {
        await created[Symbol.asyncDispose]!();
      } catch {
        // best effort: the backend's reaper removes what is left
      }
    }
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** One line saying why tier-2 tools cannot run on this host's Docker, or null when they can. */
export async function dockerPreflight(
  images: string[],
  target?: string | DockerEndpoint,
): Promise<string | null> {
  const { openDockerClient } = await import("../backends/docker/docker_client.ts");
  const endpoint: DockerEndpoint = target === undefined
    ? parseDockerEndpoint()
    : typeof target === "string"
    ? { kind: "unix", socketPath: target }
    : target;
  const where = endpoint.kind === "unix" ? endpoint.socketPath : describeEndpoint(endpoint);
  let docker;
  try {
    docker = await openDockerClient(endpoint);
    await docker.ping();
  } catch (error) {
    const e = daemonError(endpoint, error, "run tier-2 tools");
    if (e && e.code !== "docker_unavailable") return e.message;
    return `Cannot run tier-2 tools: no Docker daemon answers at "${where}" (render_dom and browser run in sandboxes on the host's Docker)`;
  }
  for (const image of images) {
    try {
      await docker.getImage(image).inspect();
    } catch {
      const hint = image.startsWith("zu-browser")
        ? "zu sandbox image build --browser"
        : "zu sandbox image build";
      return `Cannot run tier-2 tools: image "${image}" is not present locally; build it with "${hint}"`;
    }
  }
  return null;
}
