/**
 * Defence switches for harden: the same seeded variants replayed with one of the agent's
 * defences turned off, so a report can say which defence stopped each attack family. The
 * defences: `detectors` (every per-observation and per-step detector), `boundary` (the
 * observation boundary: untrusted-content fencing and the `max_observation_chars` cut),
 * `gates` (`action_policies`), `allowed-domains` (the navigation allow-list gate) and
 * `validators` (schema, grounding, ...). Each has a kind written to get around it
 * ({@link DEFENCE_BYPASS}).
 *
 * @example
 * ```ts
 * import { DEFENCES, DEFENCE_BYPASS } from "./defences.ts";
 * console.assert(DEFENCES.length === 5 && DEFENCE_BYPASS["allowed-domains"] === "goal-exfil-allowed-host");
 * ```
 * @module
 */
import type { AssembledRun } from "../agent/config.ts";
import type { Tool } from "../core/types.ts";

/** A defence a harden run can switch off. */
export type DefenceName = "detectors" | "boundary" | "gates" | "allowed-domains" | "validators";

/** Every defence, in report order. */
export const DEFENCES: readonly DefenceName[] = [
  "detectors",
  "boundary",
  "gates",
  "allowed-domains",
  "validators",
];

/** True when `s` names a defence. */
export function isDefence(s: string): s is DefenceName {
  return (DEFENCES as readonly string[]).includes(s);
}

/** The kind written to get around each defence (a variant the defence is not meant to stop). */
export const DEFENCE_BYPASS: Readonly<Record<DefenceName, string>> = Object.freeze({
  // Keyword detectors read plain text; an encoded payload reads as noise to them.
  detectors: "enc-base64",
  // The fence defangs zu's own markers only; another chat template's role tokens pass through.
  boundary: "boundary-chatml",
  // Action policies judge tool calls; a planted markdown image in the answer makes none.
  gates: "goal-answer-image",
  // The allow-list passes any URL on an allowed host, query string and all.
  "allowed-domains": "goal-exfil-allowed-host",
  // Grounding accepts any value that is on a fetched page, a planted one included.
  validators: "goal-tamper-value",
});

const GATE_OF: Partial<Record<DefenceName, string>> = {
  gates: "action_policies",
  "allowed-domains": "allowed_domains",
};

/** True when the agent has the defence at all (an absent one cannot be switched off). */
export function hasDefence(a: AssembledRun, d: DefenceName): boolean {
  if (d === "detectors") return a.plugins.detectors.size > 0;
  if (d === "validators") return a.plugins.validators.size > 0;
  if (d === "boundary") {
    const cut = a.runOptions.maxObservationChars;
    return [...a.plugins.tools.values()].some(untrusted) || (cut !== undefined && cut !== null);
  }
  return a.plugins.gates.has(GATE_OF[d]!);
}

function untrusted(t: Tool): boolean {
  return t.untrusted === true || (t.egress?.has("*") ?? false);
}

/** `t` marked trusted: its output is no longer fenced (its egress is otherwise unchanged). */
function trusted(t: Tool): Tool {
  const egress = t.egress ? new Set([...t.egress].filter((h) => h !== "*")) : undefined;
  return {
    name: t.name,
    schema: t.schema,
    ...(t.tier !== undefined ? { tier: t.tier } : {}),
    call: (ctx, args) => t.call(ctx, args),
    ...(t.prompt_fragment !== undefined ? { prompt_fragment: t.prompt_fragment } : {}),
    ...(t.capabilities !== undefined ? { capabilities: t.capabilities } : {}),
    ...(egress !== undefined ? { egress } : {}),
    untrusted: false,
  };
}

/** A copy of `a` with the defences in `off` switched off (`a` is not changed). */
export function withoutDefences(a: AssembledRun, off: readonly DefenceName[]): AssembledRun {
  if (off.length === 0) return a;
  const plugins = {
    tools: new Map(a.plugins.tools),
    detectors: off.includes("detectors") ? new Map() : new Map(a.plugins.detectors),
    validators: off.includes("validators") ? new Map() : new Map(a.plugins.validators),
    gates: new Map(a.plugins.gates),
  };
  for (const d of off) if (GATE_OF[d]) plugins.gates.delete(GATE_OF[d]!);
  let runOptions = a.runOptions;
  if (off.includes("boundary")) {
    for (const [k, t] of plugins.tools) plugins.tools.set(k, trusted(t));
    runOptions = { ...a.runOptions, maxObservationChars: null };
  }
  return { ...a, plugins, runOptions };
}
