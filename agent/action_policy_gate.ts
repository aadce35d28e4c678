/**
 * `action_policies` compiled to one {@link InvocationGate}: an ordered list of rules
 * `{tool, op?, match?, effect: deny | escalate | allow}`; the first rule that matches a call
 * decides, and no match allows. `escalate` asks a human (`kind: "human"`): the run pauses for an
 * approval (docs/approvals.md). The `read-only` preset expands, per active tool, to "deny every
 * write-shaped op" read from the tool's own `write_ops` (or `writes: true`) declaration.
 *
 * @example
 * ```ts
 * import { ActionPolicyGate } from "./action_policy_gate.ts";
 * const gate = new ActionPolicyGate([{ tool: "browser", op: "act", effect: "deny" }]);
 * const ctx = {} as Parameters<ActionPolicyGate["check"]>[1];
 * console.assert(gate.check({ name: "browser", args: { op: "act" } }, ctx)?.severity === "deny");
 * console.assert(gate.check({ name: "browser", args: { op: "read" } }, ctx) === null);
 * ```
 * @module
 */
import type { ToolCall, Verdict } from "../core/contracts.ts";
import type { InvocationGate, RunContext, Tool } from "../core/types.ts";

/** What a matching rule does. */
export type PolicyEffect = "deny" | "escalate" | "allow";

/** The effects a rule may have. */
export const POLICY_EFFECTS: readonly PolicyEffect[] = Object.freeze(["deny", "escalate", "allow"]);

/** One compiled rule. */
export interface PolicyRule {
  /** The tool name the rule applies to. */
  tool: string;
  /** The call's `op` argument must equal this, when set. */
  op?: string | null;
  /** A case-insensitive substring or glob over the call's arguments, when set. */
  match?: string | null;
  /** What happens on a match. */
  effect: PolicyEffect;
}

function argBlob(args: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(args ?? {})) {
    parts.push(k);
    parts.push(typeof v === "string" ? v : JSON.stringify(v) ?? String(v));
  }
  return parts.join(" ").toLowerCase();
}

function globMatch(text: string, glob: string): boolean {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(
    /\?/g,
    "[\\s\\S]",
  );
  return new RegExp(`^${body}$`).test(text);
}

/** True when `rule` applies to `call`. */
export function ruleApplies(rule: PolicyRule, call: ToolCall): boolean {
  if (call.name !== rule.tool) return false;
  if (rule.op !== undefined && rule.op !== null && String(call.args?.op ?? "") !== rule.op) {
    return false;
  }
  if (rule.match !== undefined && rule.match !== null) {
    const m = rule.match.toLowerCase();
    const blob = argBlob(call.args ?? {});
    if (!blob.includes(m) && !globMatch(blob, m)) return false;
  }
  return true;
}

/** The write ops a tool declares (`write_ops`), or `["*"]` when it declares `writes: true`. */
export function writeOpsOf(tool: Tool): string[] | null {
  const t = tool as Tool & { writes?: unknown; write_ops?: Iterable<unknown> | null };
  if (t.writes === true) return ["*"];
  if (t.write_ops && typeof (t.write_ops as Iterable<unknown>)[Symbol.iterator] === "function") {
    const ops = [...t.write_ops].map(String);
    return ops.length > 0 ? ops : null;
  }
  return null;
}

/** The `read-only` preset expanded over `tools` (sorted by name). */
export function readOnlyRules(tools: ReadonlyMap<string, Tool>): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const name of [...tools.keys()].sort()) {
    const ops = writeOpsOf(tools.get(name)!);
    if (ops === null) continue;
    if (ops.includes("*")) rules.push({ tool: name, effect: "deny" });
    else for (const op of ops) rules.push({ tool: name, op, effect: "deny" });
  }
  return rules;
}

/** The op names a tool declares in `schema.parameters.properties.op.enum`, or null. */
export function knownOpsOf(tool: Tool): string[] | null {
  const props = (tool.schema?.parameters as { properties?: Record<string, unknown> } | undefined)
    ?.properties;
  const op = props?.op as { enum?: unknown } | undefined;
  return Array.isArray(op?.enum) ? op.enum.map(String) : null;
}

/** The gate: first matching rule wins, default allow. Fails closed on a crash. */
export class ActionPolicyGate implements InvocationGate {
  /** Registry name. */
  readonly name = "action_policies";
  /** A crash denies. */
  readonly fail_closed_on_crash = true;
  /** The rules, in order. */
  readonly rules: readonly PolicyRule[];

  /** Creates the gate over ordered `rules`. */
  constructor(rules: readonly PolicyRule[]) {
    this.rules = Object.freeze(rules.map((r) => Object.freeze({ ...r })));
  }

  /** The first matching rule's verdict; null when it allows or nothing matches. */
  check(call: ToolCall, _ctx: RunContext): Verdict | null {
    for (const rule of this.rules) {
      if (!ruleApplies(rule, call)) continue;
      if (rule.effect === "allow") return null;
      const detail = `action_policies: ${rule.effect} ${call.name}${
        rule.op ? ` op=${rule.op}` : ""
      }`;
      // escalate asks a person (the run pauses for an approval); a tier climb never makes a
      // call the operator flagged any safer.
      if (rule.effect === "escalate") {
        return { severity: "escalate", detector: this.name, detail, kind: "human" };
      }
      return { severity: rule.effect, detector: this.name, detail };
    }
    return null;
  }
}
