/**
 * Builds what an agent file describes: providers, tools (tier stamped, `allowed_domains` passed
 * to navigation tools), detectors, validators, and the `allowed_domains` / `action_policies`
 * gates. Every failure is a one-line `UserError` naming the file and key.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import type {
  Detector,
  InvocationGate,
  ModelProvider,
  RunPlugins,
  Tool,
  Validator,
} from "../core/types.ts";
import {
  ActionPolicyGate,
  knownOpsOf,
  type PolicyRule,
  readOnlyRules,
} from "./action_policy_gate.ts";
import { AllowedDomainsGate, NAVIGATION_TOOLS } from "./allowed_domains_gate.ts";
import { configError, thrownText, withApiKey } from "./_config_parse.ts";
import {
  instantiate,
  type PluginKind,
  type ResolvedRef,
  resolveRef,
  shapeProblem,
} from "./_config_plugins.ts";
import { type AgentRegistries, ConfigProblem, type ProviderContext } from "./_config_registries.ts";
import type { AgentConfig, PluginRef, ProviderConfig } from "./_config_types.ts";

/** What {@link buildAll} returns. */
export interface Built {
  provider: ModelProvider;
  providers: Map<number, ModelProvider>;
  finishProvider: ModelProvider | null;
  plugins: RunPlugins;
}

async function buildProvider(
  config: AgentConfig,
  pc: ProviderConfig,
  key: string,
  registries: AgentRegistries,
  context: ProviderContext,
): Promise<ModelProvider> {
  const site = { file: config.path, key: `${key}.name`, agentDir: config.agentDir };
  const resolved = await resolveRef(pc.name, "provider", registries.providers, site);
  let provider: unknown;
  try {
    if (resolved.source === "builtin") {
      provider = registries.providers.get(resolved.name)(pc, context);
    } else {
      const { name: _n, options, ...rest } = pc;
      const key = pc.api_key === null ? {} : { api_key: pc.api_key };
      provider = instantiate(resolved.value, { ...rest, ...key, ...options });
    }
  } catch (e) {
    if (e instanceof ConfigProblem) throw configError(config.path, `${key}.${e.subKey}`, e.message);
    if (e instanceof UserError) throw e;
    throw configError(config.path, key, `cannot be built: ${errorText(e)}`);
  }
  const problem = shapeProblem(provider, "provider");
  if (problem) throw configError(config.path, key, `"${pc.name}" ${problem}`);
  return provider as ModelProvider;
}

/** One line saying what a plugin threw (see `thrownText`). */
export function errorText(e: unknown): string {
  return thrownText(e);
}

// Builds each ref of `kind` (no extra args), refusing a second plugin with the same name.
async function buildNamed<T extends { name: string }>(
  config: AgentConfig,
  refs: readonly PluginRef[],
  kind: "detector" | "validator",
  registry: AgentRegistries["detectors" | "validators"],
): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for (const ref of refs) {
    const plugin = await buildPlugin(config, ref, kind, registry, {}) as T;
    if (out.has(plugin.name)) {
      throw configError(config.path, ref.key, `${kind} "${plugin.name}" is listed twice`);
    }
    out.set(plugin.name, plugin);
  }
  return out;
}

async function buildPlugin(
  config: AgentConfig,
  ref: PluginRef,
  kind: Exclude<PluginKind, "provider">,
  registry: AgentRegistries["tools" | "detectors" | "validators"],
  extraArgs: Record<string, unknown>,
): Promise<unknown> {
  const site = { file: config.path, key: ref.key, agentDir: config.agentDir };
  const resolved: ResolvedRef = await resolveRef(ref.ref, kind, registry, site);
  let value: unknown;
  try {
    if (resolved.source === "builtin") {
      const make = registry.get(resolved.name) as (args?: Record<string, unknown>) => unknown;
      value = make({ ...extraArgs, ...ref.args });
    } else {
      value = instantiate(resolved.value, { ...ref.args });
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw configError(config.path, ref.key, `"${ref.ref}" cannot be built: ${errorText(e)}`);
  }
  const problem = shapeProblem(value, kind);
  if (problem) throw configError(config.path, ref.key, `"${ref.ref}" ${problem}`);
  return value;
}

function hasDomainArg(args: Record<string, unknown>): boolean {
  return "allowed_domains" in args || "allowedDomains" in args;
}

function hasLocalArg(args: Record<string, unknown>): boolean {
  return "local_origins" in args || "localOrigins" in args;
}

export async function buildAll(
  config: AgentConfig,
  registries: AgentRegistries,
  context: ProviderContext,
): Promise<Built> {
  const provider = await buildProvider(config, config.provider, "provider", registries, context);
  const providers = new Map<number, ModelProvider>();
  for (const [tier, pc] of config.providers) {
    providers.set(
      tier,
      await buildProvider(config, pc, `providers.${tier}`, registries, context),
    );
  }
  const finishProvider = config.replay.finish_model === null ? null : await buildProvider(
    config,
    withApiKey({ ...config.provider, model: config.replay.finish_model }, config.provider.api_key),
    "replay.finish_model",
    registries,
    context,
  );

  // Tools: plugins.tools first, then tier refs not already listed; a tier ref stamps the tier.
  const tierOf = new Map<string, number>();
  const tierRefs: PluginRef[] = [];
  for (const [tier, refs] of config.tiers) {
    for (const ref of refs) {
      if (!tierOf.has(ref.ref)) tierRefs.push(ref);
      tierOf.set(ref.ref, tier);
    }
  }
  const listed = new Set(config.plugins.tools.map((r) => r.ref));
  const toolRefs = [...config.plugins.tools, ...tierRefs.filter((r) => !listed.has(r.ref))];
  const tools = new Map<string, Tool>();
  for (const ref of toolRefs) {
    const extra: Record<string, unknown> = {};
    if (
      config.allowed_domains !== null && NAVIGATION_TOOLS.includes(ref.ref) &&
      !hasDomainArg(ref.args)
    ) {
      extra.allowedDomains = [...config.allowed_domains];
    }
    if (
      (config.local_origins ?? []).length > 0 && ref.ref === "http_fetch" && !hasLocalArg(ref.args)
    ) {
      extra.localOrigins = [...(config.local_origins ?? [])];
    }
    const tool = await buildPlugin(config, ref, "tool", registries.tools, extra) as Tool;
    const tier = tierOf.get(ref.ref);
    if (tier !== undefined) {
      try {
        tool.tier = tier;
      } catch (e) {
        throw configError(
          config.path,
          ref.key,
          `"${ref.ref}" cannot take tier ${tier}: ${errorText(e)}`,
        );
      }
    }
    if (tools.has(tool.name)) {
      throw configError(config.path, ref.key, `tool "${tool.name}" is listed twice`);
    }
    tools.set(tool.name, tool);
  }

  const detectors = await buildNamed<Detector>(
    config,
    config.plugins.detectors,
    "detector",
    registries.detectors,
  );
  const validators = await buildNamed<Validator>(
    config,
    config.plugins.validators,
    "validator",
    registries.validators,
  );

  const gates = new Map<string, InvocationGate>();
  if (config.allowed_domains !== null) {
    const gate = new AllowedDomainsGate(config.allowed_domains, {
      localOrigins: config.local_origins ?? [],
    });
    gates.set(gate.name, gate);
  }
  const rules = compilePolicies(config, tools);
  if (rules.length > 0) {
    const gate = new ActionPolicyGate(rules);
    gates.set(gate.name, gate);
  }
  return { provider, providers, finishProvider, plugins: { tools, detectors, validators, gates } };
}

function compilePolicies(config: AgentConfig, tools: ReadonlyMap<string, Tool>): PolicyRule[] {
  const rules: PolicyRule[] = [];
  config.action_policies.forEach((entry, i) => {
    const key = `action_policies[${i}]`;
    if (entry === "read-only") {
      rules.push(...readOnlyRules(tools));
      return;
    }
    const tool = tools.get(entry.tool);
    if (tool === undefined) {
      throw configError(
        config.path,
        `${key}.tool`,
        `"${entry.tool}" is not an active tool (active: ${
          [...tools.keys()].sort().map((n) => `"${n}"`).join(", ") || "none"
        })`,
      );
    }
    if (entry.op !== null) {
      const ops = knownOpsOf(tool);
      if (ops === null) {
        throw configError(
          config.path,
          `${key}.op`,
          `cannot apply: tool "${entry.tool}" has no "op" parameter`,
        );
      }
      if (!ops.includes(entry.op)) {
        throw configError(
          config.path,
          `${key}.op`,
          `"${entry.op}" is not an op of tool "${entry.tool}" (known: ${
            ops.map((o) => `"${o}"`).join(", ")
          })`,
        );
      }
    }
    rules.push({ tool: entry.tool, op: entry.op, match: entry.match, effect: entry.effect });
  });
  return rules;
}
