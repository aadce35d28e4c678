/**
 * A host socket directory of its own (`zu_vault_*`) with the run's clearance desk answering on
 * `clearance.sock`: for egress proxies in containers that are not a contained run's sidecar (the
 * per-call proxy of the tier-2 tools, `DockerProxyEgress`'s `clearance` option). Requests are
 * filed under the run the host names (`clearance.runId()`); closing it denies what is held.
 *
 * @example
 * ```ts ignore
 * import { openClearanceSocketDir } from "./clearance_socket_dir.ts";
 * await using dir = await openClearanceSocketDir(runClearance);
 * const egress = new DockerProxyEgress(docker, { clearance: dir.option });
 * ```
 * @module
 */
import type { RunClearance } from "../clearance/run_clearance.ts";
import { serveClearanceSocket } from "../../backends/egress/clearance/clearance_socket.ts";
import { createHostSocketDir, grantSocket, removeHostSocketDir } from "./host_sockets.ts";
import { CLEARANCE_SOCKET, SIDECAR_ANSWER_MARGIN_MS } from "./_contained_clearance.ts";

/** A served clearance socket directory. */
export interface ClearanceSocketDir extends AsyncDisposable {
  /** What a `DockerProxyEgress` takes as its `clearance` option. */
  option: { dir: string; socket: string; timeoutMs: number };
  /** Stops the socket (held requests are denied) and removes the directory. */
  close(): Promise<void>;
}

/** Creates the directory and serves the run's gate on `clearance.sock` in it. */
export async function openClearanceSocketDir(clearance: RunClearance): Promise<ClearanceSocketDir> {
  const dir = await createHostSocketDir();
  try {
    const path = `${dir}/${CLEARANCE_SOCKET}`;
    const server = await serveClearanceSocket({
      path,
      gate: clearance.gate,
      runId: () => clearance.runId(),
    });
    await grantSocket(path).catch(async (e) => {
      await server.close();
      throw e;
    });
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await server.close();
      await removeHostSocketDir(dir);
    };
    return {
      option: {
        dir,
        socket: CLEARANCE_SOCKET,
        timeoutMs: clearance.holdMs + SIDECAR_ANSWER_MARGIN_MS,
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (e) {
    await removeHostSocketDir(dir);
    throw e;
  }
}
