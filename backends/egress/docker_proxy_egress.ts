/**
 * {@linkcode DockerProxyEgress}: the production egress of the tier-2 tools (`render_dom`,
 * `browser`). Per lease it creates an internal network for the sandbox and starts the egress
 * proxy sidecar in a runtime-image container on that network and on an outside network, allowing
 * exactly the checked target (pinned to the checked addresses). The proxy's decisions are read
 * from the container's log. Only the host control plane uses it (it needs the Docker socket).
 *
 * @example
 * ```ts ignore
 * import { DockerProxyEgress } from "./docker_proxy_egress.ts";
 * const egress = new DockerProxyEgress(docker);
 * await using lease = await egress.open({ host: "shop.example", addresses: ["93.184.216.34"], runId });
 * console.log(lease.proxy, lease.networkName);
 * ```
 * @module
 */
import type Dockerode from "dockerode";
import { RUNTIME_IMAGE } from "../docker/image_build.ts";
import { hardenedCreateOptions } from "../docker/hardening.ts";
import { checkSandboxFloor, HOST_SOCKET_MOUNT, seccompJsonFor } from "../docker/sandbox_floor.ts";
import { proxyCommand } from "./proxy_command.ts";
import { netFlagEntry } from "../../core/host_pattern.ts";
import type { BrowserEgress, EgressLease, EgressRequest } from "../../core/types.ts";

/** Options of {@linkcode DockerProxyEgress}. */
export interface DockerProxyEgressOptions {
  /** Network the proxy joins to reach targets. Default `bridge` (the daemon's default). */
  outsideNetwork?: string;
  /** Non-global CIDRs the proxy lets through (never loopback or metadata). Default none. */
  allowCidrs?: string[];
  /** Image the proxy runs in. Default the runtime image `zu-runtime:<version>`. */
  image?: string;
  /** Labels on everything created. Default `{ "zu.egress": "browser" }` plus `zu.run`. */
  labels?: Record<string, string>;
  /** Prefix of container and network names. Default `zu-egress`. */
  namePrefix?: string;
  /** How long the proxy may take to report ready, in ms. Default 30,000. */
  readyTimeoutMs?: number;
  /**
   * Live clearance: a host socket directory (`zu_vault_*`) where the run's desk answers on
   * `socket` (`serveClearanceSocket`). It is bound read-only at `/zu/vault` into each proxy
   * container (nothing else gets it), which asks the desk about any host but the lease's
   * (`--clearance`, answer awaited at most `timeoutMs`), under the widened `--allow-net` of
   * `clearance_grant.ts`. Default none: exactly the lease's host, as before.
   */
  clearance?: { dir: string; socket: string; timeoutMs: number };
  /**
   * A host checkout of zu bind-mounted read-only at `/opt/zu` in the proxy container, so it runs
   * these sources rather than the image's copy (tests). Default none.
   */
  zuSourceBind?: string;
}

function suffix(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 8);
}

/** The stdout of a (non-TTY) container's log, demultiplexed. */
export async function containerStdout(container: Dockerode.Container): Promise<string> {
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

/** The JSON object lines of `text` (other and partial lines skipped). */
export function jsonObjectLines(text: string): Record<string, unknown>[] {
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

/**
 * Waits for a JSON line `{"event": event}` in the container's stdout: a bounded readiness probe
 * (at most 2,000 polls, each after the previous answer, within `timeoutMs`). Throws when the
 * container exits first or time runs out.
 */
export async function waitForContainerEvent(
  container: Dockerode.Container,
  event: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 2_000 && Date.now() < deadline; i++) {
    if (jsonObjectLines(await containerStdout(container)).some((l) => l["event"] === event)) {
      return;
    }
    const state = (await container.inspect()).State;
    if (!state.Running) {
      throw new Error(
        `Container exited before "${event}": ${(await containerStdout(container)).slice(-500)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50)); // poll interval of a bounded readiness probe
  }
  throw new Error(`No "${event}" within ${timeoutMs} ms`);
}

/** The container's address on `network`. */
export async function containerIp(
  container: Dockerode.Container,
  network: string,
): Promise<string> {
  const info = await container.inspect();
  const ip = info.NetworkSettings.Networks[network]?.IPAddress;
  if (!ip) throw new Error(`Container has no address on "${network}"`);
  return ip;
}

/** A {@linkcode BrowserEgress} that runs the real egress proxy sidecar in a container per lease. */
export class DockerProxyEgress implements BrowserEgress {
  #docker: Dockerode;
  #outside: string;
  #allowCidrs: string[];
  #image: string;
  #labels: Record<string, string>;
  #prefix: string;
  #readyMs: number;
  #clearance: DockerProxyEgressOptions["clearance"];
  #source: string | undefined;
  /** Leases opened so far. */
  opened = 0;
  /** The proxy's decision lines of each closed lease, read just before its container went. */
  readonly closedDecisions: Record<string, unknown>[][] = [];

  /** Uses `docker`; see {@linkcode DockerProxyEgressOptions} for defaults. */
  constructor(docker: Dockerode, options: DockerProxyEgressOptions = {}) {
    this.#docker = docker;
    this.#outside = options.outsideNetwork ?? "bridge";
    this.#allowCidrs = [...(options.allowCidrs ?? [])];
    this.#image = options.image ?? RUNTIME_IMAGE;
    this.#labels = { ...(options.labels ?? { "zu.egress": "browser" }) };
    this.#prefix = options.namePrefix ?? "zu-egress";
    this.#readyMs = options.readyTimeoutMs ?? 30_000;
    if (options.clearance && !/^[a-z0-9][a-z0-9_.-]{0,63}\.sock$/.test(options.clearance.socket)) {
      throw new TypeError(`Cannot use clearance socket "${options.clearance.socket}"`);
    }
    this.#clearance = options.clearance;
    this.#source = options.zuSourceBind;
  }

  /** Starts a proxy that lets only `request.host` through, pinned to `request.addresses`. */
  async open(request: EgressRequest): Promise<EgressLease> {
    const docker = this.#docker;
    const labels = { ...this.#labels, "zu.run": request.runId };
    const network = `${this.#prefix}-in-${suffix()}`;
    await docker.createNetwork({ Name: network, Driver: "bridge", Internal: true, Labels: labels });
    let container: Dockerode.Container | undefined;
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      if (container) {
        const lines = await containerStdout(container).then(jsonObjectLines, () => []);
        this.closedDecisions.push(lines.filter((l) => l["event"] === "proxy.decision"));
        await container.remove({ force: true }).catch(() => {});
      }
      await docker.getNetwork(network).remove().catch(() => {});
    };
    try {
      const { args } = proxyCommand({
        listen: "0.0.0.0:8080",
        allowlist: [netFlagEntry(request.host, request.port ?? null)],
        pins: {
          raw: { [request.host]: request.addresses },
          granted: { [request.host]: request.addresses },
        },
        allowCidrs: this.#allowCidrs,
        sidecarPath: "/opt/zu/backends/egress/sidecar.ts",
        ...(this.#clearance
          ? {
            clearance: {
              socket: `${HOST_SOCKET_MOUNT}/${this.#clearance.socket}`,
              timeoutMs: this.#clearance.timeoutMs,
            },
          }
          : {}),
      });
      // The proxy faces the sandbox's traffic: it runs on the same floor as a sandbox (shipped
      // seccomp profile, no capabilities, limits, read-only root), on the internal network only
      // at create time; the outside network is joined after.
      const options = hardenedCreateOptions({
        image: this.#image,
        cmd: ["/usr/local/bin/deno", ...args],
        memoryBytes: 256 * 1024 * 1024,
        pidsLimit: 64,
        seccomp: "block",
      }, {
        name: `${this.#prefix}-proxy-${suffix()}`,
        runId: request.runId,
        seccompJson: seccompJsonFor("block"),
        networkMode: network,
        ownerPid: Deno.pid,
        ownerStart: "",
        createdAt: Date.now(),
        hostCpus: navigator.hardwareConcurrency || 1,
      });
      options.Labels = { ...options.Labels, ...labels };
      const binds = [
        ...(this.#source ? [`${this.#source}:/opt/zu:ro`] : []),
        // The desk's socket directory, read-only, for this proxy only (the floor checks it).
        ...(this.#clearance ? [`${this.#clearance.dir}:${HOST_SOCKET_MOUNT}:ro`] : []),
      ];
      if (binds.length > 0) {
        options.HostConfig = { ...options.HostConfig, Binds: binds };
        checkSandboxFloor(
          options,
          this.#clearance ? { hostSocketDir: this.#clearance.dir } : {},
        );
      }
      container = await docker.createContainer(options);
      await docker.getNetwork(this.#outside).connect({ Container: container.id });
      await container.start();
      await waitForContainerEvent(container, "proxy.ready", this.#readyMs);
      const ip = await containerIp(container, network);
      this.opened++;
      const c = container;
      return {
        proxy: `http://${ip}:8080`,
        networkName: network,
        decisions: async () =>
          jsonObjectLines(await containerStdout(c)).filter((l) => l["event"] === "proxy.decision"),
        close,
        [Symbol.asyncDispose]: close,
      };
    } catch (error) {
      await close();
      throw error;
    }
  }
}
