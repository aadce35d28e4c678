/**
 * Describes an agent to the jail: its tools' declared egress, the task target, its
 * `allowed_domains` and its providers, read from a loaded `agent.yaml`.
 *
 * @example
 * ```ts
 * import { loadAgentConfig } from "../../agent/config.ts";
 * import { jailAgentOf } from "./jail_agent.ts";
 * const config = await loadAgentConfig("fixtures/agents/shop-price", { env: () => undefined });
 * const agent = await jailAgentOf(config, { env: () => undefined });
 * console.assert(agent.target === "https://shop.example/products/espresso-grinder");
 * ```
 * @module
 */
import type { AgentConfig, AgentRegistries } from "../../agent/config.ts";
import type { JailAgent, JailProvider } from "./permission_flags.ts";

/** Options of {@link jailAgentOf}. */
export interface JailAgentOptions {
  /** Reads the environment (provider key and base-URL variables). Default: none set. */
  env?: (name: string) => string | undefined;
  /**
   * The registries the agent is resolved against; each provider's builder declares its default
   * endpoint (host and key variable) there. Default: the built-in registries.
   */
  registries?: AgentRegistries;
}

function provider(p: AgentConfig["provider"], registries: AgentRegistries): JailProvider {
  const builder = registries.providers.has(p.name) ? registries.providers.get(p.name) : null;
  return {
    name: p.name,
    baseUrl: p.base_url,
    baseUrlEnv: p.base_url_env,
    apiKeyEnv: p.api_key_env,
    endpoint: builder?.endpoint ?? null,
  };
}

/** Builds the {@link JailAgent} of a loaded agent (its tools are assembled to read their egress). */
export async function jailAgentOf(
  config: AgentConfig,
  options: JailAgentOptions = {},
): Promise<JailAgent> {
  const env = options.env ?? (() => undefined);
  const { assembleRun } = await import("../../agent/config.ts");
  const { builtinRegistries } = await import("../../agent/builtins.ts");
  const registries = options.registries ?? builtinRegistries();
  const run = await assembleRun(config, { env, registries });
  return {
    agentDir: config.agentDir,
    tools: [...run.plugins.tools.values()].map((t) => ({
      name: t.name,
      egress: [...(t.egress ?? [])],
    })),
    target: run.spec.target,
    allowedDomains: config.allowed_domains ?? [],
    provider: provider(config.provider, registries),
    extraProviders: [...config.providers.values()].map((p) => provider(p, registries)),
  };
}
