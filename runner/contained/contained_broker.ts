/**
 * Keeping the provider keys out of the container: the ports a contained run uses to start the
 * host-side model broker (and, for inject/placeholder bindings, the TLS interceptor), and the
 * pure parts of the wiring: which providers are routed, what the container sees instead of
 * their base URL and key, and the staged agent file rewritten to call the broker.
 *
 * Inside the container a routed provider calls `http://zu-vault/r/<route id>/...` (its base
 * URL, from the staged agent file) with the per-run phantom in its key variable; the sidecar
 * forwards that name over `/zu/vault/broker.sock` to the host, where the broker checks the
 * phantom, drops the client's credential headers, adds the real key and calls the upstream.
 *
 * @example
 * ```ts
 * import { brokerRoutes, BROKER_ORIGIN } from "./contained_broker.ts";
 * const routes = brokerRoutes({
 *   agentDir: "/a",
 *   tools: [],
 *   provider: { name: "openai", baseUrl: "http://127.0.0.1:8000/v1", apiKeyEnv: "OPENAI_API_KEY" },
 * }, () => undefined);
 * console.assert(routes[0]!.id === "m0" && routes[0]!.upstream === "http://127.0.0.1:8000/v1");
 * console.assert(BROKER_ORIGIN === "http://zu-vault");
 * ```
 * @module
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { BROKER_HOST } from "../../backends/egress/sidecar_forward.ts";
import { addressClass } from "../../core/address_class.ts";
import { normalizeHost } from "../../core/host_normalize.ts";
import type { JailAgent, JailProvider } from "../jail/permission_flags.ts";
import { type UpstreamSource, upstreamSource } from "../jail/model_routes.ts";

/** The origin the container's providers call (the sidecar forwards it to the broker). */
export const BROKER_ORIGIN = `http://${BROKER_HOST}`;

/** One provider routed through the broker. */
export interface ContainedModelRoute {
  /** Route id (`m0` = the agent's provider, `m1`... = the tier providers in tier order). */
  id: string;
  /** The provider's registry name. */
  provider: string;
  /**
   * The real base URL as the host sees it (`https://api.openai.com/v1`,
   * `http://127.0.0.1:8000/v1`), no trailing slash: the broker forwards `/r/<id>/<rest>` to
   * `<upstream>/<rest>`.
   */
  upstream: string;
  /** The host variable (the secret's name) holding the real key. */
  keyEnv: string;
  /** The header that carries the key upstream. */
  authHeader: "authorization" | "x-api-key";
  /** Who named the upstream (`runner/jail/model_routes.ts` `upstreamSource`). */
  source?: UpstreamSource;
  /** The registry's default base URL of the provider, if any. */
  defaultUrl?: string | null;
}

/** What a contained run asks its broker factory for. */
export interface ContainedBrokerRequest {
  /** The routes, one per routed provider. */
  routes: readonly ContainedModelRoute[];
  /** Where to listen: `<host socket dir>/broker.sock` (the runner lets the sidecar's uid in). */
  unixPath: string;
  /**
   * Loopback upstream origins (`127.0.0.1:8000`) the broker must be allowed to dial: a model
   * served on the host is reachable from the broker, which is the point.
   */
  localOrigins: readonly string[];
}

/** The running broker as the runner needs it (a subset of the model broker's handle). */
export interface ContainedBroker {
  /** The per-run phantom the container's providers send as their key. */
  readonly phantom: string;
  /** The URL of route `id` on `origin` (the runner asks with `http://zu-vault`). */
  routeUrl(id: string, origin?: string): string;
  /** Stops it. */
  close(): Promise<void>;
}

/** Starts the host-side broker of a contained run (the default: `modelBrokerStarter` of `./contained_vault.ts`). */
export type StartContainedBroker = (request: ContainedBrokerRequest) => Promise<ContainedBroker>;

/**
 * TLS interception for inject/placeholder bindings (host side): the sidecar hands CONNECTs to
 * `hosts` over `/zu/vault/intercept.sock`; the agent container trusts the per-run CA.
 */
export interface ContainedIntercept {
  /** Host patterns whose CONNECTs go to the interceptor (`--forward-connect`). */
  hosts: readonly string[];
  /** Starts the interceptor listening on `unixPath` (the runner lets the sidecar's uid in). */
  start(request: { unixPath: string }): Promise<{ close(): Promise<void> }>;
  /**
   * The CA bundle (system roots + the per-run CA, PEM): mounted read-only at `/zu/ca.pem` in the
   * agent container (`SANDBOX_CA_PATH` of `backends/egress/tls`), named by its `CA_ENV_VARS`.
   */
  caBundlePem: string;
  /** Extra variables for the agent container (placeholders); never a real value. */
  env?: Readonly<Record<string, string>>;
}

/** The URL a provider calls on the host, or null when it calls none. */
export function providerUrl(
  p: JailProvider,
  env: (name: string) => string | undefined,
): string | null {
  if (p.baseUrl) return p.baseUrl;
  const baseEnv = p.baseUrlEnv ?? p.endpoint?.baseUrlEnv ?? null;
  const fromEnv = baseEnv ? env(baseEnv) : undefined;
  if (fromEnv) return fromEnv;
  return p.endpoint?.baseUrl ?? null;
}

function providersOf(agent: JailAgent): (JailProvider | null)[] {
  return [agent.provider ?? null, ...(agent.extraProviders ?? [])];
}

/** The providers the broker carries: every one with an http(s) URL and a key variable. */
export function brokerRoutes(
  agent: JailAgent,
  env: (name: string) => string | undefined,
): ContainedModelRoute[] {
  const routes: ContainedModelRoute[] = [];
  providersOf(agent).forEach((p, i) => {
    if (!p) return;
    const url = providerUrl(p, env);
    const keyEnv = p.apiKeyEnv ?? p.endpoint?.apiKeyEnv ?? null;
    if (url === null || keyEnv === null) return;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return;
    routes.push({
      id: `m${i}`,
      provider: p.name,
      upstream: url.replace(/\/+$/, ""),
      keyEnv,
      authHeader: p.endpoint?.authHeader ?? "authorization",
      source: upstreamSource(p, env),
      defaultUrl: p.endpoint?.baseUrl ?? null,
    });
  });
  return routes;
}

/** Every provider key variable the agent names (none of them ever enters the container). */
export function providerKeyEnvs(agent: JailAgent): Set<string> {
  const keys = new Set<string>();
  for (const p of providersOf(agent)) {
    const k = p ? p.apiKeyEnv ?? p.endpoint?.apiKeyEnv ?? null : null;
    if (k) keys.add(k);
  }
  return keys;
}

/** `host:port` of each loopback upstream (as an address: `localhost` becomes `127.0.0.1`). */
export function loopbackOrigins(routes: readonly ContainedModelRoute[]): string[] {
  const out = new Set<string>();
  for (const r of routes) {
    const u = new URL(r.upstream);
    const host = normalizeHost(u.hostname.replace(/^\[|\]$/g, ""));
    if (host === null) continue;
    const port = u.port || (u.protocol === "https:" ? "443" : "80");
    if (host === "localhost" || host.endsWith(".localhost")) {
      out.add(`127.0.0.1:${port}`);
      continue;
    }
    try {
      if (addressClass(host) === "loopback") {
        out.add(host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);
      }
    } catch {
      // a name: not loopback
    }
  }
  return [...out];
}

/**
 * The agent as the jail inside the container sees it: each routed provider's base URL is its
 * route on `http://zu-vault` (so the jail grants `zu-vault`, never the model host).
 */
export function agentInBox(
  agent: JailAgent,
  routeUrls: ReadonlyMap<string, string>,
): JailAgent {
  const swap = (p: JailProvider | null | undefined, i: number): JailProvider | null => {
    if (!p) return null;
    const url = routeUrls.get(`m${i}`);
    return url === undefined ? p : { ...p, baseUrl: url, baseUrlEnv: null };
  };
  const [first, ...rest] = providersOf(agent);
  return {
    ...agent,
    provider: swap(first, 0),
    extraProviders: rest.map((p, i) => swap(p, i + 1)).filter((p) => p !== null),
  };
}

function rewriteProvider(block: unknown, url: string | undefined): void {
  if (url === undefined || block === null || typeof block !== "object" || Array.isArray(block)) {
    return;
  }
  const b = block as Record<string, unknown>;
  b.base_url = url;
  delete b.base_url_env;
  delete b.api_key; // a key written in the file never enters the box either
}

/**
 * Rewrites the staged copy of the agent file so each routed provider calls its route
 * (`base_url: http://zu-vault/r/<id>`, no `base_url_env`, no `api_key`). `m0` is `provider`,
 * `m1`... the `providers` tiers in tier order (as the loader orders them).
 */
export async function rewriteStagedAgent(
  file: string,
  routeUrls: ReadonlyMap<string, string>,
): Promise<void> {
  if (routeUrls.size === 0) return;
  const text = await Deno.readTextFile(file);
  const json = file.endsWith(".json");
  const doc = (json ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 })) as Record<
    string,
    unknown
  >;
  if (doc === null || typeof doc !== "object") return;
  rewriteProvider(doc.provider, routeUrls.get("m0"));
  const tiers = doc.providers;
  if (tiers !== null && typeof tiers === "object" && !Array.isArray(tiers)) {
    const keys = Object.keys(tiers).sort((a, b) => Number(a) - Number(b));
    keys.forEach((k, i) => {
      rewriteProvider((tiers as Record<string, unknown>)[k], routeUrls.get(`m${i + 1}`));
    });
  }
  await Deno.writeTextFile(file, json ? JSON.stringify(doc, null, 2) : stringifyYaml(doc));
}
