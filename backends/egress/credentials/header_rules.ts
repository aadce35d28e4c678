/**
 * Header rules of the intercepted leg: `inject` templates (`Authorization: Bearer
 * {{secret:GH}}`) that replace any same-named header the client sent (case-insensitively, never
 * duplicating it), placeholder substitution in header values and inside a `Basic` credential
 * (decode, replace, re-encode), and the headers that never go upstream (`Proxy-Authorization`
 * and the hop-by-hop set).
 *
 * Header lines are Latin-1 text (one character per byte, as on the wire); secret values are
 * given as that text too (`utf8AsLatin1`), and a value holding CR, LF or NUL is refused.
 *
 * @example
 * ```ts
 * import { applyInject, parseInjectTemplate } from "./header_rules.ts";
 * const t = parseInjectTemplate("Authorization: Bearer {{secret:GH}}");
 * const out = applyInject([["authorization", "Bearer mine"], ["Accept", "*\/*"]], [t], new Map([["GH", "v"]]));
 * console.assert(out.filter(([k]) => k.toLowerCase() === "authorization").length === 1);
 * console.assert(out.find(([k]) => k === "Authorization")![1] === "Bearer v");
 * ```
 * @module
 */
import { decodeBasic } from "./placeholder_scan.ts";
import type { PlaceholderSet } from "./placeholder.ts";

/** One parsed inject template. */
export interface InjectTemplate {
  /** Header name as written. */
  name: string;
  /** Value text with `{{secret:NAME}}` references. */
  value: string;
  /** The secrets it references, in order, without repeats. */
  secrets: string[];
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REF = /\{\{\s*secret:([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/g;

/** Header names that are never forwarded on the intercepted leg (lower-case). */
export const DROPPED_HEADERS: ReadonlySet<string> = new Set([
  "proxy-authorization",
  "proxy-connection",
  "proxy-authenticate",
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
]);

/**
 * Parses `Name: text {{secret:NAME}} text`. Throws `SyntaxError` when the name is not a header
 * token, the value holds CR/LF, or no secret is referenced.
 *
 * @example
 * ```ts
 * import { parseInjectTemplate } from "./header_rules.ts";
 * console.assert(parseInjectTemplate("x-api-key: {{secret:K}}").secrets[0] === "K");
 * ```
 */
export function parseInjectTemplate(text: string): InjectTemplate {
  const colon = text.indexOf(":");
  const name = colon > 0 ? text.slice(0, colon).trim() : "";
  const value = colon > 0 ? text.slice(colon + 1).trim() : "";
  if (!TOKEN.test(name)) {
    throw new SyntaxError(`Cannot use header template "${text}": "Name: value" expected`);
  }
  if (/[\r\n\0]/.test(value)) {
    throw new SyntaxError(`Cannot use header template for "${name}": the value has a line break`);
  }
  if (DROPPED_HEADERS.has(name.toLowerCase()) || name.toLowerCase() === "host") {
    throw new SyntaxError(`Cannot use header template for "${name}": that header is not settable`);
  }
  const secrets = [...new Set([...value.matchAll(REF)].map((m) => m[1]!))];
  if (secrets.length === 0) {
    throw new SyntaxError(
      `Cannot use header template for "${name}": it names no secret ("{{secret:NAME}}")`,
    );
  }
  return { name, value, secrets };
}

/** Whether a secret value can go into a header (no CR, LF or NUL). */
export function headerSafe(value: string): boolean {
  return !/[\r\n\0]/.test(value);
}

/** The template's value with each reference replaced by its secret's value. */
export function renderTemplate(t: InjectTemplate, values: ReadonlyMap<string, string>): string {
  return t.value.replace(REF, (_, name: string) => {
    const v = values.get(name);
    if (v === undefined || !headerSafe(v)) {
      throw new RangeError(
        `Cannot render header "${t.name}": secret "${name}" has no usable value`,
      );
    }
    return v;
  });
}

/**
 * `headers` with every template applied: each same-named header (any case) is removed and the
 * rendered one takes the first one's place (or goes last).
 */
export function applyInject(
  headers: readonly [string, string][],
  templates: readonly InjectTemplate[],
  values: ReadonlyMap<string, string>,
): [string, string][] {
  let out = headers.map(([k, v]) => [k, v] as [string, string]);
  for (const t of templates) {
    const lower = t.name.toLowerCase();
    const at = out.findIndex(([k]) => k.toLowerCase() === lower);
    out = out.filter(([k]) => k.toLowerCase() !== lower);
    const line: [string, string] = [t.name, renderTemplate(t, values)];
    if (at >= 0) out.splice(at, 0, line);
    else out.push(line);
  }
  return out;
}

function replaceAllOf(text: string, swaps: readonly [string, string][]): [string, boolean] {
  let changed = false;
  for (const [from, to] of swaps) {
    if (text.includes(from)) {
      text = text.split(from).join(to);
      changed = true;
    }
  }
  return [text, changed];
}

/**
 * Replaces the placeholders of `secrets` (and only those) by their values in header values and
 * inside a `Basic` credential (decoded, replaced, re-encoded). Returns the new lines and the
 * secrets that were substituted.
 *
 * @example
 * ```ts
 * import { PlaceholderSet } from "./placeholder.ts";
 * import { substituteHeaders } from "./header_rules.ts";
 * const set = new PlaceholderSet();
 * const ph = set.add("A");
 * const r = substituteHeaders([["Authorization", `Basic ${btoa(`u:${ph}`)}`]], set, new Map([["A", "real"]]));
 * console.assert(r.headers[0]![1] === `Basic ${btoa("u:real")}` && r.used.has("A"));
 * ```
 */
export function substituteHeaders(
  headers: readonly [string, string][],
  set: PlaceholderSet,
  values: ReadonlyMap<string, string>,
): { headers: [string, string][]; used: Set<string> } {
  const used = new Set<string>();
  const swapsFor = (text: string): [string, string][] => {
    const swaps: [string, string][] = [];
    for (const [name, value] of values) {
      const ph = set.placeholderOf(name);
      if (ph !== undefined && text.includes(ph) && headerSafe(value)) {
        swaps.push([ph, value]);
        used.add(name);
      }
    }
    return swaps;
  };
  const out = headers.map(([k, v]): [string, string] => {
    const basic = decodeBasic(v);
    if (basic !== null) {
      const [decoded, changed] = replaceAllOf(basic, swapsFor(basic));
      if (changed) return [k, `Basic ${btoa(decoded)}`];
    }
    return [k, replaceAllOf(v, swapsFor(v))[0]];
  });
  return { headers: out, used };
}

/** `headers` without the lines in {@link DROPPED_HEADERS} and those `Connection` names. */
export function dropHopHeaders(headers: readonly [string, string][]): [string, string][] {
  const named = new Set<string>();
  for (const [k, v] of headers) {
    if (k.toLowerCase() === "connection") {
      for (const t of v.split(",")) named.add(t.trim().toLowerCase());
    }
  }
  return headers.filter(([k]) => {
    const l = k.toLowerCase();
    return !DROPPED_HEADERS.has(l) && !named.has(l);
  }).map(([k, v]) => [k, v]);
}
