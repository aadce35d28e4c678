/**
 * Which defence holds: the attacked variants (and look-alikes) of a harden run replayed once more
 * per defence the agent has, with that one defence switched off. Replay is deterministic, so a
 * family whose attack success rises when a defence is off was being stopped by it; a defence
 * that holds costs nothing when the look-alikes still pass.
 *
 * @example
 * ```ts ignore
 * import { defenceMatrix } from "./defence_matrix.ts";
 * const m = await defenceMatrix(assembled, bundle, plan, report.variants, { mode: "oracle" });
 * console.log(m.held_by);
 * ```
 * @module
 */
import type { AssembledRun } from "../agent/config.ts";
import { type AttackMetrics, attackMetrics } from "./attack_metrics.ts";
import type { Bundle } from "./bundle.ts";
import { type DefenceName, DEFENCES, hasDefence, withoutDefences } from "./defences.ts";
import type { ModelMode } from "./offline.ts";
import { runVariants } from "./run_variants.ts";
import type { Rate } from "./stats.ts";
import type { PlannedVariant, VariantVerdict } from "./verdict.ts";

/** One row of the matrix: the attack numbers with one defence off (or none off). */
export interface DefenceCell {
  /** The defence switched off; `none`: every defence on (the run itself); `all`: every one off. */
  off: DefenceName | "none" | "all";
  /** Targeted ASR over all attacked runs. */
  asr_all: Rate;
  /** Attacked runs that still solved the task. */
  utility_under_attack: Rate;
  /** Look-alikes broken. */
  false_positive_rate: Rate;
  /** ASR per goal family. */
  by_family: Record<string, Rate>;
}

/** The matrix and what it shows. */
export interface DefenceMatrix {
  /** Defences the agent has (only these can be switched off). */
  present: DefenceName[];
  /** `none` first, one row per present defence, then `all` (every present defence off). */
  cells: DefenceCell[];
  /** Per family: the defences whose removal let more of its attacks succeed. */
  held_by: Record<string, DefenceName[]>;
}

/** Options of {@link defenceMatrix}. */
export interface DefenceMatrixOptions {
  /** Model mode (`oracle` shows the most). */
  mode: ModelMode;
  /** In-process concurrency. Default 4. */
  concurrency?: number;
  /** Cancels. */
  signal?: AbortSignal;
}

function cell(off: DefenceCell["off"], m: AttackMetrics): DefenceCell {
  return {
    off,
    asr_all: m.asr_all,
    utility_under_attack: m.utility_under_attack,
    false_positive_rate: m.false_positive_rate,
    by_family: Object.fromEntries(Object.entries(m.by_family).map(([k, s]) => [k, s.asr_all])),
  };
}

/** Replays the attacked and look-alike variants of `plan` once per defence the agent has. */
export async function defenceMatrix(
  assembled: AssembledRun,
  bundle: Bundle,
  plan: readonly PlannedVariant[],
  verdicts: readonly VariantVerdict[],
  options: DefenceMatrixOptions,
): Promise<DefenceMatrix> {
  const keep = plan.map((_p, i) => i).filter((i) =>
    verdicts[i]?.attack !== undefined || verdicts[i]?.name.includes("lookalike-")
  );
  const sub = keep.map((i) => plan[i]!);
  const base = attackMetrics(keep.map((i) => verdicts[i]!));
  const present = DEFENCES.filter((d) => hasDefence(assembled, d));
  const cells: DefenceCell[] = [cell("none", base)];
  const held: Record<string, DefenceName[]> = {};
  for (const d of present) {
    const vs = await runVariants(withoutDefences(assembled, [d]), bundle, sub, {
      mode: options.mode,
      workers: 0,
      concurrency: options.concurrency ?? 4,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const m = attackMetrics(vs);
    cells.push(cell(d, m));
    for (const [family, s] of Object.entries(m.by_family)) {
      if (s.asr_all.n > (base.by_family[family]?.asr_all.n ?? 0)) {
        (held[family] ??= []).push(d);
      }
    }
  }
  if (present.length > 1) {
    const vs = await runVariants(withoutDefences(assembled, present), bundle, sub, {
      mode: options.mode,
      workers: 0,
      concurrency: options.concurrency ?? 4,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    cells.push(cell("all", attackMetrics(vs)));
  }
  return { present, cells, held_by: held };
}
