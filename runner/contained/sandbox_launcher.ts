/**
 * `SandboxLauncher`: runs a whole agent in the runtime image on an internal Docker network
 * whose only route out is an egress-proxy sidecar.
 *
 * Topology per run (everything labelled `zu.managed=1`, `zu.run=<run id>`):
 *
 * ```
 * internal network zu-net-<id> (Internal: true, no route out)
 *   ├─ agent container: caps dropped, no-new-privileges, seccomp, read-only root, non-root,
 *   │    HTTP(S)_PROXY=http://<proxy ip>:8080, ZU_SANDBOXED=1, ZU_SANDBOX_NETWORK=zu-net-<id>,
 *   │    allowlisted names pinned to the proxy in /etc/hosts, no other DNS (the proxy resolves)
 *   └─ proxy sidecar: `deno run --allow-net=<listen, allowlisted hosts, pinned addresses>
 *        sidecar.ts`, equally hardened, ALSO on zu-egress-<id> (a normal bridge network), so
 *        only the proxy has a second leg
 * ```
 *
 * The allowlist is the agent's declared egress plus the model provider's host; names are
 * resolved once on the host at start and pinned. Every stdout line of the agent of the form
 * `{"zu_event": <Event>}` (or the permission jail's `{"zu_jail":"event","event":<Event>}`) is
 * appended to the host's canonical sink as it arrives; the proxy's
 * decisions can be recorded as `harness.egress.observed` events (a fact the agent cannot
 * author). The run's own timeout applies; on timeout, cancellation or error everything is torn
 * down in `finally`.
 *
 * @example
 * ```ts ignore
 * import { SandboxLauncher } from "./sandbox_launcher.ts";
 * import { MemorySink } from "../../sinks/memory/mod.ts";
 * const sink = new MemorySink();
 * const launcher = new SandboxLauncher({ sink });
 * const outcome = await launcher.run({
 *   command: ["deno", "run", "--allow-net", "--allow-env", "cli/main.ts", "run", "--inside-sandbox", "agent"],
 *   allowlist: ["api.example.com"],
 *   modelHost: "api.openai.com",
 *   timeoutMs: 10 * 60_000,
 * });
 * console.log(outcome.exitCode, outcome.events);
 * ```
 * @module
 */
import type Dockerode from "dockerode";
import type { DockerClient } from "../../backends/docker/docker_client.ts";
import { EGRESS_OBSERVED, type Event, newEvent } from "../../core/events.ts";
import type { AgentLauncher, EventSink, LaunchOutcome, LaunchRequest } from "../../core/types.ts";
import { RunFailure } from "../../core/errors.ts";
import { parseDockerEndpoint } from "../../backends/docker/docker_endpoint.ts";
import { openDockerEndpoint } from "../../backends/docker/open_docker_endpoint.ts";
import { CONTAINED_NEEDS_LOCAL, requireLocalEngine } from "../../backends/docker/local_engine.ts";
import { pinAllowlist } from "../../backends/egress/spawn_proxy_process.ts";
import { proxyCommand } from "../../backends/egress/proxy_command.ts";
import { parseHostPattern } from "../../core/host_pattern.ts";
import { loadSeccompProfile } from "../../seccomp/mod.ts";
import {
  checkImagePolicy,
  DEFAULT_IMAGE_POLICY,
  type ImagePolicy,
} from "../../backends/docker/image_policy.ts";
import {
  dockerError,
  dockerStatus,
  type FollowedOutput,
  followOutput,
  launcherCreateOptions,
  launcherLabels,
  removeContainer,
  removeNetwork,
  shortId,
  TextTail,
} from "./_launcher_docker.ts";
import { SIDECAR_PORT, startSidecar } from "./_launcher_proxy.ts";
import { eventFromContained, modelHostEntry } from "./_launcher_events.ts";
import {
  forwardedNames,
  HOST_SOCKET_MOUNT,
  type HostSockets,
  sidecarClearanceOf,
  sidecarForwardsOf,
} from "./host_sockets.ts";

/** Default image for the agent and the proxy. */
export const DEFAULT_LAUNCHER_IMAGE = "zu-runtime:0.1.0";
export { SIDECAR_PORT };
export {
  containedEventLine,
  eventFromContained,
  HOST_ONLY_TYPES,
  modelHostEntry,
} from "./_launcher_events.ts";

/** Options of {@link SandboxLauncher}. */
export interface SandboxLauncherOptions {
  /** The host's canonical sink: contained events land here as they happen. Required. */
  sink: EventSink;
  /** dockerode client. Default: `DOCKER_HOST`'s daemon, which must be local (a unix socket). */
  docker?: DockerClient;
  /** Agent image. Default `zu-runtime:0.1.0`. */
  image?: string;
  /** Proxy image (needs deno and zu's sources). Default: `image`. */
  proxyImage?: string;
  /** Where zu's sources are inside the proxy image. Default `/opt/zu`. */
  zuRoot?: string;
  /**
   * A host checkout of zu bind-mounted read-only at `zuRoot` in the proxy container (so the
   * sidecar runs the host's sources, e.g. in tests). Default none (the image's copy).
   */
  zuSourceBind?: string;
  /** The deno binary inside the images. Default `/usr/local/bin/deno`. */
  denoPath?: string;
  /** Seccomp profile for both containers: a shipped name or a file path. Default `block`. */
  seccomp?: string;
  /** Which images may run. Default local images only (`backends/docker/image_policy.ts`). */
  imagePolicy?: ImagePolicy;
  /** Waits this long for the sidecar's `proxy.ready`. Default 20000 ms. */
  proxyReadyTimeoutMs?: number;
  /** Every JSON line the proxy prints. */
  onProxyLine?: (line: Record<string, unknown>) => void;
  /** Agent stdout lines that are not events. */
  onAgentText?: (text: string) => void;
  /**
   * Agent stdout JSON lines that are not events (e.g. the jail's `{"zu_jail":"result",...}`).
   * Default: handed to `onAgentText` as text.
   */
  onAgentLine?: (line: Record<string, unknown>) => void;
  /** Agent stderr. */
  onAgentStderr?: (text: string) => void;
  /**
   * The host socket directory the sidecar forwards to (the model broker, the TLS interceptor):
   * bound read-only at `/zu/vault` into the sidecar only, its forwards passed as
   * `--forward-http` / `--forward-connect`, and the forwarded exact names resolved to the proxy
   * in the agent container. With `clearance`, the sidecar asks the host's desk on that socket
   * (`--clearance`) under the widened flags of `clearance_grant.ts`. Default none.
   */
  hostSockets?: HostSockets;
  /**
   * Called once the agent container has stopped and before anything is removed, with the ids of
   * the containers (tests export and inspect them here). Errors are kept as teardown errors.
   */
  beforeTeardown?: (containers: { agent?: string; proxy?: string }) => Promise<void>;
}

export type { LaunchOutcome, LaunchRequest } from "../../core/types.ts";

/** The whole agent in a container behind the egress proxy. */
export class SandboxLauncher implements AgentLauncher {
  #options: SandboxLauncherOptions;
  #docker: Dockerode | undefined;

  /** Creates a launcher writing contained events to `options.sink`. */
  constructor(options: SandboxLauncherOptions) {
    this.#options = options;
    this.#docker = options.docker;
  }

  async #client(): Promise<Dockerode> {
    if (this.#docker) return this.#docker;
    const endpoint = parseDockerEndpoint();
    requireLocalEngine(endpoint, "run contained", CONTAINED_NEEDS_LOCAL);
    this.#docker = await openDockerEndpoint(endpoint);
    return this.#docker;
  }

  /**
   * Runs `request.command` in a fresh hardened container behind a fresh proxy sidecar and
   * resolves when it exits or is killed at `timeoutMs`. Throws the signal's reason when
   * cancelled, after tearing everything down.
   */
  async run(request: LaunchRequest): Promise<LaunchOutcome> {
    if (!(request.timeoutMs > 0)) {
      throw new RangeError(`Cannot launch: timeoutMs must be positive, got ${request.timeoutMs}`);
    }
    request.signal?.throwIfAborted();
    const started = performance.now();
    const o = this.#options;
    const docker = await this.#client();
    const runId = request.runId ?? crypto.randomUUID();
    const id = shortId(runId);
    const netName = `zu-net-${id}`;
    const egressName = `zu-egress-${id}`;
    const image = o.image ?? DEFAULT_LAUNCHER_IMAGE;
    const proxyImage = o.proxyImage ?? image;
    const zuRoot = o.zuRoot ?? "/opt/zu";
    const deno = o.denoPath ?? "/usr/local/bin/deno";
    const seccomp = (await loadSeccompProfile(o.seccomp ?? "block")).json;
    checkImagePolicy(image, o.imagePolicy ?? DEFAULT_IMAGE_POLICY);
    checkImagePolicy(proxyImage, o.imagePolicy ?? DEFAULT_IMAGE_POLICY);
    const allowlist = [...request.allowlist];
    if (request.modelHost) allowlist.push(modelHostEntry(request.modelHost));
    const unique = [...new Set(allowlist)];
    for (const entry of unique) parseHostPattern(entry); // TypeError on "*" or junk
    const allowCidrs = [...(request.allowCidrs ?? [])];

    const created = { networks: [] as string[], containers: [] as string[] };
    const roles: { agent?: string; proxy?: string } = {};
    const followers: FollowedOutput[] = [];
    const decisions: Record<string, unknown>[] = [];
    const stderr = new TextTail(65536);
    let appendChain: Promise<void> = Promise.resolve();
    let appendError: unknown = null;
    let events = 0;
    let rejected = 0;
    const append = (event: Event) => {
      appendChain = appendChain.then(() => o.sink.append(event)).then(
        () => {},
        (e) => {
          appendError ??= e;
        },
      );
    };

    const abort = new AbortController();
    const onAbort = () => abort.abort(request.signal?.reason);
    request.signal?.addEventListener("abort", onAbort, { once: true });
    const aborted = new Promise<"aborted">((resolve) => {
      if (abort.signal.aborted) resolve("aborted");
      abort.signal.addEventListener("abort", () => resolve("aborted"), { once: true });
    });

    let failed = false;
    let result: LaunchOutcome | undefined;
    let teardownError: unknown = null;
    try {
      // 1. Networks: internal (no route out) and the proxy's egress leg.
      const labels = launcherLabels(runId, "network");
      const net = await docker.createNetwork({
        Name: netName,
        Internal: true,
        CheckDuplicate: true,
        Labels: labels,
      }).catch((e) => {
        throw dockerError(e, runId, image);
      });
      created.networks.push(net.id);
      const egress = await docker.createNetwork({
        Name: egressName,
        Internal: false,
        CheckDuplicate: true,
        Labels: launcherLabels(runId, "egress"),
      });
      created.networks.push(egress.id);

      // 2. Pin the allowlist once (host side) and compute the proxy's exact flags.
      const pins = await pinAllowlist(unique, {
        ...(request.resolver ? { resolver: request.resolver } : {}),
        allowCidrs,
      });
      const listen = `0.0.0.0:${SIDECAR_PORT}`;
      const sockets = o.hostSockets;
      const clearance = sockets ? sidecarClearanceOf(sockets) : undefined;
      const { flags, args } = proxyCommand({
        listen,
        allowlist: unique,
        pins,
        allowCidrs,
        sidecarPath: `${zuRoot}/backends/egress/sidecar.ts`,
        ...(sockets ? { forwards: sidecarForwardsOf(sockets) } : {}),
        // Live clearance: the sidecar asks the host's desk; its --allow-net is widened.
        ...(clearance ? { clearance } : {}),
      });
      const sidecarBinds = [
        ...(o.zuSourceBind ? [`${o.zuSourceBind}:${zuRoot}`] : []),
        ...(sockets ? [`${sockets.dir}:${HOST_SOCKET_MOUNT}`] : []),
      ];

      // 3. The proxy sidecar: internal network + its egress leg (+ extra networks).
      const sidecar = await startSidecar(docker, {
        name: `zu-proxy-${id}`,
        image: proxyImage,
        cmd: [deno, ...args],
        runId,
        network: netName,
        extraNetworks: [egressName, ...(request.proxyNetworks ?? [])],
        seccomp,
        readyTimeoutMs: o.proxyReadyTimeoutMs ?? 20_000,
        aborted,
        ...(sidecarBinds.length ? { binds: sidecarBinds } : {}),
        ...(sockets ? { hostSocketDir: sockets.dir } : {}),
        onCreated: (containerId) => {
          created.containers.push(containerId);
          roles.proxy = containerId;
        },
        onLine: (line) => {
          o.onProxyLine?.(line);
          if (line.event !== "proxy.decision") return;
          decisions.push(line);
          const taskId = typeof request.taskId === "function" ? request.taskId() : request.taskId;
          if (taskId) {
            append(newEvent({
              task_id: taskId,
              type: EGRESS_OBSERVED,
              source: "egress_proxy",
              payload: { ...line, run_id: runId },
            }));
          }
        },
      });
      followers.push(sidecar.output);
      if (sidecar.state === "aborted") throw abort.signal.reason;
      const proxyIp = sidecar.ip;
      const proxyUrl = `http://${proxyIp}:${SIDECAR_PORT}`;

      // 4. The agent: internal network only, proxy as its only way out.
      const env: Record<string, string> = {
        ...(request.env ?? {}),
        ZU_SANDBOXED: "1",
        ZU_SANDBOX_NETWORK: netName,
        ZU_RUN_ID: runId,
        HTTP_PROXY: proxyUrl,
        HTTPS_PROXY: proxyUrl,
        http_proxy: proxyUrl,
        https_proxy: proxyUrl,
        NO_PROXY: "localhost,127.0.0.1",
        no_proxy: "localhost,127.0.0.1",
      };
      const pinnedNames: Record<string, string> = { "zu-proxy": proxyIp };
      for (const e of unique.map(parseHostPattern)) {
        // Docker's resolver answers nothing external on an internal network; pin the
        // allowlisted names to the proxy (Deno resolves a fetch's host even through a proxy).
        if (!e.wildcard && !e.ip && /^[a-z0-9.-]+$/.test(e.host)) pinnedNames[e.host] = proxyIp;
      }
      // The forwarded names (the broker's `zu-vault`, bound hosts) also resolve to the proxy.
      for (const name of sockets ? forwardedNames(sockets) : []) pinnedNames[name] = proxyIp;
      const agent = await docker.createContainer(launcherCreateOptions({
        name: `zu-agent-${id}`,
        image,
        cmd: request.command,
        env,
        runId,
        role: "agent",
        network: netName,
        seccomp,
        memoryBytes: request.memoryBytes ?? 1024 * 1024 * 1024,
        pids: 256,
        cpus: request.cpus ?? 1,
        // Fail other lookups fast instead of waiting out the default 5 s x 2.
        dnsOptions: ["timeout:1", "attempts:1"],
        extraHosts: pinnedNames,
        ...(request.workdir ? { workdir: request.workdir } : {}),
        ...(request.binds ? { binds: request.binds } : {}),
      })).catch((e) => {
        throw dockerError(e, runId, image);
      });
      created.containers.push(agent.id);
      roles.agent = agent.id;
      const agentOut = await followOutput(docker, agent, {
        onLine: (line) => {
          // `{"zu_event": e}` from any contained program, or the jail child's own event line.
          const contained = "zu_event" in line
            ? line.zu_event
            : line.zu_jail === "event"
            ? line.event
            : undefined;
          if (contained === undefined) {
            if (o.onAgentLine) o.onAgentLine(line);
            else o.onAgentText?.(JSON.stringify(line));
            return;
          }
          const event = eventFromContained(contained);
          if (event === null) {
            rejected++;
            return;
          }
          events++;
          append(event);
        },
        ...(o.onAgentText ? { onText: o.onAgentText } : {}),
        onStderr: (t) => {
          stderr.push(t);
          o.onAgentStderr?.(t);
        },
      }, "attach");
      followers.push(agentOut);
      await agent.start();

      // 5. Wait for the agent: its exit, the run's timeout, or cancellation.
      let runTimer: ReturnType<typeof setTimeout> | undefined;
      const outcome = await Promise.race([
        agent.wait().then((r: { StatusCode: number }) => ({
          kind: "exited" as const,
          code: r.StatusCode,
        })),
        new Promise<{ kind: "timeout" }>((r) =>
          runTimer = setTimeout(() => r({ kind: "timeout" }), request.timeoutMs)
        ),
        aborted.then(() => ({ kind: "aborted" as const })),
      ]);
      clearTimeout(runTimer);
      if (outcome.kind === "aborted") throw abort.signal.reason;
      let exitCode: number;
      if (outcome.kind === "timeout") {
        try {
          await agent.kill({ signal: "SIGKILL" });
        } catch (e) {
          if (dockerStatus(e) !== 409 && dockerStatus(e) !== 404) throw e;
        }
        exitCode = ((await agent.wait()) as { StatusCode: number }).StatusCode;
      } else exitCode = outcome.code;
      // All output of the agent has been read once its log stream ends.
      await agentOut.done;
      await appendChain;
      if (appendError !== null) throw appendError;
      result = {
        exitCode,
        timedOut: outcome.kind === "timeout",
        events,
        rejectedEvents: rejected,
        proxyDecisions: decisions,
        allowlist: unique,
        proxyFlags: flags,
        network: netName,
        stderr: stderr.text,
        durationMs: Math.round(performance.now() - started),
      };
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      request.signal?.removeEventListener("abort", onAbort);
      for (const f of followers) f.stop();
      const errors: unknown[] = [];
      if (o.beforeTeardown && (roles.agent || roles.proxy)) {
        if (roles.agent) {
          // The hook looks at a stopped agent (its filesystem, its inspect data).
          await docker.getContainer(roles.agent).kill({ signal: "SIGKILL" }).catch(() => {});
        }
        await o.beforeTeardown({ ...roles }).catch((e) => errors.push(e));
      }
      for (const c of created.containers.reverse()) {
        await removeContainer(docker, c).catch((e) => errors.push(e));
      }
      for (const n of created.networks.reverse()) {
        await removeNetwork(docker, n).catch((e) => errors.push(e));
      }
      await appendChain;
      if (errors.length > 0 && !failed) teardownError = errors[0];
    }
    if (teardownError !== null || result === undefined) {
      // Teardown failures must not pass silently; the reaper catches what is left.
      throw new RunFailure(
        "sandbox_teardown_failed",
        `Cannot tear down sandbox run "${runId}": ${String(teardownError)}`,
      );
    }
    return result;
  }
}
