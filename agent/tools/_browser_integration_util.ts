/**
 * Test-only Docker plumbing for the tier-2 integration tests and the browser benchmark:
 *
 * - an "outside world": an internal network (no route off the box) holding an origin container
 *   that serves `images/browser/testdata/site.ts` from the runtime image;
 * - {@linkcode DockerProxyEgress}: the production egress (`backends/egress/docker_proxy_egress.ts`)
 *   with its proxy on the world's network instead of `bridge`.
 *
 * Everything it makes is labelled `zu.test=browser` and removed by the `close()` methods.
 *
 * @module
 */
import type Dockerode from "dockerode";
import { createDockerClient, defaultSocketPath } from "../../backends/docker/_client.ts";
import { RUNTIME_IMAGE } from "../../backends/docker/image_build.ts";
import {
  containerIp as ipOn,
  DockerProxyEgress as ProductionDockerProxyEgress,
  waitForContainerEvent as waitForEvent,
} from "../../backends/egress/docker_proxy_egress.ts";

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

/**
 * The production {@linkcode ProductionDockerProxyEgress} wired to a test's origin world: the proxy
 * joins the world's network (instead of `bridge`), lets its subnet through, and labels what it
 * makes `zu.test=browser`.
 */
export class DockerProxyEgress extends ProductionDockerProxyEgress {
  /** `world` is where allowed targets live (the proxy joins its network). */
  constructor(docker: Dockerode, world: OriginWorld) {
    super(docker, {
      outsideNetwork: world.network,
      allowCidrs: [world.subnet],
      labels: LABELS,
      namePrefix: "zu-h9",
    });
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
