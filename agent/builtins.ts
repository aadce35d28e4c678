/**
 * The built-in plugins by registry name: tools (`http_fetch`, `html_parse`, `recall`,
 * `render_dom`, `browser`, `shell`, `run_code`), detectors (`empty`, `error`, `exec-failure`,
 * `js-shell`, `bot-wall`, `captcha`), validators (`schema`, `grounding`) and providers
 * (`scripted`, `openai-compatible`, `anthropic`). Agent files name them; the CLI offers their
 * `names()`.
 *
 * @example
 * ```ts
 * import { builtinRegistries } from "./builtins.ts";
 * const r = builtinRegistries();
 * console.assert(r.tools.has("http_fetch") && r.providers.names().includes("anthropic"));
 * ```
 * @module
 */
import { Registry } from "../core/registry.ts";
import { builtinDetectors, builtinValidators } from "./checks/mod.ts";
import { builtinTools } from "./tools/mod.ts";
import {
  type AgentRegistries,
  buildAnthropic,
  buildOpenAICompatible,
  buildScripted,
  type DetectorFactory,
  type ProviderBuilder,
  type ToolFactory,
  type ValidatorFactory,
} from "./_config_registries.ts";

export type {
  AgentRegistries,
  DetectorFactory,
  ProviderBuilder,
  ProviderContext,
  ToolFactory,
  ValidatorFactory,
} from "./_config_registries.ts";
export { ConfigProblem, NO_ENDPOINT, providerBuilder } from "./_config_registries.ts";

function noArgs<T>(
  kind: string,
  name: string,
  make: () => T,
): (args?: Record<string, unknown>) => T {
  return (args = {}) => {
    const keys = Object.keys(args);
    if (keys.length > 0) {
      throw new TypeError(
        `Cannot configure ${kind} "${name}": it takes no arguments (got ${
          keys.map((k) => `"${k}"`).join(", ")
        })`,
      );
    }
    return make();
  };
}

/** Fresh registries holding every built-in plugin. */
export function builtinRegistries(): AgentRegistries {
  const tools = new Registry<ToolFactory>("tools");
  for (const [name, make] of builtinTools()) tools.register(name, make);
  const detectors = new Registry<DetectorFactory>("detectors");
  for (const [name, make] of builtinDetectors()) {
    detectors.register(name, noArgs("detector", name, make));
  }
  const validators = new Registry<ValidatorFactory>("validators");
  for (const [name, make] of builtinValidators()) {
    validators.register(name, noArgs("validator", name, make));
  }
  const providers = new Registry<ProviderBuilder>("providers");
  providers.register("scripted", buildScripted);
  providers.register("openai-compatible", buildOpenAICompatible);
  providers.register("anthropic", buildAnthropic);
  return { tools, detectors, validators, providers };
}
