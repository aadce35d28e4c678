/**
 * The model broker of one jailed run: one route per provider that calls an API (upstream = its
 * `base_url`, else its base-URL variable read on the host, else the registry default), the key
 * resolved per request on the host (the operator's resolver, else the host environment), and
 * what the child is told ({@link ModelOverrides}). A loopback `base_url` (a local model) is a
 * local origin of the broker, a private literal an allowed CIDR: the operator wrote it.
 *
 * @example
 * ```ts ignore
 * import { startRunBroker } from "./run_broker.ts";
 * await using broker = await startRunBroker(host, jail, {});
 * if (broker) console.log(broker.address.port, Object.keys(broker.overrides.routes));
 * ```
 * @module
 */
import { UserError } from "../core/errors.ts";
import { canonicalAddress } from "../core/host_normalize.ts";
import { addressClass } from "../core/address_class.ts";
import type { Resolver } from "../core/net_guard.ts";
import type {
  CredentialUse,
  EnvReader,
  SecretBinding,
  SecretEcho,
  SecretResolver,
} from "../core/types.ts";
import type { RunningModelBroker } from "../backends/egress/model_broker.ts";
import {
  type ModelOverrides,
  type ModelRoute,
  modelRoutes,
  type UpstreamSource,
} from "./jail/model_routes.ts";
import type { BrokerAddress, JailAgent } from "./jail/permission_flags.ts";

/** Where a run's secret values come from (the vault, or any operator resolver). */
export interface RunSecrets {
  /** Resolves a provider's key by its variable name (`OPENAI_API_KEY`), per request. */
  resolver: SecretResolver;
  /**
   * The operator's bindings. A `route` binding whose upstream is a provider's base URL names the
   * secret that route carries (instead of the provider's key variable).
   */
  bindings?: readonly SecretBinding[];
}

/** Options of {@link startRunBroker}. */
export interface RunBrokerOptions {
  /** The operator's resolver. Default: the host environment ({@link hostEnvResolver}). */
  secrets?: RunSecrets;
  /** Extra upstream roots (tests). */
  caCerts?: string[];
  /** Resolves upstream names (tests). Default the system resolver. */
  resolveHost?: Resolver;
  /** Also listen on this unix socket (a container's proxy forwards to it). Default none. */
  unixPath?: string;
  /**
   * The origin the child reaches the broker at, in its route URLs (`http://zu-vault` inside a
   * container). Default the broker's own `http://127.0.0.1:<port>`.
   */
  routeOrigin?: string;
}

/** What the broker reports during a run. */
export type BrokerReport =
  | { kind: "credential"; use: CredentialUse }
  | { kind: "echo"; echo: SecretEcho };

/** A run's broker. */
export interface RunBroker extends AsyncDisposable {
  /** The broker. */
  broker: RunningModelBroker;
  /** Its loopback address (for the jail's `--allow-net`). */
  address: BrokerAddress;
  /** The routes. */
  routes: ModelRoute[];
  /** What the child is told (its `--options` key `models`). */
  overrides: ModelOverrides;
  /** Sets the receiver of the broker's reports (those before it are kept and replayed). */
  listen(fn: (report: BrokerReport) => void): void;
  /** Stops the broker. */
  close(): Promise<void>;
}

/**
 * A resolver that reads exactly the named variable from the host's environment, and fails with
 * one line when it is unset.
 */
export function hostEnvResolver(env: EnvReader): SecretResolver {
  return {
    resolve(name: string): Promise<string> {
      const value = env(name);
      if (value === undefined || value === "") {
        return Promise.reject(
          new UserError(
            "config_invalid",
            `Cannot find the provider key: "${name}" is not set in zu's environment`,
          ),
        );
      }
      return Promise.resolve(value);
    },
  };
}

/** The route binding whose upstream is `upstream` (same origin, same base path), if any. */
export function routeBindingFor(
  bindings: readonly SecretBinding[],
  upstream: string,
): SecretBinding | null {
  const norm = (u: string): string => {
    const x = new URL(u);
    return `${x.origin}${x.pathname.replace(/\/+$/, "")}`;
  };
  const want = norm(upstream);
  return bindings.find((b) => b.mode === "route" && b.upstream && norm(b.upstream) === want) ??
    null;
}

/**
 * The secret each model route carries, by route id: a `route` binding naming its upstream (which
 * must resolve: one line before the run otherwise), else its key variable when the operator's
 * resolver (or, without one, the host environment) knows it, else none (a keyless route: a local
 * model that needs no key). The one rule both the jail's and the container's broker use.
 */
export async function routeSecrets(
  routes: readonly {
    id: string;
    upstream: string;
    keyEnv: string | null;
    provider?: string;
    source?: UpstreamSource;
    defaultUrl?: string | null;
  }[],
  options: { env: EnvReader; secrets?: RunSecrets },
): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (const r of routes) {
    const bound = routeBindingFor(options.secrets?.bindings ?? [], r.upstream);
    if (bound) {
      await options.secrets!.resolver.resolve(bound.secret);
      out.set(r.id, bound.secret);
    } else if (r.keyEnv === null) out.set(r.id, null);
    else {
      const known = options.secrets
        ? await options.secrets.resolver.resolve(r.keyEnv).then(() => true, () => false)
        : (options.env(r.keyEnv) ?? "") !== "";
      if (known && !keyMayFollow(r)) {
        // The repository's agent.yaml may not send the operator's key to a host of its choosing.
        throw new UserError(
          "network_policy",
          `Cannot send the provider key "${r.keyEnv}" to "${
            new URL(r.upstream).host
          }": that host comes from agent.yaml's base_url, and only the operator binds a key to a host; bind it (--bind ${r.keyEnv}:route:${r.upstream}) or set the provider's base-URL variable in zu's environment`,
        );
      }
      out.set(r.id, known ? r.keyEnv : null);
    }
  }
  return out;
}

/**
 * Whether a provider's key variable may follow its upstream without an operator binding: the
 * registry's default origin, a base URL from zu's environment (the operator's), or one on the
 * operator's own machine or network (a loopback or private literal, `localhost`: a local model).
 * A remote host named only by agent.yaml's `base_url` needs a `route` binding.
 */
export function keyMayFollow(
  r: { upstream: string; source?: UpstreamSource; defaultUrl?: string | null },
): boolean {
  if (r.source !== "agent") return true;
  const u = new URL(r.upstream);
  if (r.defaultUrl && new URL(r.defaultUrl).origin === u.origin) return true;
  const host = u.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost") return true;
  const ip = canonicalAddress(host);
  if (ip === null) return false;
  const cls = addressClass(ip);
  return cls === "loopback" || cls === "private" || cls === "ula";
}

/** A `localhost` upstream is dialled as 127.0.0.1 (the broker refuses internal names). */
export function dialable(upstream: string): string {
  const u = new URL(upstream);
  if (u.hostname.toLowerCase() === "localhost") u.hostname = "127.0.0.1";
  return u.href.replace(/\/+$/, "");
}

/**
 * What the broker may dial among the routes' own upstreams: a loopback literal is a local origin,
 * a private literal an allowed /32 (or /128). The operator wrote them.
 */
export function policyOf(
  upstreams: readonly string[],
): { localOrigins: string[]; allowCidrs: string[] } {
  const localOrigins: string[] = [];
  const allowCidrs: string[] = [];
  for (const raw of upstreams) {
    const u = new URL(raw);
    const ip = canonicalAddress(u.hostname.replace(/^\[|\]$/g, ""));
    if (ip === null) continue;
    const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
    const cls = addressClass(ip);
    const host = ip.includes(":") ? `[${ip}]` : ip;
    if (cls === "loopback") localOrigins.push(`${host}:${port}`);
    else if (cls === "private" || cls === "ula") {
      allowCidrs.push(`${ip}/${ip.includes(":") ? 128 : 32}`);
    }
  }
  return { localOrigins, allowCidrs };
}

/**
 * Starts the broker of a run of `jail`, or returns null when no provider calls an API. A route
 * carries the key when the operator's resolver is given, or when its variable is set on the
 * host; otherwise it is keyless (a local model that needs none: the child's provider sees its key
 * variable unset, as before).
 */
export async function startRunBroker(
  host: { env: EnvReader },
  jail: Pick<JailAgent, "provider" | "extraProviders">,
  options: RunBrokerOptions = {},
): Promise<RunBroker | null> {
  const env = (k: string) => host.env(k);
  const routes = modelRoutes(jail, env).map((r) => ({ ...r, upstream: dialable(r.upstream) }));
  if (routes.length === 0) return null;
  const secretOf = await routeSecrets(routes, {
    env,
    ...(options.secrets ? { secrets: options.secrets } : {}),
  });
  const { startModelBroker } = await import("../backends/egress/model_broker.ts");
  const pending: BrokerReport[] = [];
  let listener: ((report: BrokerReport) => void) | null = null;
  const emit = (report: BrokerReport) => listener ? listener(report) : pending.push(report);
  const policy = policyOf(routes.map((r) => r.upstream));
  const broker = await startModelBroker({
    routes: routes.map((r) => ({
      id: r.id,
      upstream: r.upstream,
      secret: secretOf.get(r.id) ?? null,
      authHeader: r.authHeader,
    })),
    resolver: options.secrets?.resolver ?? hostEnvResolver(env),
    ...(policy.localOrigins.length ? { localOrigins: policy.localOrigins } : {}),
    ...(policy.allowCidrs.length ? { allowCidrs: policy.allowCidrs } : {}),
    ...(options.caCerts ? { caCerts: options.caCerts } : {}),
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
    ...(options.unixPath ? { unixPath: options.unixPath } : {}),
    onCredential: (use) => emit({ kind: "credential", use }),
    onEcho: (echo) => emit({ kind: "echo", echo }),
  });
  const overrides: ModelOverrides = {
    phantom: broker.phantom,
    routes: Object.fromEntries(
      routes.map((
        r,
      ) => [r.id, {
        baseUrl: broker.routeUrl(r.id, options.routeOrigin),
        keyEnv: secretOf.get(r.id) ? r.keyEnv : null,
      }]),
    ),
  };
  const close = () => broker.close();
  return {
    broker,
    address: { hostname: broker.hostname, port: broker.port },
    routes,
    overrides,
    listen(fn) {
      listener = fn;
      for (const r of pending.splice(0)) fn(r);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
