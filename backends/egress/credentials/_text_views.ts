/**
 * Decoded views of a Latin-1 text with a map back to the source (private): the text as sent,
 * percent-decoded (any case, partial encodings too), JSON-unescaped, and the two composed both
 * ways (and percent twice), so a needle can be found in any of those forms and its source range
 * replaced. Plus the base64 "cores" of a needle: the characters of its base64 encoding that do
 * not depend on the bytes around it, for each of the three alignments, in both alphabets.
 * @module
 */

/** One decoded view: `start[i]`..`end[i]` is the source range decoded character `i` came from. */
export interface TextView {
  /** The form's name (`raw`, `percent`, `json`, `percent+json`, ...). */
  form: string;
  /** The decoded text. */
  text: string;
  /** Source start per decoded character (absent for `raw`: the identity). */
  start?: number[];
  /** Source end (exclusive) per decoded character. */
  end?: number[];
}

/** Where a needle was found: its source range and form. */
export interface ViewMatch {
  /** Index of the needle in the list searched for. */
  needle: number;
  /** The view's form. */
  form: string;
  /** Source start. */
  from: number;
  /** Source end (exclusive). */
  to: number;
}

const HEX = /^[0-9a-fA-F]{2}$/;

function percentDecode(src: string): TextView | null {
  if (!src.includes("%")) return null;
  let text = "";
  const start: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < src.length;) {
    if (src[i] === "%" && HEX.test(src.slice(i + 1, i + 3))) {
      text += String.fromCharCode(parseInt(src.slice(i + 1, i + 3), 16));
      start.push(i);
      end.push(i + 3);
      i += 3;
    } else {
      text += src[i];
      start.push(i);
      end.push(i + 1);
      i++;
    }
  }
  return { form: "percent", text, start, end };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

function jsonUnescape(src: string): TextView | null {
  if (!src.includes("\\")) return null;
  let text = "";
  const start: number[] = [];
  const end: number[] = [];
  const push = (chars: string, from: number, to: number) => {
    for (const c of chars) {
      text += c;
      start.push(from);
      end.push(to);
    }
  };
  for (let i = 0; i < src.length;) {
    const next = src[i + 1];
    if (src[i] === "\\" && next !== undefined) {
      if (next === "u" && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
        const code = parseInt(src.slice(i + 2, i + 6), 16);
        // Latin-1 text: a code unit above 0xff stands for its UTF-8 bytes.
        const chars = code <= 0xff
          ? String.fromCharCode(code)
          : String.fromCharCode(...new TextEncoder().encode(String.fromCharCode(code)));
        push(chars, i, i + 6);
        i += 6;
        continue;
      }
      const simple = SIMPLE_ESCAPES[next];
      if (simple !== undefined) {
        push(simple, i, i + 2);
        i += 2;
        continue;
      }
    }
    push(src[i]!, i, i + 1);
    i++;
  }
  return { form: "json", text, start, end };
}

function compose(outer: TextView, inner: TextView): TextView {
  // `inner` decodes `outer.text`; map its ranges through `outer` back to the source.
  const start = inner.start!.map((s) => outer.start![s]!);
  const end = inner.end!.map((e) => outer.end![e - 1]!);
  return { form: `${outer.form}+${inner.form}`, text: inner.text, start, end };
}

/** The raw text and every decoded view that differs from it. */
export function textViews(src: string): TextView[] {
  const out: TextView[] = [{ form: "raw", text: src }];
  const pct = percentDecode(src);
  const json = jsonUnescape(src);
  if (pct) {
    out.push(pct);
    const twice = percentDecode(pct.text);
    if (twice) out.push(compose(pct, { ...twice, form: "percent" }));
    const pj = jsonUnescape(pct.text);
    if (pj) out.push(compose(pct, pj));
  }
  if (json) {
    out.push(json);
    const jp = percentDecode(json.text);
    if (jp) out.push(compose(json, jp));
  }
  return out;
}

/** Every occurrence of every needle in every view, as source ranges (views in order). */
export function findInViews(views: TextView[], needles: readonly string[]): ViewMatch[] {
  const out: ViewMatch[] = [];
  for (const v of views) {
    needles.forEach((needle, n) => {
      if (needle === "") return;
      for (let at = v.text.indexOf(needle); at >= 0; at = v.text.indexOf(needle, at + 1)) {
        const last = at + needle.length - 1;
        const from = v.start ? v.start[at]! : at;
        const to = v.end ? v.end[last]! : last + 1;
        out.push({ needle: n, form: v.form, from, to });
      }
    });
  }
  return out;
}

const STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function coreAt(needle: string, a: number): string {
  const all = [...new Array(a).fill(0), ...[...needle].map((c) => c.charCodeAt(0) & 0xff)];
  let bits = "";
  for (const b of all) bits += b.toString(2).padStart(8, "0");
  const firstChar = Math.ceil((8 * a) / 6);
  const lastChar = Math.floor((8 * all.length) / 6); // exclusive
  let core = "";
  for (let c = firstChar; c < lastChar; c++) {
    core += STD[parseInt(bits.slice(6 * c, 6 * c + 6), 2)];
  }
  return core;
}

const urlSafe = (core: string) => core.replaceAll("+", "-").replaceAll("/", "_");

/**
 * The base64 cores of `needle` (Latin-1): for alignments 0, 1 and 2, the characters of the
 * encoding that only the needle's bytes determine; in the standard and the url-safe alphabet.
 * Cores shorter than 8 characters are left out.
 */
export function base64Cores(needle: string): string[] {
  return base64CorePairs(needle, needle).map(([core]) => core);
}

/**
 * `[core of needle, core of replacement]` pairs of equal length per alignment and alphabet:
 * the replacement is cut or padded with `_` to the needle's length first, so the swap keeps a
 * base64 text decodable.
 */
export function base64CorePairs(needle: string, replacement: string): [string, string][] {
  const fill = replacement.slice(0, needle.length).padEnd(needle.length, "_");
  const pairs = new Map<string, string>();
  for (let a = 0; a < 3; a++) {
    const core = coreAt(needle, a);
    if (core.length < 8) continue;
    const swap = coreAt(fill, a);
    pairs.set(core, swap);
    pairs.set(urlSafe(core), urlSafe(swap));
  }
  return [...pairs];
}

/** Latin-1 text of bytes (one character per byte). */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

/** Bytes of Latin-1 text. */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** A UTF-8 string as Latin-1 text (its bytes, one character each). */
export function utf8AsLatin1(text: string): string {
  return latin1(new TextEncoder().encode(text));
}
