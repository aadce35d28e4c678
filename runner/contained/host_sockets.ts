/**
 * The host socket directory of a contained run: a fresh temp dir (`zu_vault_*`, mode 0700)
 * where the host-side model broker (`broker.sock`) and TLS interceptor (`intercept.sock`)
 * listen. It is bind-mounted read-only at `/zu/vault` into the egress-proxy sidecar ONLY (the
 * sandbox floor refuses it, its parent and anything at `/zu/vault` for every other container),
 * and the sidecar forwards to it (`--forward-http zu-vault=unix:/zu/vault/broker.sock`,
 * `--forward-connect <bound host>=unix:/zu/vault/intercept.sock`).
 *
 * Who may connect: the sidecar runs as the sandbox user (`10001:10001`, caps dropped, so no
 * `CAP_DAC_OVERRIDE`). When zu runs as root, the directory and each socket are handed to that
 * uid (dir 0700, socket 0600): only root and the sidecar's uid can reach them. When zu runs as
 * another user (who cannot give files away), the directory is 0711 (enterable, not listable)
 * and each socket 0666: a host user who guesses the random directory name could connect, but
 * the broker still demands the per-run phantom, which only the agent container holds.
 *
 * @example
 * ```ts ignore
 * import { createHostSocketDir, grantSocket, removeHostSocketDir } from "./host_sockets.ts";
 * const dir = await createHostSocketDir();
 * const server = Deno.serve({ path: `${dir}/broker.sock` }, () => new Response("ok"));
 * await grantSocket(`${dir}/broker.sock`);
 * await server.shutdown();
 * await removeHostSocketDir(dir);
 * ```
 * @module
 */
import { HOST_SOCKET_DIR_PREFIX, HOST_SOCKET_MOUNT } from "../../backends/docker/sandbox_floor.ts";
import { SANDBOX_USER } from "../../backends/docker/hardening.ts";
import { parseHostPattern } from "../../core/host_pattern.ts";
import type { SidecarForwards } from "../../backends/egress/sidecar_forward.ts";

export { HOST_SOCKET_MOUNT };

/** The broker's socket file name in the directory. */
export const BROKER_SOCKET = "broker.sock";
/** The TLS interceptor's socket file name in the directory. */
export const INTERCEPT_SOCKET = "intercept.sock";

/** What the sidecar forwards to the host socket directory. */
export interface HostSockets {
  /** The host directory (from {@link createHostSocketDir}). */
  dir: string;
  /** Absolute-form `http://<host>/` requests → a socket file name (`{"zu-vault": "broker.sock"}`). */
  forwardHttp?: Readonly<Record<string, string>>;
  /** CONNECT host patterns → a socket file name (`{"api.github.com": "intercept.sock"}`). */
  forwardConnect?: Readonly<Record<string, string>>;
  /**
   * Live clearance: the socket file (`clearance.sock`) where the host's desk answers the
   * sidecar, and how long the sidecar waits for an answer before it denies.
   */
  clearance?: { name: string; timeoutMs: number };
}

const SOCKET_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}\.sock$/;

function forwardsOf(map: Readonly<Record<string, string>> | undefined) {
  return Object.entries(map ?? {}).map(([pattern, name]) => {
    if (!SOCKET_NAME.test(name)) throw new TypeError(`Cannot forward to socket "${name}"`);
    parseHostPattern(pattern); // TypeError on "*" or junk
    return { pattern: pattern.toLowerCase(), socket: `${HOST_SOCKET_MOUNT}/${name}` };
  });
}

/** The sidecar's forwards, with socket paths as the sidecar sees them (`/zu/vault/<name>`). */
export function sidecarForwardsOf(sockets: HostSockets): SidecarForwards {
  return { http: forwardsOf(sockets.forwardHttp), connect: forwardsOf(sockets.forwardConnect) };
}

/** The sidecar's clearance option (`--clearance unix:/zu/vault/<name>`), if any. */
export function sidecarClearanceOf(
  sockets: HostSockets,
): { socket: string; timeoutMs: number } | undefined {
  const c = sockets.clearance;
  if (c === undefined) return undefined;
  if (!SOCKET_NAME.test(c.name)) throw new TypeError(`Cannot use socket "${c.name}"`);
  return { socket: `${HOST_SOCKET_MOUNT}/${c.name}`, timeoutMs: c.timeoutMs };
}

/** The exact names (no wildcards, no IPs) the agent container resolves to the proxy. */
export function forwardedNames(sockets: HostSockets): string[] {
  const names: string[] = [];
  for (
    const pattern of [
      ...Object.keys(sockets.forwardHttp ?? {}),
      ...Object.keys(sockets.forwardConnect ?? {}),
    ]
  ) {
    const p = parseHostPattern(pattern);
    if (!p.wildcard && !p.ip && /^[a-z0-9.-]+$/.test(p.host)) names.push(p.host);
  }
  return [...new Set(names)];
}

function sandboxIds(): { uid: number; gid: number } {
  const [uid = "10001", gid = "10001"] = SANDBOX_USER.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

function runningAsRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

/** Creates the directory (see the module doc for its owner and mode). */
export async function createHostSocketDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: HOST_SOCKET_DIR_PREFIX });
  try {
    if (runningAsRoot()) {
      const { uid, gid } = sandboxIds();
      await Deno.chmod(dir, 0o700);
      await Deno.chown(dir, uid, gid);
    } else {
      await Deno.chmod(dir, 0o711);
    }
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
  return dir;
}

/** Lets the sidecar's uid connect to a socket a host server created in the directory. */
export async function grantSocket(path: string): Promise<void> {
  if (runningAsRoot()) {
    const { uid, gid } = sandboxIds();
    await Deno.chown(path, uid, gid);
    await Deno.chmod(path, 0o600);
  } else {
    await Deno.chmod(path, 0o666);
  }
}

/** Removes the directory and whatever is left in it. */
export async function removeHostSocketDir(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
