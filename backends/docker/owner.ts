/**
 * Who owns a sandbox: the identity of this process's host, boot, pid namespace and user, as the
 * labels zu puts on what it creates (`zu.host`, `zu.boot`, `zu.pidns`, `zu.uid`) next to
 * `zu.pid` and `zu.pidstart`. The reaper compares them with its own to tell an owner it can see
 * (same host, boot and pid namespace) from one it cannot (another machine, container or user
 * hidden by `hidepid`), and never reaps what belongs to an owner it cannot see.
 *
 * Each part is "" when it cannot be read (no read access to `/proc` or `/etc/machine-id`).
 *
 * @example
 * ```ts
 * import { ownerIdentity } from "./owner.ts";
 * const me = ownerIdentity();
 * console.log(me.host, me.boot, me.pidns, me.uid);
 * ```
 * @module
 */

/** The host, boot, pid namespace and user of this process. */
export interface OwnerIdentity {
  /** `/etc/machine-id` (the host), or "". */
  host: string;
  /** `/proc/sys/kernel/random/boot_id` (this boot of the host), or "". */
  boot: string;
  /** The pid namespace, `/proc/self/ns/pid` (for example `pid:[4026531836]`), or "". */
  pidns: string;
  /** The real uid (from `/proc/self/status`), or "". */
  uid: string;
}

function read(path: string): string {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch {
    return "";
  }
}

let cached: OwnerIdentity | null = null;

/** This process's {@link OwnerIdentity} (read once). */
export function ownerIdentity(): OwnerIdentity {
  if (cached !== null) return cached;
  let pidns = "";
  try {
    pidns = Deno.readLinkSync("/proc/self/ns/pid");
  } catch {
    pidns = "";
  }
  const uid = /^Uid:\s+(\d+)/m.exec(read("/proc/self/status"))?.[1] ?? "";
  cached = {
    host: read("/etc/machine-id") || read("/var/lib/dbus/machine-id"),
    boot: read("/proc/sys/kernel/random/boot_id"),
    pidns,
    uid,
  };
  return cached;
}

/** The owner labels of this process (without `zu.pid` and `zu.pidstart`). */
export function ownerLabels(): Record<string, string> {
  const me = ownerIdentity();
  return { "zu.host": me.host, "zu.boot": me.boot, "zu.pidns": me.pidns, "zu.uid": me.uid };
}

/**
 * True when `/proc` hides other users' processes (`hidepid=1|2|invisible|noaccess`), so a
 * missing `/proc/<pid>` of another user says nothing about whether it runs.
 */
export function procHidesOthers(): boolean {
  return /^\S+ \/proc proc \S*hidepid=(?!0|off)/m.test(read("/proc/mounts"));
}
