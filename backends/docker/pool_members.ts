/**
 * Warm-pool members as the daemon sees them. A member is created as `zu-pool-<key12>-<suffix>`
 * with the label `zu.pool=<key>`; a claim renames it to `zu-claim-<run>-<suffix>` through its
 * old name, which the daemon does once (a second rename through the old name finds nothing).
 * Docker labels cannot change after create, so the name, not a label, carries the state.
 *
 * @example
 * ```ts ignore
 * import Docker from "dockerode";
 * import { listPoolMembers } from "./pool_members.ts";
 * for (const m of await listPoolMembers(new Docker())) console.log(m.name, m.state, m.paused);
 * ```
 * @module
 */
import type { DockerClient } from "./docker_client.ts";
import { MANAGED_LABEL } from "./hardening.ts";

/** The label that names a member's pool key. */
export const POOL_LABEL = "zu.pool";
/** Name prefix of a ready member. */
export const READY_PREFIX = "zu-pool-";
/** Name prefix of a claimed member. */
export const CLAIMED_PREFIX = "zu-claim-";

/** State of a pool member. */
export type PoolMemberState = "ready" | "claimed";

/** One pool member. */
export interface PoolMember {
  /** Container id. */
  id: string;
  /** Container name (no leading `/`). */
  name: string;
  /** Its pool key (`zu.pool`). */
  key: string;
  /** Ready (never handed out) or claimed (handed to one run). */
  state: PoolMemberState;
  /** Whether it is paused now. */
  paused: boolean;
  /** The host pid of the process that made it (`zu.pid`), or "". */
  ownerPid: string;
}

/** The state a member's name says. */
export function poolMemberState(name: string): PoolMemberState {
  return name.replace(/^\//, "").startsWith(CLAIMED_PREFIX) ? "claimed" : "ready";
}

/** Lists pool members (all keys, or one), running, paused or stopped. */
export async function listPoolMembers(
  docker: DockerClient,
  key?: string,
): Promise<PoolMember[]> {
  const label = key === undefined ? POOL_LABEL : `${POOL_LABEL}=${key}`;
  const filters = JSON.stringify({ label: [`${MANAGED_LABEL}=1`, label] });
  const list = await docker.listContainers({ all: true, filters });
  return list.map((c) => {
    const name = (c.Names?.[0] ?? "").replace(/^\//, "");
    return {
      id: c.Id,
      name,
      key: c.Labels?.[POOL_LABEL] ?? "",
      state: poolMemberState(name),
      paused: c.State === "paused",
      ownerPid: c.Labels?.["zu.pid"] ?? "",
    };
  });
}
