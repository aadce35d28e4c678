/**
 * Runs the egress proxy as a child `deno run --no-prompt --cached-only <flags> sidecar.ts`
 * under exactly the permissions {@link permissionFlagsForProxy} computes, and waits (bounded)
 * for its `proxy.ready` line.
 *
 * Names are resolved ONCE here, at start, through `resolver`; the answers are handed to the
 * child (`--pin`), which does no DNS for them, and only the answers that pass the address
 * checks are granted in `--allow-net`.
 *
 * @example
 * ```ts ignore
 * import { spawnProxyProcess } from "./spawn_proxy_process.ts";
 * await using proxy = await spawnProxyProcess({ allowlist: ["api.example.com"] });
 * console.log(proxy.url, proxy.flags);
 * ```
 * @module
 */
import { checkHost, type Resolver, systemResolver } from "../../core/net_guard.ts";
import type { EgressProxy, EgressProxyHandle } from "../../core/types.ts";
import { splitHostPort } from "../../core/host_port.ts";
import { parseHostPattern } from "../../core/host_pattern.ts";
import { proxyCommand } from "./proxy_command.ts";
import { readJsonLines } from "./json_lines.ts";

/** Options of {@link spawnProxyProcess}. */
export interface SpawnProxyOptions {
  /** Allowlist entries. Required. */
  allowlist: readonly string[];
  /** Listen host. Default `127.0.0.1`. */
  hostname?: string;
  /** Listen port. Default 0 (any free port; the grant is then `host:0`). */
  port?: number;
  /** Operator CIDRs (see the proxy). Default none. */
  allowCidrs?: readonly string[];
  /** Resolves the allowlisted names once at start. Default net_guard's `systemResolver`. */
  resolver?: Resolver;
  /** The deno binary. Default `Deno.execPath()`. */
  denoPath?: string;
  /** Extra environment for the child (the child otherwise gets only HOME/DENO_DIR/PATH). */
  env?: Record<string, string>;
  /** Extra sidecar arguments (limits). Default none. */
  extraArgs?: readonly string[];
  /** Waits this long for `proxy.ready`. Default 15000 ms. */
  readyTimeoutMs?: number;
  /** Receives every JSON line the child prints. */
  onLine?: (line: Record<string, unknown>) => void;
  /** Kills the child when aborted. */
  signal?: AbortSignal;
}

/** A running proxy child. */
export interface ProxyProcess extends AsyncDisposable {
  /** Bound host. */
  readonly host: string;
  /** Bound port. */
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  /** The exact permission flags the child runs under. */
  readonly flags: readonly string[];
  /** The full argument vector given to deno. */
  readonly args: readonly string[];
  /** Answers resolved at start (as handed to the child). */
  readonly pinned: Readonly<Record<string, readonly string[]>>;
  /** Decision lines so far. */
  connections(): readonly Record<string, unknown>[];
  /** Resolves when the child exits. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** Stops the child (SIGTERM, then SIGKILL after 3 s). Idempotent. */
  close(): Promise<void>;
}

/** The sidecar entry module, as a path (for the child) and a URL. */
export const SIDECAR_URL: URL = new URL("./sidecar.ts", import.meta.url);

/**
 * Resolves the allowlist's exact names once. Returns the raw answers per host (handed to the
 * proxy, which judges them again per request) and the answers that pass the address checks
 * (the only ones granted in `--allow-net`).
 */
export async function pinAllowlist(
  allowlist: readonly string[],
  options: { resolver?: Resolver; allowCidrs?: readonly string[] } = {},
): Promise<{ raw: Record<string, string[]>; granted: Record<string, string[]> }> {
  const resolver = options.resolver ?? systemResolver;
  const raw: Record<string, string[]> = {};
  const granted: Record<string, string[]> = {};
  for (const text of allowlist) {
    const entry = parseHostPattern(text);
    if (entry.wildcard || entry.ip || raw[entry.host] !== undefined) continue;
    let answers: string[];
    try {
      answers = await resolver(entry.host);
    } catch {
      continue; // unresolvable at start: never granted; the proxy refuses it per request
    }
    raw[entry.host] = answers;
    const ok: string[] = [];
    for (const a of answers) {
      try {
        ok.push(...await checkHost(a, { allowCidrs: [...(options.allowCidrs ?? [])] }));
      } catch {
        // refused address: handed to the proxy (which refuses it again) but never granted
      }
    }
    granted[entry.host] = ok;
  }
  return { raw, granted };
}

function childEnv(extra: Record<string, string> | undefined): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const k of ["HOME", "DENO_DIR", "PATH"]) {
    try {
      const v = Deno.env.get(k);
      if (v !== undefined) env[k] = v;
    } catch {
      // not permitted: leave it out
    }
  }
  return { ...env, ...extra };
}

/**
 * Starts the proxy child and resolves once it printed `proxy.ready`. Throws when the child
 * exits or stays silent past `readyTimeoutMs` (it is killed then).
 *
 * @example
 * ```ts ignore
 * import { spawnProxyProcess } from "./spawn_proxy_process.ts";
 * const proxy = await spawnProxyProcess({ allowlist: ["api.example.com"] });
 * await proxy.close();
 * ```
 */
export async function spawnProxyProcess(options: SpawnProxyOptions): Promise<ProxyProcess> {
  const hostname = options.hostname ?? "127.0.0.1";
  const listen = `${hostname.includes(":") ? `[${hostname}]` : hostname}:${options.port ?? 0}`;
  const pins = await pinAllowlist(options.allowlist, {
    ...(options.resolver ? { resolver: options.resolver } : {}),
    ...(options.allowCidrs ? { allowCidrs: options.allowCidrs } : {}),
  });
  const { flags, args } = proxyCommand({
    listen,
    allowlist: options.allowlist,
    pins,
    sidecarPath: decodeURIComponent(SIDECAR_URL.pathname),
    ...(options.allowCidrs ? { allowCidrs: options.allowCidrs } : {}),
    ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
  });
  const child = new Deno.Command(options.denoPath ?? Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: childEnv(options.env),
  }).spawn();

  const decisions: Record<string, unknown>[] = [];
  let stderr = "";
  const stderrDone = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      if (stderr.length < 65536) stderr += decoder.decode(chunk, { stream: true });
    }
  })().catch(() => {});
  let readyResolve!: (line: Record<string, unknown>) => void;
  const ready = new Promise<Record<string, unknown>>((r) => readyResolve = r);
  const stdoutDone = readJsonLines(child.stdout, (line) => {
    options.onLine?.(line);
    if (line.event === "proxy.ready") readyResolve(line);
    else if (line.event === "proxy.decision") decisions.push(line);
  }).catch(() => {});

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
        resolve();
      }, 3000);
    });
    await Promise.race([child.status, killed]);
    clearTimeout(timer);
    await child.status;
    await Promise.all([stdoutDone, stderrDone]);
  };
  options.signal?.addEventListener("abort", () => void close(), { once: true });

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  const outcome = await Promise.race([
    ready.then((line) => ({ kind: "ready" as const, line })),
    child.status.then((status) => ({ kind: "exited" as const, status })),
    new Promise<{ kind: "timeout" }>((r) =>
      timer = setTimeout(() => r({ kind: "timeout" }), timeoutMs)
    ),
  ]);
  clearTimeout(timer);
  if (outcome.kind !== "ready") {
    await close();
    const why = outcome.kind === "timeout"
      ? `no "proxy.ready" line within ${timeoutMs} ms`
      : `it exited with code ${outcome.status.code}`;
    throw new Error(`Cannot start the egress proxy: ${why}: ${stderr.trim().slice(0, 2000)}`);
  }
  const host = String(outcome.line.host);
  const port = Number(outcome.line.port);
  return {
    host,
    port,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    flags,
    args,
    pinned: pins.raw,
    connections: () => decisions.map((d) => ({ ...d })),
    exited: child.status,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The {@link EgressProxy} port over {@link spawnProxyProcess}: each launch is a child process
 * under its own computed `--allow-net`, so the Deno boundary backs the proxy's checks.
 *
 * @example
 * ```ts ignore
 * import { ProcessEgressProxy } from "./spawn_proxy_process.ts";
 * const handle = await new ProcessEgressProxy().launch({ allowlist: ["api.example.com"] });
 * await handle.close();
 * ```
 */
export class ProcessEgressProxy implements EgressProxy {
  #defaults: Omit<SpawnProxyOptions, "allowlist">;

  /** Defaults applied to every launch (resolver, deno path, timeouts, ...). */
  constructor(defaults: Omit<SpawnProxyOptions, "allowlist"> = {}) {
    this.#defaults = defaults;
  }

  /** Starts a proxy child; `listen` is `host:port` (default `127.0.0.1:0`). */
  async launch(
    spec: { allowlist: string[]; listen?: string; allowCidrs?: string[] },
  ): Promise<EgressProxyHandle> {
    const listen = spec.listen ? splitHostPort(spec.listen, { allowZeroPort: true }) : null;
    return await spawnProxyProcess({
      ...this.#defaults,
      allowlist: spec.allowlist,
      ...(listen ? { hostname: listen.host, port: listen.port ?? 0 } : {}),
      ...(spec.allowCidrs ? { allowCidrs: spec.allowCidrs } : {}),
    });
  }
}
