/**
 * The sandbox's way to the git gate: an internal Docker network (no route out) whose gateway
 * address on the host carries the run's egress proxy, with the gate's loopback origin as the
 * proxy's only local origin and the run's gate tokens screened out of every request not headed
 * to the gate. A sandbox launched on {@link GateSandboxLeg.networkName} with
 * {@link GateSandboxLeg.env} can `git clone` and `git push` the run's repositories and nothing else.
 *
 * @example
 * ```ts ignore
 * import { openGateSandboxLeg, openRunGate } from "./mod.ts";
 * await using gate = await openRunGate({ root, run, grants });
 * await using leg = await openGateSandboxLeg(gate, { docker: await backend.client(), run });
 * await backend.launch({ image, network: "isolated", networkName: leg.networkName, env: leg.env });
 * ```
 * @module
 */
import type { DockerClient } from "../../backends/docker/docker_client.ts";
import { startEgressProxy } from "../../backends/egress/egress_proxy.ts";
import { gateTokenScreen } from "./gate_token_screen.ts";
import type { RunGate } from "./run_gate.ts";

/** Options of {@link openGateSandboxLeg}. */
export interface GateSandboxLegOptions {
  /** The Docker client. */
  docker: DockerClient;
  /** The run id (names and labels the network). */
  run: string;
  /** Other loopback origins (`127.0.0.1:port`) the run's proxy may reach (its `local_origins`). */
  localOrigins?: readonly string[];
}

/** A running leg; closing it stops the proxy and removes the network. */
export interface GateSandboxLeg extends AsyncDisposable {
  /** The internal network a sandbox joins (`network: "isolated"`). */
  readonly networkName: string;
  /** `http://<gateway>:<port>` of the run's proxy. */
  readonly proxyUrl: string;
  /**
   * The sandbox's environment: the proxy, no proxy bypass, the gate's `GIT_CONFIG_*` and
   * `ZU_GATE_URL` (repositories are at `$ZU_GATE_URL/<name>.git`).
   */
  readonly env: Record<string, string>;
  /** The proxy's decision lines so far. */
  decisions(): readonly Record<string, unknown>[];
  /** Stops the proxy and removes the network. */
  close(): Promise<void>;
}

/** Creates the network and starts the proxy for `gate`. */
export async function openGateSandboxLeg(
  gate: RunGate,
  options: GateSandboxLegOptions,
): Promise<GateSandboxLeg> {
  const gateUrl = new URL(gate.url);
  const gatePort = Number(gateUrl.port);
  const networkName = `zu-gate-${options.run.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 40)}`;
  const net = await options.docker.createNetwork({
    Name: networkName,
    Internal: true,
    Labels: { "zu.managed": "1", "zu.run": options.run },
  });
  try {
    const info = await net.inspect() as { IPAM?: { Config?: Array<{ Gateway?: string }> } };
    const gw = info.IPAM?.Config?.[0]?.Gateway;
    if (!gw) throw new Error(`Cannot open the gate leg: network "${networkName}" has no gateway`);
    const proxy = await startEgressProxy({
      allowlist: [],
      hostname: gw,
      port: 0,
      localOrigins: [`${gateUrl.hostname}:${gatePort}`, ...(options.localOrigins ?? [])],
      screen: gateTokenScreen(gate.repos.map((r) => r.token), {
        host: gateUrl.hostname,
        port: gatePort,
      }),
    });
    const proxyUrl = `http://${gw}:${proxy.port}`;
    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= (async () => {
        await proxy.close();
        await net.remove().catch(() => {});
      })();
      return closing;
    };
    return {
      networkName,
      proxyUrl,
      env: {
        ...gate.gitEnv(),
        ZU_GATE_URL: gate.url,
        http_proxy: proxyUrl,
        HTTP_PROXY: proxyUrl,
        // The gate's URL names the host's loopback, which only the proxy reaches: no bypass.
        NO_PROXY: "",
        no_proxy: "",
      },
      decisions: () => proxy.connections(),
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (e) {
    await net.remove().catch(() => {});
    throw e;
  }
}
