/**
 * Starting the launcher's egress-proxy sidecar container and waiting for `proxy.ready`
 * (private).
 * @module
 */
import type Dockerode from "dockerode";
import { RunFailure } from "../../core/errors.ts";
import {
  dockerError,
  type FollowedOutput,
  followOutput,
  launcherCreateOptions,
  TextTail,
} from "./_launcher_docker.ts";

/** The port the sidecar listens on. */
export const SIDECAR_PORT = 8080;

/** Inputs of {@link startSidecar}. */
export interface SidecarInput {
  /** Container name. */
  name: string;
  /** Image with deno and zu's sources. */
  image: string;
  /** Full argv (`deno run ... sidecar.ts ...`). */
  cmd: string[];
  /** Run id (labels). */
  runId: string;
  /** The internal network (created on it; its address there is the agent's proxy). */
  network: string;
  /** Networks it also joins (its egress leg, test origins). */
  extraNetworks: readonly string[];
  /** Inline seccomp profile JSON. */
  seccomp: string;
  /** Read-only binds. */
  binds?: readonly string[];
  /** The host socket directory, bound read-only at `/zu/vault` (the floor allows it here only). */
  hostSocketDir?: string;
  /** Waits this long for `proxy.ready`. */
  readyTimeoutMs: number;
  /** Resolves when the run is cancelled. */
  aborted: Promise<"aborted">;
  /** Called with the container id as soon as it exists (for teardown). */
  onCreated: (id: string) => void;
  /** Every JSON line the proxy prints. */
  onLine: (line: Record<string, unknown>) => void;
}

/** A started sidecar. */
export interface Sidecar {
  /** `ready`, or `aborted` when the run was cancelled while waiting. */
  state: "ready" | "aborted";
  /** Its address on the internal network ("" when aborted). */
  ip: string;
  /** Its followed output. */
  output: FollowedOutput;
}

/**
 * Creates the sidecar on the internal network, joins the extra networks, attaches to its
 * output, starts it, and waits (bounded) for a `proxy.ready` line that reports its checks on.
 */
export async function startSidecar(docker: Dockerode, input: SidecarInput): Promise<Sidecar> {
  const proxy = await docker.createContainer(launcherCreateOptions({
    name: input.name,
    image: input.image,
    cmd: input.cmd,
    env: { NO_COLOR: "1", DENO_DIR: "/tmp/.deno", HOME: "/tmp" },
    runId: input.runId,
    role: "proxy",
    network: input.network,
    seccomp: input.seccomp,
    memoryBytes: 256 * 1024 * 1024,
    pids: 128,
    cpus: 1,
    ...(input.binds ? { binds: input.binds } : {}),
    ...(input.hostSocketDir ? { hostSocketDir: input.hostSocketDir } : {}),
  })).catch((e) => {
    throw dockerError(e, input.runId, input.image);
  });
  input.onCreated(proxy.id);
  for (const extra of input.extraNetworks) {
    await docker.getNetwork(extra).connect({ Container: proxy.id });
  }
  let readyResolve!: () => void;
  const ready = new Promise<"ready">((r) => readyResolve = () => r("ready"));
  const logs = new TextTail(16384);
  const output = await followOutput(docker, proxy, {
    onLine: (line) => {
      // A proxy that reports its checks off never counts as ready.
      if (line.event === "proxy.ready" && line.unsafe_test_allow_all === false) readyResolve();
      input.onLine(line);
    },
    onText: (t) => logs.push(t + "\n"),
    onStderr: (t) => logs.push(t),
  }, "attach");
  await proxy.start();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const state = await Promise.race([
    ready,
    proxy.wait().then(() => "exited" as const),
    input.aborted,
    new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), input.readyTimeoutMs)),
  ]);
  clearTimeout(timer);
  if (state === "aborted") return { state, ip: "", output };
  if (state !== "ready") {
    output.stop();
    const text = logs.text.trim();
    // An image built before live clearance has a sidecar that does not know --clearance.
    const hint = /Unknown option '--clearance/.test(text)
      ? "; the image's zu sources predate live clearance: rebuild the runtime image, or run with --clearance-hold off"
      : "";
    throw new RunFailure(
      "sandbox_proxy_failed",
      `Cannot start sandbox run "${input.runId}": the egress proxy ${
        state === "exited" ? "exited" : `was not ready within ${input.readyTimeoutMs} ms`
      }: ${text.slice(-2000)}${hint}`,
    );
  }
  const info = await proxy.inspect();
  const ip = info.NetworkSettings.Networks[input.network]?.IPAddress;
  if (!ip) {
    output.stop();
    throw new RunFailure(
      "sandbox_proxy_failed",
      `Cannot start sandbox run "${input.runId}": the egress proxy has no address`,
    );
  }
  return { state: "ready", ip, output };
}
