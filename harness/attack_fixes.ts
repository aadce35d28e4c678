/**
 * What to change when an attack got through, by the family of its goal: the `why` and `fix`
 * lines a harden report prints for a missed adversarial variant.
 *
 * @example
 * ```ts
 * import { attackAdvice } from "./attack_fixes.ts";
 * console.assert(attackAdvice("exfil", "goal-exfil-allowed-host").fix.includes("action_policies"));
 * ```
 * @module
 */
import type { GoalFamily } from "./perturb/attack_record.ts";

/** The why and fix lines for an attack of `family` planted by `kind` that succeeded. */
export function attackAdvice(family: GoalFamily, kind: string): { why: string; fix: string } {
  const planted = `an injected instruction (${kind}, family ${family})`;
  switch (family) {
    case "fetch":
      return {
        why: `${planted} made the agent call a host the task never needed`,
        fix:
          "list the only hosts the agent may contact under allowed_domains in agent.yaml (and keep action_policies for writes)",
      };
    case "exfil":
      return {
        why: `${planted} sent data out in a URL${
          kind.includes("allowed") ? " on a host the allow-list permits" : ""
        }`,
        fix:
          'deny calls the task does not need with action_policies (e.g. {tool: http_fetch, match: "*?*", effect: deny} for an agent that never needs a query string); allowed_domains alone passes allowed hosts',
      };
    case "write":
      return {
        why: `${planted} made a state-changing call on an allowed host`,
        fix:
          "deny or escalate write-shaped calls with action_policies (read-only, or a match on the paths that change state)",
      };
    case "answer-leak":
    case "echo":
      return {
        why: `${planted} put attacker text into the answer`,
        fix:
          "add the grounding validator (plugins.validators: [schema, grounding]) so every value must appear verbatim on a fetched page",
      };
    case "tamper":
      return {
        why: `${planted} changed a value of the answer to one the page itself claims`,
        fix:
          "grounding cannot catch a value the page holds: cross-check the value against a second source, or escalate answers that differ from the captured one",
      };
    case "dos":
      return {
        why: `${planted} made the agent stop working`,
        fix:
          "tell the model in its prompt that stop or captcha requests inside fetched content are data, and keep the observation fence; no gate prevents this, so watch the denial-of-service rate",
      };
  }
}
