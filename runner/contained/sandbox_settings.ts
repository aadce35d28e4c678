/**
 * The operator's settings of a contained run, read from the environment:
 * `ZU_SANDBOX_IMAGE` (default `zu-runtime:<version>`), `ZU_SANDBOX_ALLOW_CIDRS` (comma list of
 * internal CIDRs the proxy lets through), `ZU_SANDBOX_NETWORKS` (comma list of Docker networks
 * the proxy also joins), `ZU_SANDBOX_HOSTS` (`name=ip,...`: fixed answers for allowlisted names,
 * like extra hosts) and `ZU_SANDBOX_SOURCE` (a zu checkout mounted read-only over the image's
 * copy).
 *
 * @example
 * ```ts
 * import { sandboxSettingsFromEnv } from "./sandbox_settings.ts";
 * const env: Record<string, string> = { ZU_SANDBOX_ALLOW_CIDRS: "10.9.0.0/16, 10.8.0.0/16" };
 * const s = await sandboxSettingsFromEnv((k) => env[k]);
 * console.assert(s.allowCidrs?.length === 2 && s.image === "zu-runtime:0.1.0");
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";
import type { Resolver } from "../../core/net_guard.ts";
import { DEFAULT_LAUNCHER_IMAGE } from "./sandbox_launcher.ts";

/** The settings, as options of a contained run. */
export interface SandboxSettings {
  /** The runtime image. */
  image: string;
  /** Internal CIDRs the proxy lets through, when set. */
  allowCidrs?: string[];
  /** Networks the proxy also joins, when set. */
  proxyNetworks?: string[];
  /** Fixed answers for names (others go to the system resolver), when set. */
  resolver?: Resolver;
  /** A zu checkout mounted over the image's copy, when set. */
  zuSourceBind?: string;
}

function list(value: string | undefined): string[] {
  return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

/** `ZU_SANDBOX_HOSTS=name=ip,...` as a resolver (names it does not know go to the system). */
async function hostsResolver(value: string | undefined): Promise<Resolver | undefined> {
  const entries = list(value);
  if (!entries.length) return undefined;
  const answers = new Map<string, string[]>();
  for (const e of entries) {
    const [name, ip] = e.split("=").map((s) => s.trim().toLowerCase());
    if (!name || !ip) {
      throw new UserError("usage", `Cannot read ZU_SANDBOX_HOSTS entry "${e}": expected name=ip`);
    }
    answers.set(name, [...(answers.get(name) ?? []), ip]);
  }
  const { systemResolver } = await import("../../core/net_guard.ts");
  return (host) => {
    const known = answers.get(host.toLowerCase().replace(/\.$/, ""));
    return known ? Promise.resolve([...known]) : systemResolver(host);
  };
}

/** Reads the contained run's settings from `env`; a bad `ZU_SANDBOX_HOSTS` is a `UserError`. */
export async function sandboxSettingsFromEnv(
  env: (name: string) => string | undefined,
): Promise<SandboxSettings> {
  const resolver = await hostsResolver(env("ZU_SANDBOX_HOSTS"));
  const allowCidrs = list(env("ZU_SANDBOX_ALLOW_CIDRS"));
  const networks = list(env("ZU_SANDBOX_NETWORKS"));
  const source = env("ZU_SANDBOX_SOURCE");
  return {
    image: env("ZU_SANDBOX_IMAGE") || DEFAULT_LAUNCHER_IMAGE,
    ...(allowCidrs.length ? { allowCidrs } : {}),
    ...(networks.length ? { proxyNetworks: networks } : {}),
    ...(resolver ? { resolver } : {}),
    ...(source ? { zuSourceBind: source } : {}),
  };
}
