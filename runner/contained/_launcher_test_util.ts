/**
 * Helpers for the launcher's integration tests (private): an origin server in its own container
 * on its own network, and leftovers by run label.
 * @module
 */
import type Dockerode from "dockerode";
import {
  followOutput,
  launcherLabels,
  removeContainer,
  removeNetwork,
} from "./_launcher_docker.ts";
import { buildRuntimeImage, RUNTIME_IMAGE } from "../../backends/docker/mod.ts";

/** The runtime image the tests use. */
export const TEST_IMAGE: string = RUNTIME_IMAGE;

let ensured: Promise<void> | undefined;

/**
 * Builds {@linkcode TEST_IMAGE} from this machine when the daemon does not have it (a fresh
 * clone: the build needs only `ldd`); an image that is there is used as it is, whatever sources
 * it was built from (the tests bind-mount this checkout where they need zu's sources).
 */
export function ensureTestImage(docker: Dockerode): Promise<void> {
  ensured ??= (async () => {
    const present = await docker.getImage(TEST_IMAGE).inspect().then(() => true, (e) => {
      if ((e as { statusCode?: number }).statusCode === 404) return false;
      throw e;
    });
    if (!present) await buildRuntimeImage({ docker, tag: TEST_IMAGE });
  })();
  return ensured;
}

/** The host checkout, bind-mounted as the sidecar's sources. */
export const ZU_ROOT: string = decodeURIComponent(new URL("../../", import.meta.url).pathname)
  .replace(
    /\/$/,
    "",
  );

/**
 * The origin: `/gate` is held until `/release` was requested (so a test can prove events
 * streamed while the agent was still running); anything else answers
 * `origin ok <path> host=<Host>`.
 */
const ORIGIN_CODE = `
let release; const released = new Promise((r) => release = r);
Deno.serve({ hostname: "0.0.0.0", port: 8000, onListen: () => console.log(JSON.stringify({ event: "origin.ready" })) }, async (req) => {
  const u = new URL(req.url);
  console.log(JSON.stringify({ event: "origin.request", path: u.pathname, host: req.headers.get("host") }));
  if (u.pathname === "/release") { release(); return new Response("released"); }
  if (u.pathname === "/gate") { await released; return new Response("gate open"); }
  return new Response("origin ok " + u.pathname + " host=" + req.headers.get("host"));
});
`;

/** Names Docker's resolver answers for the origin on its network (for wildcard tests). */
export const ORIGIN_ALIASES: readonly string[] = ["api.wild.test"];

/** A running origin. */
export interface TestOrigin {
  /** Its network's name. */
  network: string;
  /** Its network's subnet (CIDR). */
  subnet: string;
  /** Its address on that network. */
  ip: string;
  /** Removes the container and network. */
  close(): Promise<void>;
}

/**
 * Starts the origin in its own container on its own (labelled) network. `onRequest` (optional)
 * sees each request it receives (`{event: "origin.request", path, host}`) until it is closed.
 */
export async function startTestOrigin(
  docker: Dockerode,
  runId: string,
  onRequest?: (line: Record<string, unknown>) => void,
): Promise<TestOrigin> {
  await ensureTestImage(docker);
  const id = runId.replace(/[^a-z0-9]/gi, "").slice(0, 12).toLowerCase();
  const name = `zu-test-origin-${id}`;
  const net = await docker.createNetwork({
    Name: name,
    CheckDuplicate: true,
    Labels: launcherLabels(runId, "test-origin"),
  });
  let container: Dockerode.Container | undefined;
  let following: { stop(): void } | undefined;
  const close = async () => {
    following?.stop();
    if (container) await removeContainer(docker, container.id);
    await removeNetwork(docker, net.id);
  };
  try {
    container = await docker.createContainer({
      name,
      Image: TEST_IMAGE,
      Cmd: ["/usr/local/bin/deno", "eval", ORIGIN_CODE],
      Entrypoint: [],
      User: "10001:10001",
      Env: ["DENO_DIR=/tmp/.deno", "HOME=/tmp", "NO_COLOR=1"],
      Labels: launcherLabels(runId, "test-origin"),
      NetworkingConfig: { EndpointsConfig: { [name]: { Aliases: [...ORIGIN_ALIASES] } } },
      HostConfig: {
        NetworkMode: name,
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        ReadonlyRootfs: true,
        Tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m" },
        PidsLimit: 128,
        Memory: 256 * 1024 * 1024,
      },
    });
    await container.start();
    let ready!: () => void;
    const isReady = new Promise<"ready">((r) => ready = () => r("ready"));
    const out = await followOutput(docker, container, {
      onLine: (l) => {
        if (l.event === "origin.ready") ready();
        else if (l.event === "origin.request") onRequest?.(l);
      },
    });
    following = out;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const state = await Promise.race([
      isReady,
      container.wait().then(() => "exited" as const),
      // Only a hung daemon ends here: the origin is ready or exited long before on any host.
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), 300_000)),
    ]);
    clearTimeout(timer);
    if (!onRequest) out.stop();
    if (state !== "ready") throw new Error(`Cannot start the test origin: it ${state}`);
    const netInfo = await docker.getNetwork(net.id).inspect();
    const subnet = netInfo.IPAM?.Config?.[0]?.Subnet as string | undefined;
    const ip = (await container.inspect()).NetworkSettings.Networks[name]?.IPAddress;
    if (!subnet || !ip) throw new Error("Cannot start the test origin: no subnet or address");
    return { network: name, subnet, ip, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Containers and networks still carrying `zu.run=<runId>`. */
export async function leftovers(docker: Dockerode, runId: string): Promise<string[]> {
  const filters = JSON.stringify({ label: [`zu.run=${runId}`] });
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  return [
    ...containers.map((c) => `container ${c.Names[0]}`),
    ...networks.map((n) => `network ${n.Name}`),
  ];
}
