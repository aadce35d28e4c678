/**
 * The egress proxy as a process: `deno run --no-prompt --cached-only <flags> sidecar.ts ...`.
 * Prints `{"event":"proxy.ready",...}` once bound, then one `{"event":"proxy.decision",...}`
 * JSON line per connection, on stdout. Stops on SIGTERM/SIGINT.
 *
 * Arguments (repeatable where it makes sense):
 * `--listen host:port` (default `127.0.0.1:0`), `--allow <entry>` (also comma lists),
 * `--pin host=ip[,ip]` (addresses resolved once by the parent; the child does no DNS for them),
 * `--allow-cidr <cidr>`, `--max-header-bytes N`, `--idle-timeout-ms N`,
 * `--connect-timeout-ms N`, `--max-connections N`,
 * `--forward-http <host>=unix:<path>` (absolute-form `http://<host>/...` requests, e.g. the
 * reserved broker name `zu-vault`, go over that unix socket to the host process) and
 * `--forward-connect <pattern>=unix:<path>` (CONNECT tunnels to matching hosts are piped over
 * that socket; the host side terminates TLS). See `sidecar_forward.ts`.
 * `--clearance unix:<path> --clearance-timeout-ms N`: an undeclared host is held while the
 * host's clearance desk is asked over that socket (`clearance/remote_gate.ts`; fail closed).
 *
 * `ZU_PROXY_UNSAFE_TEST_ALLOW_ALL=1` (test only) turns the proxy's own checks off so a test can
 * show that Deno's `--allow-net` still holds.
 *
 * @example
 * ```sh
 * deno run --no-prompt --cached-only --allow-net=127.0.0.1:8080,api.example.com,93.184.216.34 \
 *   backends/egress/sidecar.ts --listen 127.0.0.1:8080 --allow api.example.com \
 *   --pin api.example.com=93.184.216.34
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { lookup } from "node:dns/promises";
import { startEgressProxy } from "./egress_proxy.ts";
import { splitHostPort } from "../../core/host_port.ts";
import { UNSAFE_TEST_ENV } from "./permission_flags.ts";
import type { Resolver } from "../../core/net_guard.ts";
import { parseForward, type SidecarForward, sidecarForwardHandoff } from "./sidecar_forward.ts";
import { remoteClearanceGate } from "./clearance/remote_gate.ts";

/** Parsed sidecar configuration. */
export interface SidecarConfig {
  /** Listen host. */
  hostname: string;
  /** Listen port. */
  port: number;
  /** Allowlist entries. */
  allowlist: string[];
  /** Pinned answers by host. */
  pinned: Record<string, string[]>;
  /** Operator CIDRs. */
  allowCidrs: string[];
  /** Numeric limits that were given. */
  limits: {
    maxHeaderBytes?: number;
    idleTimeoutMs?: number;
    connectTimeoutMs?: number;
    maxConnections?: number;
  };
  /** `--forward-http` entries. */
  forwardHttp: SidecarForward[];
  /** `--forward-connect` entries. */
  forwardConnect: SidecarForward[];
  /** `--clearance unix:<path>` and `--clearance-timeout-ms`: ask the host's desk. */
  clearance?: { socket: string; timeoutMs: number };
}

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new TypeError(`Cannot use --${name} "${text}"`);
  return n;
}

/** Parses the sidecar's arguments. Throws `TypeError` on bad input. */
export function parseSidecarArgs(args: string[]): SidecarConfig {
  const { values } = parseArgs({
    args,
    options: {
      listen: { type: "string", default: "127.0.0.1:0" },
      allow: { type: "string", multiple: true, default: [] },
      pin: { type: "string", multiple: true, default: [] },
      "allow-cidr": { type: "string", multiple: true, default: [] },
      "max-header-bytes": { type: "string" },
      "idle-timeout-ms": { type: "string" },
      "connect-timeout-ms": { type: "string" },
      "max-connections": { type: "string" },
      "forward-http": { type: "string", multiple: true, default: [] },
      "forward-connect": { type: "string", multiple: true, default: [] },
      clearance: { type: "string" },
      "clearance-timeout-ms": { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const listen = splitHostPort(values.listen, { allowZeroPort: true });
  const pinned: Record<string, string[]> = {};
  for (const p of values.pin) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new TypeError(`Cannot parse --pin "${p}": expected host=ip[,ip]`);
    pinned[p.slice(0, eq).toLowerCase()] = p.slice(eq + 1).split(",").filter((s) => s !== "");
  }
  const limits: SidecarConfig["limits"] = {};
  const set = (k: keyof SidecarConfig["limits"], name: string, v: string | undefined) => {
    const n = positiveInt(name, v);
    if (n !== undefined) limits[k] = n;
  };
  set("maxHeaderBytes", "max-header-bytes", values["max-header-bytes"]);
  set("idleTimeoutMs", "idle-timeout-ms", values["idle-timeout-ms"]);
  set("connectTimeoutMs", "connect-timeout-ms", values["connect-timeout-ms"]);
  set("maxConnections", "max-connections", values["max-connections"]);
  let clearance: SidecarConfig["clearance"];
  if (values.clearance !== undefined) {
    const socket = values.clearance.startsWith("unix:") ? values.clearance.slice(5) : "";
    if (!socket.startsWith("/")) {
      throw new TypeError(`Cannot use --clearance "${values.clearance}": expected unix:<path>`);
    }
    const timeoutMs = positiveInt("clearance-timeout-ms", values["clearance-timeout-ms"]);
    if (timeoutMs === undefined) throw new TypeError("--clearance needs --clearance-timeout-ms");
    clearance = { socket, timeoutMs };
  }
  return {
    ...(clearance ? { clearance } : {}),
    hostname: listen.host,
    port: listen.port ?? 0,
    allowlist: values.allow.flatMap((a) => a.split(",")).map((a) => a.trim()).filter(Boolean),
    pinned,
    allowCidrs: values["allow-cidr"],
    limits,
    forwardHttp: values["forward-http"].map(parseForward),
    forwardConnect: values["forward-connect"].map(parseForward),
  };
}

/**
 * The child's resolver: the parent's pinned answers; for names matched only by a wildcard, the
 * system lookup (permitted by Deno only for the `*.domain` names in `--allow-net`).
 */
export function pinnedResolver(pinned: Record<string, string[]>): Resolver {
  return async (host) => {
    const answers = pinned[host];
    if (answers !== undefined) return answers;
    const found = await lookup(host, { all: true });
    return found.map((a) => a.address);
  };
}

function unsafeRequested(): boolean {
  try {
    return Deno.env.get(UNSAFE_TEST_ENV) === "1";
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const encoder = new TextEncoder();
  const print = (line: Record<string, unknown>) => {
    Deno.stdout.writeSync(encoder.encode(JSON.stringify(line) + "\n"));
  };
  let config: SidecarConfig;
  try {
    config = parseSidecarArgs(Deno.args);
  } catch (e) {
    print({ event: "proxy.error", error: String((e as Error).message) });
    Deno.exit(2);
  }
  const unsafe = unsafeRequested();
  const forwarding = config.forwardHttp.length + config.forwardConnect.length > 0;
  const gate = config.clearance
    ? remoteClearanceGate(config.clearance.socket, { timeoutMs: config.clearance.timeoutMs })
    : null;
  const proxy = await startEgressProxy({
    allowlist: config.allowlist,
    hostname: config.hostname,
    port: config.port,
    allowCidrs: config.allowCidrs,
    resolver: pinnedResolver(config.pinned),
    wildcardDialByName: true,
    unsafeTestAllowAll: unsafe,
    // The run id is the host's business: the host's socket files every request under its run.
    ...(gate ? { clearance: { desk: gate, runId: "sidecar" } } : {}),
    ...config.limits,
    ...(forwarding
      ? {
        handoff: sidecarForwardHandoff(
          { http: config.forwardHttp, connect: config.forwardConnect },
          config.limits.idleTimeoutMs ? { idleTimeoutMs: config.limits.idleTimeoutMs } : {},
        ),
      }
      : {}),
    log: (line) =>
      print(
        line.event === "proxy.ready"
          ? {
            ...line,
            allowlist: config.allowlist,
            unsafe_test_allow_all: unsafe,
            forward_http: config.forwardHttp.map((f) => f.pattern),
            forward_connect: config.forwardConnect.map((f) => f.pattern),
            clearance: gate !== null,
          }
          : line,
      ),
  });
  const stop = () => {
    gate?.close();
    proxy.close().finally(() => Deno.exit(0));
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}

if (import.meta.main) await main();
