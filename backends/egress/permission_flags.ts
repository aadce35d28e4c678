/**
 * The Deno permission flags the egress proxy child runs under: `--allow-net` for its listen
 * address, the allowlisted hosts and the addresses they were pinned to at start, and nothing
 * else (no run, ffi, sys; env only for the one named test switch; read and write only on the
 * exact unix sockets it forwards to, when it forwards: Deno needs read, write and
 * `--allow-net=unix:<path>` to connect one). Even if the
 * proxy's own checks had a bug, Deno refuses a connection to anything not named here.
 *
 * @example
 * ```ts
 * import { permissionFlagsForProxy } from "./permission_flags.ts";
 * const flags = permissionFlagsForProxy({
 *   listen: "0.0.0.0:8080",
 *   allowlist: ["api.example.com"],
 *   pinned: { "api.example.com": ["93.184.216.34"] },
 * });
 * console.assert(
 *   flags[0] === "--allow-net=0.0.0.0:8080,api.example.com:80,api.example.com:443,93.184.216.34:80,93.184.216.34:443",
 * );
 * ```
 * @module
 */
import { splitHostPort } from "../../core/host_port.ts";
import { netFlagEntries, netFlagEntry, parseHostPattern } from "../../core/host_pattern.ts";
import { clearanceNetFlags } from "./clearance_grant.ts";

/** The only environment variable the proxy child may read (a test-only switch). */
export const UNSAFE_TEST_ENV = "ZU_PROXY_UNSAFE_TEST_ALLOW_ALL";

/** Input of {@link permissionFlagsForProxy}. */
export interface ProxyPermissionInput {
  /** Listen address `host:port` (port 0 = any free port). */
  listen: string;
  /** The allowlist entries as given to the proxy. */
  allowlist: readonly string[];
  /**
   * Addresses each exact host name was resolved to once at start (already filtered: only
   * addresses the proxy's checks accept belong here). Keys are normalised host names.
   */
  pinned?: Readonly<Record<string, readonly string[]>>;
  /**
   * Absolute paths of the unix sockets the proxy forwards to (`--forward-http`,
   * `--forward-connect`): each gets `unix:<path>` in `--allow-net` and exactly that path in
   * `--allow-read` and `--allow-write`. Default none (no read or write at all).
   */
  sockets?: readonly string[];
  /**
   * Live clearance is on (the proxy asks a desk about undeclared hosts): `--allow-net` is
   * unscoped with loopback and link-local denied (`clearance_grant.ts` says why). Default false:
   * exactly the hosts above.
   */
  clearance?: boolean;
}

/**
 * Computes the proxy child's permission flags: one `--allow-net=` (listen address, every
 * allowlisted host and every pinned address, each with the entry's port, or ports 80 and 443
 * when it has none: core's `netFlagEntries`; a `*.domain` entry on every port, since the proxy
 * resolves such names itself and Deno checks a lookup without a port; `unix:<path>` for each
 * forward socket), `--allow-env=ZU_PROXY_UNSAFE_TEST_ALLOW_ALL`, and, only when it forwards,
 * `--allow-read` and `--allow-write` on exactly the socket paths. Nothing else.
 *
 * @example
 * ```ts
 * import { permissionFlagsForProxy } from "./permission_flags.ts";
 * const flags = permissionFlagsForProxy({ listen: "127.0.0.1:0", allowlist: ["127.0.0.1:8081"] });
 * console.assert(flags[0] === "--allow-net=127.0.0.1:0,127.0.0.1:8081");
 * ```
 */
export function permissionFlagsForProxy(input: ProxyPermissionInput): string[] {
  const listen = splitHostPort(input.listen, { allowZeroPort: true });
  const net: string[] = [netFlagEntry(listen.host, listen.port ?? 0)];
  const add = (item: string) => {
    if (item.includes(",")) throw new TypeError(`Cannot grant "${item}": it contains ","`);
    if (!net.includes(item)) net.push(item);
  };
  for (const text of input.allowlist) {
    const entry = parseHostPattern(text);
    if (entry.wildcard) {
      // The proxy resolves a wildcard-matched name itself (node:dns), and Deno checks that
      // lookup against the name without a port: grant `*.domain` on every port. The proxy's own
      // check (the same grammar) still admits only the entry's ports.
      add(`*.${entry.host}`);
      continue;
    }
    for (const item of netFlagEntries(entry)) add(item);
    if (entry.ip) continue;
    for (const ip of input.pinned?.[entry.host] ?? []) {
      for (const item of netFlagEntries(parseHostPattern(netFlagEntry(ip, entry.port)))) add(item);
    }
  }
  const sockets = [...new Set(input.sockets ?? [])];
  for (const path of sockets) {
    if (!path.startsWith("/") || path.includes(",") || /[\s\0]/.test(path)) {
      throw new TypeError(`Cannot grant socket "${path}": it must be an absolute path`);
    }
    add(`unix:${path}`);
  }
  const flags = [
    ...(input.clearance ? clearanceNetFlags(listen.host) : [`--allow-net=${net.join(",")}`]),
    `--allow-env=${UNSAFE_TEST_ENV}`,
  ];
  if (sockets.length > 0) {
    flags.push(`--allow-read=${sockets.join(",")}`, `--allow-write=${sockets.join(",")}`);
  }
  return flags;
}
