/**
 * Finding a run's placeholders wherever a request could carry them: in the text as sent,
 * percent-encoded (any case, partially encoded, or twice), JSON-escaped (`\u005f`, `\/`), those
 * composed, as base64 (any alignment, standard or url-safe alphabet) and inside an
 * `Authorization: Basic` credential (decoded). {@link PlaceholderStreamScanner} does the same
 * over a body that arrives in pieces: it holds back enough bytes between chunks that a
 * placeholder split across TCP writes or chunk boundaries is still found.
 *
 * The interceptor blocks a request that carries a placeholder of a secret not eligible for its
 * destination; a compressed body (`Content-Encoding` other than identity) is scanned as sent,
 * never decompressed and never substituted.
 *
 * @example
 * ```ts
 * import { PlaceholderSet } from "./placeholder.ts";
 * import { findPlaceholders } from "./placeholder_scan.ts";
 * const set = new PlaceholderSet();
 * const ph = set.add("GH");
 * const hits = findPlaceholders(`{"t":"${ph.replaceAll("_", "\\u005f")}"}`, set);
 * console.assert(hits.length === 1 && hits[0]!.secret === "GH" && hits[0]!.form === "json");
 * ```
 * @module
 */
import type { PlaceholderSet } from "./placeholder.ts";
import { base64Cores, findInViews, latin1, textViews } from "./_text_views.ts";

/** One placeholder found, and the form it was in. */
export interface PlaceholderHit {
  /** The secret it stands for. */
  secret: string;
  /** The placeholder. */
  placeholder: string;
  /** `raw`, `percent`, `json`, a composition such as `percent+json`, `base64` or `basic`. */
  form: string;
}

/** Bytes a placeholder may take per character in its longest form (`%5Cu005f`). */
export const MAX_ENCODED_FACTOR = 8;

function needlesOf(set: PlaceholderSet): { names: string[]; needles: string[] } {
  const names: string[] = [];
  const needles: string[] = [];
  for (const [name, ph] of set.entries()) {
    names.push(name);
    needles.push(ph);
  }
  return { names, needles };
}

function dedupe(hits: PlaceholderHit[]): PlaceholderHit[] {
  const seen = new Set<string>();
  return hits.filter((h) => {
    const key = `${h.secret}\u0000${h.form}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function scanText(text: string, set: PlaceholderSet): PlaceholderHit[] {
  const { names, needles } = needlesOf(set);
  if (needles.length === 0) return [];
  const views = textViews(text);
  const hits: PlaceholderHit[] = findInViews(views, needles).map((m) => ({
    secret: names[m.needle]!,
    placeholder: needles[m.needle]!,
    form: m.form,
  }));
  // base64 (a Basic credential in a body, a token wrapped by a tool) in the raw and decoded views
  needles.forEach((ph, i) => {
    const cores = base64Cores(ph);
    if (findInViews(views, cores).length > 0) {
      hits.push({ secret: names[i]!, placeholder: ph, form: "base64" });
    }
  });
  return dedupe(hits);
}

/**
 * Every placeholder of `set` in `input` (text, or bytes read as Latin-1), once per secret and
 * form.
 *
 * @example
 * ```ts
 * import { PlaceholderSet } from "./placeholder.ts";
 * import { findPlaceholders } from "./placeholder_scan.ts";
 * const set = new PlaceholderSet();
 * const ph = set.add("A");
 * console.assert(findPlaceholders(`/x?t=${ph.replace("_", "%5f")}`, set)[0]!.form === "percent");
 * console.assert(findPlaceholders("nothing here", set).length === 0);
 * ```
 */
export function findPlaceholders(
  input: string | Uint8Array,
  set: PlaceholderSet,
): PlaceholderHit[] {
  return scanText(typeof input === "string" ? input : latin1(input), set);
}

/** The decoded text of a `Basic <base64>` credential, or null when `value` is not one. */
export function decodeBasic(value: string): string | null {
  const m = /^\s*basic\s+([A-Za-z0-9+/_=-]+)\s*$/i.exec(value);
  if (m === null) return null;
  try {
    return atob(m[1]!.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return null;
  }
}

/**
 * Every placeholder of `set` in header lines (names and values), a `Basic` credential also
 * decoded (form `basic`, or `basic+percent` ...).
 *
 * @example
 * ```ts
 * import { PlaceholderSet } from "./placeholder.ts";
 * import { findInHeaders } from "./placeholder_scan.ts";
 * const set = new PlaceholderSet();
 * const ph = set.add("A");
 * const hits = findInHeaders([["Authorization", `Basic ${btoa(`x:${ph}`)}`]], set);
 * console.assert(hits.some((h) => h.form === "basic"));
 * ```
 */
export function findInHeaders(
  headers: readonly [string, string][],
  set: PlaceholderSet,
): PlaceholderHit[] {
  const hits: PlaceholderHit[] = [];
  for (const [name, value] of headers) {
    hits.push(...scanText(`${name}: ${value}`, set));
    const basic = decodeBasic(value);
    if (basic !== null) {
      for (const h of scanText(basic, set)) {
        hits.push({ ...h, form: h.form === "raw" ? "basic" : `basic+${h.form}` });
      }
    }
  }
  return dedupe(hits);
}

/**
 * Scans a body chunk by chunk: each chunk is scanned together with the tail of the previous
 * ones (`MAX_ENCODED_FACTOR × maxLen − 1` bytes held back), so a placeholder in any form split
 * across chunks is found once it is complete.
 *
 * @example
 * ```ts
 * import { PlaceholderSet } from "./placeholder.ts";
 * import { PlaceholderStreamScanner } from "./placeholder_scan.ts";
 * const set = new PlaceholderSet();
 * const ph = new TextEncoder().encode(set.add("A"));
 * const scan = new PlaceholderStreamScanner(set);
 * console.assert(scan.push(ph.subarray(0, 7)).length === 0);
 * console.assert(scan.push(ph.subarray(7)).length === 1);
 * ```
 */
export class PlaceholderStreamScanner {
  #set: PlaceholderSet;
  #tail = "";
  #hold: number;
  #seen = new Set<string>();
  /** Every hit so far. */
  readonly hits: PlaceholderHit[] = [];

  constructor(set: PlaceholderSet) {
    this.#set = set;
    this.#hold = Math.max(0, MAX_ENCODED_FACTOR * set.maxLength - 1);
  }

  /** Scans one more chunk; returns the hits not reported before. */
  push(chunk: Uint8Array): PlaceholderHit[] {
    const window = this.#tail + latin1(chunk);
    this.#tail = window.slice(Math.max(0, window.length - this.#hold));
    const fresh = scanText(window, this.#set).filter((h) => {
      const key = `${h.secret}\u0000${h.form}`;
      if (this.#seen.has(key)) return false;
      this.#seen.add(key);
      return true;
    });
    this.hits.push(...fresh);
    return fresh;
  }
}
