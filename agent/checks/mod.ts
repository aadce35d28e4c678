/**
 * zu's built-in checks: detectors `empty`, `error`, `exec-failure`, `js-shell`, `bot-wall`,
 * `captcha`, `prompt-injection` (ours, opt-in) and validators `schema`, `grounding`, by registry
 * name.
 *
 * @example
 * ```ts
 * import { builtinDetectors, builtinValidators } from "./mod.ts";
 * console.assert(builtinDetectors().get("empty")?.().scope === "per_observation");
 * console.assert([...builtinValidators().keys()].join() === "grounding,schema");
 * ```
 * @module
 */
import type { Detector, Validator } from "../../core/types.ts";
import { BotWallDetector } from "./bot_wall.ts";
import { CaptchaDetector } from "./captcha.ts";
import { EmptyDetector } from "./empty.ts";
import { ErrorDetector } from "./error.ts";
import { ExecFailureDetector } from "./exec_failure.ts";
import { GroundingValidator } from "./grounding.ts";
import { JsShellDetector } from "./js_shell.ts";
import { PromptInjectionDetector } from "./prompt_injection.ts";
import { SchemaValidator } from "./schema.ts";

export { BotWallDetector } from "./bot_wall.ts";
export { CaptchaDetector } from "./captcha.ts";
export { EmptyDetector } from "./empty.ts";
export { ErrorDetector } from "./error.ts";
export { ExecFailureDetector } from "./exec_failure.ts";
export { GroundingValidator } from "./grounding.ts";
export { JsShellDetector } from "./js_shell.ts";
export { PromptInjectionDetector } from "./prompt_injection.ts";
export { SchemaValidator } from "./schema.ts";

/** Built-in detector factories by name (sorted). */
export function builtinDetectors(): Map<string, () => Detector> {
  return new Map<string, () => Detector>([
    ["bot-wall", () => new BotWallDetector()],
    ["captcha", () => new CaptchaDetector()],
    ["empty", () => new EmptyDetector()],
    ["error", () => new ErrorDetector()],
    ["exec-failure", () => new ExecFailureDetector()],
    ["js-shell", () => new JsShellDetector()],
    ["prompt-injection", () => new PromptInjectionDetector()],
  ]);
}

/** Built-in validator factories by name (sorted). */
export function builtinValidators(): Map<string, () => Validator> {
  return new Map<string, () => Validator>([
    ["grounding", () => new GroundingValidator()],
    ["schema", () => new SchemaValidator()],
  ]);
}
