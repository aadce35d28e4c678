/**
 * The `grounding` validator: every scalar leaf of the answer (a string or number, not a boolean),
 * written as Python's `str()`, must appear in the content the run actually fetched (the `html`,
 * `text` and `content` of its `data.source.fetched` events, joined by newlines), case-folded,
 * whitespace-collapsed and on token boundaries.
 *
 * @example
 * ```ts
 * import { GroundingValidator } from "./grounding.ts";
 * const events = [{ type: "data.source.fetched", payload: { text: "Opens 08:30 daily" } }];
 * const v = new GroundingValidator();
 * console.assert(v.check({ opens: "08:30" }, { events } as never) === null);
 * console.assert(v.check({ opens: "8:30" }, { events } as never)?.severity === "retry");
 * ```
 * @module
 */
import type { Verdict } from "../../core/contracts.ts";
import { SOURCE_FETCHED } from "../../core/events.ts";
import { isPyFloat } from "../../core/json.ts";
import type { RunContext, Validator } from "../../core/types.ts";
import { pyStrScalar } from "../../core/python/mod.ts";

// Python's str.isspace() set (JS \s also matches U+FEFF and misses U+001C..U+001F, U+0085).
// deno-lint-ignore no-control-regex
const WS = /[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;
const ALNUM = /^[\p{L}\p{N}]$/u;
const DIGIT = /^\p{Nd}$/u;
const SEPARATORS = new Set([".", ",", "-", "/", ":"]);

/** Python's `casefold()` approximated by lower-casing plus the common full foldings. */
export function casefold(s: string): string {
  return s.toLowerCase().replace(/ß/g, "ss").replace(/ς/g, "σ").replace(/ﬁ/g, "fi")
    .replace(/ﬂ/g, "fl");
}

/** Case-folded, whitespace runs collapsed to one space, trimmed. */
export function normalizeForGrounding(s: string): string {
  return casefold(s).replace(WS, " ").trim();
}

function charsOf(s: string): string[] {
  return Array.from(s);
}

/**
 * True when `needle` occurs in `hay` (both normalised, as code-point arrays) with neither flank
 * alphanumeric and no `. , - / :` separator followed by a digit on either outer side.
 */
export function occursOnBoundary(hay: readonly string[], needle: readonly string[]): boolean {
  const n = needle.length;
  if (n === 0) return true;
  outer: for (let i = 0; i + n <= hay.length; i++) {
    for (let k = 0; k < n; k++) if (hay[i + k] !== needle[k]) continue outer;
    const before = hay[i - 1];
    const after = hay[i + n];
    if (before !== undefined && ALNUM.test(before)) continue;
    if (after !== undefined && ALNUM.test(after)) continue;
    const before2 = hay[i - 2];
    if (
      before !== undefined && SEPARATORS.has(before) && before2 !== undefined &&
      DIGIT.test(before2)
    ) continue;
    const after2 = hay[i + n + 1];
    if (
      after !== undefined && SEPARATORS.has(after) && after2 !== undefined && DIGIT.test(after2)
    ) {
      continue;
    }
    return true;
  }
  return false;
}

/** The run's grounding corpus: html, text, content of every data.source.fetched, joined by "\n". */
export function groundingCorpus(events: RunContext["events"]): string {
  const parts: string[] = [];
  for (const e of events) {
    if (e.type !== SOURCE_FETCHED) continue;
    for (const k of ["html", "text", "content"]) {
      const v = e.payload[k];
      if (typeof v === "string") parts.push(v);
    }
  }
  return parts.join("\n");
}

/** Scalar leaves `[key, str(value)]` in document order (bools and nulls are skipped). */
export function scalarLeaves(value: unknown, key = ""): [string, string][] {
  if (typeof value === "boolean" || value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v) => scalarLeaves(v, key));
  if (typeof value === "object" && !isPyFloat(value)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => scalarLeaves(v, k));
  }
  const s = pyStrScalar(value);
  return s === null ? [] : [[key, s]];
}

/** Retries when a scalar of the answer is not found in the fetched content. */
export class GroundingValidator implements Validator {
  /** Registry name. */
  readonly name = "grounding";

  /** Returns retry naming the first ungrounded key, else null. */
  check(value: Record<string, unknown>, ctx: RunContext): Verdict | null {
    const hay = charsOf(normalizeForGrounding(groundingCorpus(ctx.events)));
    for (const [key, s] of scalarLeaves(value)) {
      const needle = charsOf(normalizeForGrounding(s));
      if (needle.length === 0) continue;
      if (!occursOnBoundary(hay, needle)) {
        return {
          severity: "retry",
          detector: this.name,
          detail: `value for '${key}' not found in retrieved content`,
        };
      }
    }
    return null;
  }
}
