/**
 * Where each of an agent's model providers talks to, and how a jailed child reaches it through
 * the host's model broker instead: {@link providerUpstream} reads a provider's base URL (its
 * `base_url`, else its base-URL variable on the host, else the registry default) and its key
 * variable; {@link modelRoutes} gives one broker route per provider that calls an API; the child
 * gets {@link ModelOverrides} (each route's broker URL, the phantom) and
 * {@link applyModelOverrides} points its providers there, so it never needs the key or the
 * model host.
 *
 * @example
 * ```ts
 * import { modelRoutes } from "./model_routes.ts";
 * const routes = modelRoutes({
 *   provider: { name: "openai-compatible", baseUrl: "https://api.example/v1", apiKeyEnv: "EXAMPLE_KEY" },
 * }, () => undefined);
 * console.assert(routes[0]?.id === "main" && routes[0]?.keyEnv === "EXAMPLE_KEY");
 * ```
 * @module
 */
import type { EnvReader } from "../../core/types.ts";
import type { AgentConfig, ProviderConfig } from "../../agent/config.ts";
import type { JailAgent, JailProvider } from "./permission_flags.ts";

/** Where one provider talks to, as the jail and the broker see it. */
export interface ProviderUpstream {
  /** The base URL, or null when the provider makes no call or its base URL is missing. */
  url: string | null;
  /** Why (for `explain`). */
  why: string;
  /** The env variable holding the key, if any. */
  keyEnv: string | null;
  /** The env variable holding the base URL, if any. */
  baseEnv: string | null;
}

/** The base URL and key variable of `p`, reading base-URL variables through `env` (the host's). */
export function providerUpstream(p: JailProvider, env: EnvReader): ProviderUpstream {
  const baseEnv = p.baseUrlEnv ?? p.endpoint?.baseUrlEnv ?? null;
  const fromEnv = baseEnv ? env(baseEnv) : undefined;
  const keyEnv = p.apiKeyEnv ?? p.endpoint?.apiKeyEnv ?? null;
  if (p.baseUrl) return { url: p.baseUrl, why: `provider "${p.name}" base_url`, keyEnv, baseEnv };
  if (fromEnv) {
    return { url: fromEnv, why: `provider "${p.name}" base URL from $${baseEnv}`, keyEnv, baseEnv };
  }
  const url = p.endpoint?.baseUrl ?? null;
  return {
    url,
    why: url
      ? `provider "${p.name}" default API host (declared in the provider registry)`
      : p.endpoint
      ? `provider "${p.name}" makes no network call`
      : `provider "${p.name}" declares no default endpoint: set its base_url`,
    keyEnv,
    baseEnv,
  };
}

/** One provider's route through the model broker. */
export interface ModelRoute {
  /** Route id: `main` for the agent's provider, `tier-<n>` for a tier's. */
  id: string;
  /** The provider's registry name. */
  provider: string;
  /** The upstream base URL. */
  upstream: string;
  /** The key variable, or null when the route carries no key (none declared, or a key in agent.yaml). */
  keyEnv: string | null;
  /** How the key is sent. */
  authHeader: "authorization" | "x-api-key";
  /**
   * Who named the upstream: the agent's file (`base_url`: the repository's word), the operator
   * (the base-URL variable in zu's environment), or the provider registry's default.
   */
  source?: UpstreamSource;
  /** The registry's default base URL of the provider, if any. */
  defaultUrl?: string | null;
}

/** Who named a provider's upstream. */
export type UpstreamSource = "agent" | "operator" | "registry";

/** Who named `p`'s upstream (see {@link ModelRoute.source}). */
export function upstreamSource(p: JailProvider, env: EnvReader): UpstreamSource {
  if (p.baseUrl) return "agent";
  const baseEnv = p.baseUrlEnv ?? p.endpoint?.baseUrlEnv ?? null;
  return baseEnv && env(baseEnv) ? "operator" : "registry";
}

/** The route id of the agent's provider (`"main"`) or of tier `n`'s. */
export function routeIdOf(tier: "main" | number): string {
  return tier === "main" ? "main" : `tier-${tier}`;
}

/**
 * The broker route of provider `p` under `id`, or null when it calls no API. A provider whose
 * own `base_url_env` is unset on the host gets none (the child then fails with the provider's
 * own "is not set" line, as before).
 */
export function providerRoute(p: JailProvider, id: string, env: EnvReader): ModelRoute | null {
  if (p.baseUrlEnv && !p.baseUrl && !env(p.baseUrlEnv)) return null;
  const up = providerUpstream(p, env);
  if (!up.url) return null;
  return {
    id,
    provider: p.name,
    upstream: up.url,
    keyEnv: p.explicitKey ? null : up.keyEnv,
    authHeader: p.endpoint?.authHeader ?? "authorization",
    source: upstreamSource(p, env),
    defaultUrl: p.endpoint?.baseUrl ?? null,
  };
}

/** One route per provider that calls an API (see {@link providerRoute}). */
export function modelRoutes(
  jail: Pick<JailAgent, "provider" | "extraProviders">,
  env: EnvReader,
): ModelRoute[] {
  const all = [
    jail.provider ? providerRoute(jail.provider, routeIdOf("main"), env) : null,
    ...(jail.extraProviders ?? []).map((p, i) => providerRoute(p, routeIdOf(p.tier ?? i), env)),
  ];
  return all.filter((r): r is ModelRoute => r !== null);
}

/** What the jailed child is told about the broker (in its `--options` JSON, key `models`). */
export interface ModelOverrides {
  /** The phantom the providers present as their key. */
  phantom: string;
  /**
   * Per route id: the broker URL the provider uses as its base URL, and the key variable through
   * which it reads the phantom (null: a keyless route, the variable stays unset).
   */
  routes: Record<string, { baseUrl: string; keyEnv: string | null }>;
}

/** `value` checked as {@link ModelOverrides}, or null when absent. Throws a `TypeError` when malformed. */
export function parseModelOverrides(value: unknown): ModelOverrides | null {
  if (value === undefined || value === null) return null;
  const v = value as Partial<ModelOverrides>;
  const ok = typeof v === "object" && typeof v.phantom === "string" && v.routes !== null &&
    typeof v.routes === "object" &&
    Object.values(v.routes).every((r) =>
      typeof r?.baseUrl === "string" && (r.keyEnv === null || typeof r.keyEnv === "string")
    );
  if (!ok) throw new TypeError("Cannot read the model overrides: malformed");
  return v as ModelOverrides;
}

/**
 * `config` with each routed provider's `base_url` pointed at the broker, and an env reader that
 * answers a routed key variable with the phantom (every other name through `env`). The finish
 * model of replay is built from the agent's provider, so it follows the `main` route.
 */
export function applyModelOverrides(
  config: AgentConfig,
  overrides: ModelOverrides | null,
  env: EnvReader,
): { config: AgentConfig; env: EnvReader } {
  if (!overrides) return { config, env };
  const keys = new Map<string, string>();
  const point = (pc: ProviderConfig, id: string): ProviderConfig => {
    const r = overrides.routes[id];
    if (!r) return pc;
    if (r.keyEnv) keys.set(r.keyEnv, overrides.phantom);
    return { ...pc, base_url: r.baseUrl };
  };
  const providers = new Map<number, ProviderConfig>();
  for (const [tier, pc] of config.providers) providers.set(tier, point(pc, routeIdOf(tier)));
  const next = { ...config, provider: point(config.provider, routeIdOf("main")), providers };
  return { config: next, env: (name) => keys.get(name) ?? env(name) };
}

/** Where the model broker listens (a loopback address and port). */
export interface BrokerAddress {
  /** Its IP address (`127.0.0.1`). */
  hostname: string;
  /** Its port. */
  port: number;
}

/** The explain line of the broker's grant. */
export const BROKER_WHY = "model broker: the provider's key stays in the host process";

/** The `--allow-net` entry of the broker, and the address it lifts from the deny ranges. */
export function brokerEntry(b: BrokerAddress | "planned"): { entry: string; hostname: string } {
  if (b === "planned") return { entry: "127.0.0.1:<port>", hostname: "127.0.0.1" };
  const host = b.hostname.includes(":") ? `[${b.hostname}]` : b.hostname;
  return { entry: `${host}:${b.port}`, hostname: b.hostname };
}
