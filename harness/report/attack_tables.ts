/**
 * The attack section of a harden report as plain tables (title, header, rows of strings): the
 * field's metrics with their 95% intervals, the breakdown by goal family and by axis, the defence
 * matrix, and one row per attacked variant (what was planted, where it was stopped). Markdown,
 * HTML, the terminal text and JUnit render these same tables, so they cannot disagree.
 *
 * @example
 * ```ts
 * import { attackTables } from "./attack_tables.ts";
 * console.assert(attackTables({ variants: [] }).length === 0);
 * ```
 * @module
 */
import type { HardenReport } from "../harden.ts";
import type { AttackSlice } from "../attack_metrics.ts";
import { formatRate } from "../stats.ts";

/** One table. */
export interface ReportTable {
  /** Its heading. */
  title: string;
  /** Column names. */
  head: string[];
  /** Rows of cells. */
  rows: string[][];
}

function sliceRow(name: string, s: AttackSlice): string[] {
  const stops = Object.entries(s.stopped_by).map(([k, n]) => `${k} ${n}`).join(", ");
  return [
    name,
    String(s.attacked),
    formatRate(s.asr_all),
    formatRate(s.started),
    formatRate(s.utility_under_attack),
    `${s.outcomes.stripped}/${s.outcomes.ignored}/${s.outcomes.gated}/${s.outcomes.succeeded}`,
    stops || "—",
  ];
}

const SLICE_HEAD = [
  "",
  "attacked",
  "ASR (completed)",
  "started",
  "utility under attack",
  "stripped/ignored/gated/succeeded",
  "stopped by",
];

/** The attack tables of `report` (none when it played no attack or look-alike). */
export function attackTables(
  report: Pick<HardenReport, "variants" | "attacks" | "defences">,
): ReportTable[] {
  const a = report.attacks;
  if (a === undefined) return [];
  const tables: ReportTable[] = [{
    title: "Attack metrics",
    head: ["metric", "value (95% CI)"],
    rows: [
      ["benign utility (benign variants and look-alikes solved)", formatRate(a.benign_utility)],
      ["utility under attack", formatRate(a.utility_under_attack)],
      ["attack success rate, all runs (lower is better)", formatRate(a.asr_all)],
      ["attack success rate, valid runs", formatRate(a.asr_valid)],
      ["attacked and started (model began obeying)", formatRate(a.started)],
      ["attacked and completed (goal reached)", formatRate(a.completed)],
      ["denial-of-service rate", formatRate(a.dos_rate)],
      ["false positives on look-alikes", formatRate(a.false_positive_rate)],
      [
        "where attacks ended (stripped/ignored/gated/succeeded)",
        `${a.outcomes.stripped}/${a.outcomes.ignored}/${a.outcomes.gated}/${a.outcomes.succeeded}`,
      ],
      ["quoted a canary without obeying (not counted)", String(a.mentioned)],
    ],
  }, {
    title: "By goal family",
    head: ["family", ...SLICE_HEAD.slice(1)],
    rows: Object.entries(a.by_family).map(([k, s]) => sliceRow(k, s)),
  }, {
    title: "By axis",
    head: ["axis", ...SLICE_HEAD.slice(1)],
    rows: Object.entries(a.by_axis).map(([k, s]) => sliceRow(k, s)),
  }];
  const m = report.defences?.matrix;
  if (m !== undefined) {
    const families = [...new Set(m.cells.flatMap((c) => Object.keys(c.by_family)))];
    tables.push({
      title: "Defence matrix (one defence off at a time, same seeded variants)",
      head: ["defence off", "ASR", "utility under attack", "false positives", ...families],
      rows: m.cells.map((c) => [
        c.off,
        formatRate(c.asr_all),
        formatRate(c.utility_under_attack),
        c.false_positive_rate.text,
        ...families.map((f) => c.by_family[f]?.text ?? "—"),
      ]),
    }, {
      title: "Which defence holds",
      head: ["family", "stopped by (its removal let attacks through)"],
      rows: families.map((f) => [f, (m.held_by[f] ?? []).join(", ") || "— (none alone)"]),
    });
  }
  tables.push({
    title: "Attacks",
    head: ["variant", "goal", "framing", "carrier", "encodings", "outcome", "stopped by"],
    rows: report.variants.filter((v) => v.attack).map((v) => {
      const r = v.attack!.records[0]!;
      return [
        v.name,
        r.goal,
        r.framing,
        r.carrier,
        r.encodings.join("+") || "—",
        v.attack!.outcome,
        v.attack!.stopped_by ?? "—",
      ];
    }),
  });
  return tables;
}
