/**
 * The clearance rules a desk holds (private): persisted rules (every run) and run rules (one run),
 * matched on (host, port) with expiry; deny wins over allow.
 * @module
 */
import type { ClearanceRule } from "../../../core/types.ts";

/** The rule that decides a destination, or null. */
export type RuleMatch = { action: "allow" | "deny"; rule: ClearanceRule } | null;

/** Most run rules kept per run (older ones are dropped first). */
export const MAX_RULES_PER_RUN = 1024;

function live(rule: ClearanceRule, nowMs: number): boolean {
  return rule.ttl_until === null || Date.parse(rule.ttl_until) > nowMs;
}

/** Persisted and per-run rules. */
export class ClearanceRules {
  #persisted: ClearanceRule[] = [];
  #runs = new Map<string, ClearanceRule[]>();

  /** Adds a rule: `persist` to every run, otherwise to its run. */
  add(rule: ClearanceRule): void {
    if (rule.scope === "persist" || rule.run_id === null) {
      this.#persisted.push(rule);
      return;
    }
    const list = this.#runs.get(rule.run_id) ?? [];
    list.push(rule);
    if (list.length > MAX_RULES_PER_RUN) list.shift();
    this.#runs.set(rule.run_id, list);
  }

  /** The deciding rule for (run, host, port) at `nowMs`: any live deny, else any live allow. */
  match(runId: string, host: string, port: number, nowMs: number): RuleMatch {
    let allow: ClearanceRule | null = null;
    for (const list of [this.#persisted, this.#runs.get(runId) ?? []]) {
      for (const rule of list) {
        if (rule.host !== host || rule.port !== port || !live(rule, nowMs)) continue;
        if (rule.action === "deny") return { action: "deny", rule };
        allow ??= rule;
      }
    }
    return allow === null ? null : { action: "allow", rule: allow };
  }

  /** Drops a run's rules. */
  forgetRun(runId: string): void {
    this.#runs.delete(runId);
  }

  /** Counts: persisted rules, run rules. */
  counts(): { persisted: number; run: number } {
    let run = 0;
    for (const list of this.#runs.values()) run += list.length;
    return { persisted: this.#persisted.length, run };
  }
}
