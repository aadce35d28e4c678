/**
 * Test-only Docker plumbing for the tier-2 integration tests and the browser benchmark:
 *
 * - an "outside world": an internal network (no route off the box) holding an origin container
 *   that serves `images/browser/testdata/site.ts` from the runtime image;
 * - {@linkcode DockerProxyEgress}: a {@linkcode BrowserEgress} that, per lease, creates an
 *   internal network for the sandbox and starts H6's egress proxy sidecar in a runtime-image
 *   container on both networks, allowing exactly the target (pinned to the checked address), and
 *   reads its decisions from the container's log.
 *
 * Everything it makes is labelled `zu.test=browser` and removed by the `close()` methods.
 *
 * @module
 */
import type Dockerode from "dockerode";
import { createDockerClient, defaultSocketPath } from "../../backends/docker/_client.ts";
import { RUNTIME_IMAGE } from "../../backends/docker/image_build.ts";
import { proxyCommand } from "../../backends/egress/proxy_command.ts";
import type { BrowserEgress, EgressLease, EgressRequest } from "./_browser_egress.ts";

/** Label on everything these helpers create. */
export const TEST_LABEL = "zu.test";
const LABELS = { [TEST_LABEL]: "browser" };
const SITE_DIR = decodeURIComponent(
  new URL("../../images/browser/testdata", import.meta.url).pathname,
);

function suffix(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 8);
}

/** A dockerode client on the default socket. */
export function dockerClient(): Promise<Dockerode> {
  return createDockerClient(defaultSocketPath());
}

/** Whether an image is present locally. */
export async function imagePresent(docker: Dockerode, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch {
    return false;
  }
}

async function logsText(container: Dockerode.Container): Promise<string> {
  const buf = await container.logs({
    stdout: true,
    stderr: false,
    follow: false,
  }) as unknown as Uint8Array;
  // Docker multiplexes non-TTY logs in frames: 8-byte header [stream, 0, 0, 0, size u32 BE].
  const bytes = new Uint8Array(buf);
  const parts: Uint8Array[] = [];
  let i = 0;
  while (i + 8 <= bytes.length) {
    const size =
      ((bytes[i + 4]! << 24) | (bytes[i + 5]! << 16) | (bytes[i + 6]! << 8) | bytes[i + 7]!) >>> 0;
    if (bytes[i] === 1) parts.push(bytes.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return parts.map((p) => new TextDecoder().decode(p)).join("");
}

function jsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // partial line
    }
  }
  return out;
}

/** Waits (bounded: `tries` polls of the log, each after the previous answer) for a JSON event line. */
async function waitForEvent(
  container: Dockerode.Container,
  event: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 2_000 && Date.now() < deadline; i++) {
    if (jsonLines(await logsText(container)).some((l) => l["event"] === event)) return;
    const state = (await container.inspect()).State;
    if (!state.Running) {
      throw new Error(
        `Container exited before "${event}": ${(await logsText(container)).slice(-500)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50)); // poll interval of a bounded readiness probe
  }
  throw new Error(`No "${event}" within ${timeoutMs} ms`);
}

async function ipOn(container: Dockerode.Container, network: string): Promise<string> {
  const info = await container.inspect();
  const ip = info.NetworkSettings.Networks[network]?.IPAddress;
  if (!ip) throw new Error(`Container has no address on "${network}"`);
  return ip;
}

/** The outside world of a test: an internal network with the origin site on it. */
export interface OriginWorld extends AsyncDisposable {
  /** The docker client. */
  docker: Dockerode;
  /** Network name. */
  network: string;
  /** Its subnet (CIDR). */
  subnet: string;
  /** The origin's address. */
  originIp: string;
  /** The origin's port. */
  port: number;
  /** Removes the origin and the network. */
  close(): Promise<void>;
}

/** Starts the origin site (in the runtime image) on a fresh internal network. */
export async function startOriginWorld(
  docker: Dockerode,
  options: { exfilHost?: string } = {},
): Promise<OriginWorld> {
  const network = `zu-h9-out-${suffix()}`;
  await docker.createNetwork({ Name: network, Driver: "bridge", Internal: true, Labels: LABELS });
  let container: Dockerode.Container | undefined;
  const close = async () => {
    if (container) await container.remove({ force: true }).catch(() => {});
    await docker.getNetwork(network).remove().catch(() => {});
  };
  try {
    container = await docker.createContainer({
      name: `zu-h9-origin-${suffix()}`,
      Image: RUNTIME_IMAGE,
      Cmd: [
        "/usr/local/bin/deno",
        "run",
        "--no-prompt",
        "--no-config",
        "--allow-net",
        "/site/site.ts",
        "8000",
        options.exfilHost ?? "evil.test",
      ],
      Labels: LABELS,
      User: "10001:10001",
      HostConfig: {
        NetworkMode: network,
        Binds: [`${SITE_DIR}:/site:ro`],
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        Memory: 256 * 1024 * 1024,
        PidsLimit: 64,
      },
    });
    await container.start();
    await waitForEvent(container, "site.ready", 20_000);
    const info = await docker.getNetwork(network).inspect() as {
      IPAM?: { Config?: Array<{ Subnet?: string }> };
    };
    const subnet = info.IPAM?.Config?.[0]?.Subnet;
    if (!subnet) throw new Error(`Network "${network}" has no subnet`);
    return {
      docker,
      network,
      subnet,
      originIp: await ipOn(container, network),
      port: 8000,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A {@linkcode BrowserEgress} that runs the real egress proxy sidecar in a container per lease. */
export class DockerProxyEgress implements BrowserEgress {
  #docker: Dockerode;
  #world: OriginWorld;
  /** Leases opened so far. */
  opened = 0;
  /** The proxy's decision lines of each closed lease, read just before its container went. */
  readonly closedDecisions: Record<string, unknown>[][] = [];

  /** `world` is where allowed targets live (the proxy joins its network). */
  constructor(docker: Dockerode, world: OriginWorld) {
    this.#docker = docker;
    this.#world = world;
  }

  /** Starts a proxy that lets only `request.host` through, pinned to `request.addresses`. */
  async open(request: EgressRequest): Promise<EgressLease> {
    const docker = this.#docker;
    const network = `zu-h9-in-${suffix()}`;
    await docker.createNetwork({ Name: network, Driver: "bridge", Internal: true, Labels: LABELS });
    let container: Dockerode.Container | undefined;
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      if (container) {
        const lines = await logsText(container).then(jsonLines, () => []);
        this.closedDecisions.push(lines.filter((l) => l["event"] === "proxy.decision"));
        await container.remove({ force: true }).catch(() => {});
      }
      await docker.getNetwork(network).remove().catch(() => {});
    };
    try {
      const { args } = proxyCommand({
        listen: "0.0.0.0:8080",
        allowlist: [request.host],
        pins: {
          raw: { [request.host]: request.addresses },
          granted: { [request.host]: request.addresses },
        },
        allowCidrs: [this.#world.subnet],
        sidecarPath: "/opt/zu/backends/egress/sidecar.ts",
      });
      container = await docker.createContainer({
        name: `zu-h9-proxy-${suffix()}`,
        Image: RUNTIME_IMAGE,
        Cmd: ["/usr/local/bin/deno", ...args],
        Labels: LABELS,
        User: "10001:10001",
        HostConfig: {
          NetworkMode: network,
          CapDrop: ["ALL"],
          SecurityOpt: ["no-new-privileges"],
          Memory: 256 * 1024 * 1024,
          PidsLimit: 64,
          ReadonlyRootfs: true,
          Tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m" },
        },
      });
      await docker.getNetwork(this.#world.network).connect({ Container: container.id });
      await container.start();
      await waitForEvent(container, "proxy.ready", 30_000);
      const ip = await ipOn(container, network);
      this.opened++;
      const c = container;
      return {
        proxy: `http://${ip}:8080`,
        networkName: network,
        decisions: async () =>
          jsonLines(await logsText(c)).filter((l) => l["event"] === "proxy.decision"),
        close,
        [Symbol.asyncDispose]: close,
      };
    } catch (error) {
      await close();
      throw error;
    }
  }
}

/** Containers and networks labelled by these helpers or by a sandbox of `runId` that still exist. */
export async function leftovers(docker: Dockerode, runId: string): Promise<string[]> {
  const containers = await docker.listContainers({ all: true });
  const names = containers
    .filter((c) => c.Labels?.[TEST_LABEL] === "browser" || c.Labels?.["zu.run"] === runId)
    .map((c) => c.Names?.[0] ?? c.Id);
  const networks = await docker.listNetworks();
  return [
    ...names,
    ...networks.filter((n) =>
      n.Labels?.[TEST_LABEL] === "browser" || n.Labels?.["zu.run"] === runId
    ).map((n) => n.Name),
  ];
}
