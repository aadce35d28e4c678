/**
 * JSON with zu's number semantics.
 *
 * zu is Python: an int and a float are different values (`3` is not `3.0`), and ints have no size
 * limit. JavaScript has one number type, so reading zu's logs with plain `JSON.parse` would lose
 * both facts and change the hash of an event. This module keeps them:
 *
 * - {@link parseJson} reads a float whose value is integral (`3.0`, `1e+16`) as a frozen
 *   {@link PyFloat}, and an integer beyond 2^53 as a `bigint`. Every other number stays a plain
 *   `number` (a non-integral number is always a float; an integral one is an int).
 * - {@link zuJson} / {@link toZuJson} write values the way Pydantic's `model_dump_json()` does
 *   (compact, raw UTF-8, floats as `1e-7`, `3.0`).
 *
 * @example
 * ```ts
 * import { parseJson, zuJson, PyFloat } from "./json.ts";
 * const v = parseJson('{"ratio":3.0,"big":9007199254740993,"tiny":1e-7}') as Record<string, unknown>;
 * console.assert(v.ratio instanceof PyFloat && typeof v.big === "bigint");
 * console.assert(zuJson(v) === '{"ratio":3.0,"big":9007199254740993,"tiny":1e-7}');
 * ```
 * @module
 */
import {
  cyclicError,
  isPlainObject,
  keyCache,
  notFiniteError,
  notJsonError,
  notPlainError,
} from "./_json_util.ts";
import { type Event, EVENT_FIELDS } from "./events.ts";

/**
 * A float whose value happens to be integral (`3.0`), kept apart from the int `3`. Behaves as a
 * number in arithmetic (`valueOf`) and in `JSON.stringify` (`toJSON`).
 */
export class PyFloat {
  /** The numeric value. */
  readonly value: number;
  /** Wraps `value` (any finite number) as a Python float. */
  constructor(value: number) {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new TypeError(`Cannot make a float of "${String(value)}": it must be a finite number`);
    }
    this.value = value;
    Object.freeze(this);
  }
  /** The numeric value (so `+f` and `f * 2` work). */
  valueOf(): number {
    return this.value;
  }
  /** The numeric value, for `JSON.stringify`. */
  toJSON(): number {
    return this.value;
  }
  /** Python's `repr` of the float (`3.0`). */
  toString(): string {
    return pythonFloatRepr(this.value);
  }
}

/**
 * Marks a number as a Python float, so it is written `3.0` rather than `3`. Non-integral numbers
 * are floats anyway and are returned unchanged.
 *
 * @example
 * ```ts
 * import { pyFloat, zuJson } from "./json.ts";
 * console.assert(zuJson({ elapsed: pyFloat(2) }) === '{"elapsed":2.0}');
 * ```
 */
export function pyFloat(value: number): number | PyFloat {
  if (Number.isInteger(value) || Object.is(value, -0)) return new PyFloat(value);
  return value;
}

/** True when `value` is a {@link PyFloat}. */
export function isPyFloat(value: unknown): value is PyFloat {
  return value instanceof PyFloat;
}

/** The numeric value of a JSON number of either representation (`number`, `PyFloat`, `bigint`). */
export function numberValue(value: number | PyFloat | bigint): number {
  return typeof value === "number" ? value : Number(value instanceof PyFloat ? value.value : value);
}

/** True when the number token `text[start, end)` would lose zu's meaning under plain JSON.parse. */
function ambiguousNumber(text: string, start: number, end: number): boolean {
  let i = start;
  if (text.charCodeAt(i) === 45) i++; // -
  const intStart = i;
  while (i < end && isDigit(text.charCodeAt(i))) i++;
  if (i - intStart >= 16) return true; // maybe beyond 2^53
  if (i < end && text.charCodeAt(i) === 46) { // .
    i++;
    const fracStart = i;
    let allZero = true;
    while (i < end && isDigit(text.charCodeAt(i))) {
      if (text.charCodeAt(i) !== 48) allZero = false;
      i++;
    }
    if (allZero || i - fracStart >= 16) return true; // integral float, or may round to one
  }
  return i < end; // an exponent follows
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isNumberChar(c: number): boolean {
  return isDigit(c) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;
}

// Where a JSON number can start: every value inside an array follows "[" or ",", inside an object
// ":" (JSON whitespace between). One native regex scan finds them all; matches inside string
// literals are harmless extra checks (at worst a needless, still exact, reviver pass).
const NUMBER_START = /[:,[]\s*-?\d/g;

/** The number token starting at `start` is ambiguous under plain JSON.parse. */
function ambiguousAt(text: string, start: number): boolean {
  let end = start + 1;
  while (end < text.length && isNumberChar(text.charCodeAt(end))) end++;
  return ambiguousNumber(text, start, end);
}

/**
 * True when plain `JSON.parse` would lose a float-vs-int or a big-int distinction in the JSON
 * `text` from `from` on: some number token there is written as an integral float (`3.0`,
 * `1e5`), has 16 or more digits, or (as a false positive) such a token appears inside a string.
 * Never false when a number token needs the reviver.
 */
export function needsReviver(text: string, from = 0): boolean {
  if (from === 0) {
    // A top-level number follows nothing.
    let i = 0;
    while (i < text.length && text.charCodeAt(i) <= 32) i++;
    const c = text.charCodeAt(i);
    if ((c === 45 || isDigit(c)) && ambiguousAt(text, i)) return true;
  }
  const re = NUMBER_START;
  re.lastIndex = from;
  while (re.test(text)) {
    let start = re.lastIndex - 1;
    if (text.charCodeAt(start - 1) === 45) start--;
    if (ambiguousAt(text, start)) {
      re.lastIndex = 0;
      return true;
    }
  }
  return false;
}

function reviver(this: unknown, _key: string, value: unknown, context?: { source?: string }) {
  if (typeof value !== "number") return value;
  const source = context?.source;
  if (source === undefined) return value;
  if (/[.eE]/.test(source)) {
    return Number.isInteger(value) || Object.is(value, -0) ? new PyFloat(value) : value;
  }
  if (!Number.isSafeInteger(value)) return BigInt(source);
  return value;
}

// JSON.parse's reviver with the (newer) third `context` argument, typed as the lib expects.
const REVIVER = reviver as unknown as (this: unknown, key: string, value: unknown) => unknown;

/**
 * Parses JSON text keeping zu's number semantics: integral floats become {@link PyFloat},
 * integers beyond 2^53 become `bigint`. Throws `SyntaxError` on malformed text.
 *
 * @example
 * ```ts
 * import { parseJson } from "./json.ts";
 * console.assert(JSON.stringify(parseJson("[1, 2.5]")) === "[1,2.5]");
 * ```
 */
export function parseJson(text: string): unknown {
  if (!needsReviver(text)) return JSON.parse(text);
  return JSON.parse(text, REVIVER);
}

// ------------------------------------------------------------------ float formatting

function digitsAndExponent(x: number): [string, number] {
  // toExponential() without an argument gives the shortest round-trip digits, as Python's repr.
  const s = Math.abs(x).toExponential();
  const at = s.indexOf("e");
  const digits = s.slice(0, at).replace(".", "");
  return [digits, Number(s.slice(at + 1))];
}

function formatFloat(x: number, padExponent: boolean): string {
  if (!Number.isFinite(x)) {
    throw new TypeError(`Cannot write "${String(x)}" as JSON: it is not a finite number`);
  }
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [d, e] = digitsAndExponent(x);
  if (e >= -4 && e < 16) {
    if (e >= 0) {
      const intPart = d.length > e + 1 ? d.slice(0, e + 1) : d.padEnd(e + 1, "0");
      const frac = d.length > e + 1 ? d.slice(e + 1) : "0";
      return `${sign}${intPart}.${frac}`;
    }
    return `${sign}0.${"0".repeat(-e - 1)}${d}`;
  }
  const mantissa = d.length > 1 ? `${d[0]}.${d.slice(1)}` : d;
  const abs = Math.abs(e);
  const exp = padExponent && abs < 10 ? `0${abs}` : String(abs);
  return `${sign}${mantissa}e${e < 0 ? "-" : "+"}${exp}`;
}

/**
 * Python's `repr(float)`: `3.0`, `0.5`, `1e-07`, `1e+16`, `0.0001`.
 *
 * @example
 * ```ts
 * import { pythonFloatRepr } from "./json.ts";
 * console.assert(pythonFloatRepr(1e-7) === "1e-07" && pythonFloatRepr(3) === "3.0");
 * ```
 */
export function pythonFloatRepr(x: number): string {
  return formatFloat(x, true);
}

/**
 * A float as Pydantic's `model_dump_json()` writes it: like Python's repr but with an unpadded
 * exponent (`1e-7`, `1e+16`).
 */
export function pydanticFloatRepr(x: number): string {
  return formatFloat(x, false);
}

// ------------------------------------------------------------------ Pydantic-style writer

/** Writes one JSON number of zu: ints in full, floats the Pydantic way. */
function zuNumber(v: number, path: string | null): string {
  if (!Number.isFinite(v)) throw notFiniteError(path, v);
  if (Number.isInteger(v)) {
    return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
  }
  return pydanticFloatRepr(v);
}

const quoteKey = keyCache((k) => JSON.stringify(k));

// `path` is null on the fast first pass; a failure is redone with paths for the message.
function writeZu(v: unknown, path: string | null, stack: object[]): string {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "number":
      return zuNumber(v, path);
    case "boolean":
      return v ? "true" : "false";
    case "bigint":
      return v.toString();
    case "object": {
      if (v === null) return "null";
      if (v instanceof PyFloat) return pydanticFloatRepr(v.value);
      if (stack.includes(v)) throw cyclicError(path);
      stack.push(v);
      let out: string;
      if (Array.isArray(v)) {
        out = "[";
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out += ",";
          out += writeZu(v[i], path === null ? null : `${path}[${i}]`, stack);
        }
        out += "]";
      } else if (isPlainObject(v)) {
        out = "{";
        let first = true;
        const rec = v as Record<string, unknown>;
        for (const k in rec) {
          if (!Object.hasOwn(rec, k)) continue;
          const item = rec[k];
          if (item === undefined) continue;
          if (!first) out += ",";
          first = false;
          out += quoteKey(k) + ":" + writeZu(item, path === null ? null : `${path}.${k}`, stack);
        }
        out += "}";
      } else {
        throw notPlainError(path, v);
      }
      stack.pop();
      return out;
    }
    default:
      throw notJsonError(path, v);
  }
}

/**
 * Writes a JSON value the way Pydantic's `model_dump_json()` does: compact, keys in insertion
 * order, non-ASCII as raw UTF-8, ints in full, floats as `3.0` / `1e-7`. Throws `TypeError`
 * naming the path of a value that is not JSON (a function, a `Map`, a non-finite number, a cycle).
 *
 * @example
 * ```ts
 * import { zuJson } from "./json.ts";
 * console.assert(zuJson({ t: "é", n: [1, 0.5] }) === '{"t":"é","n":[1,0.5]}');
 * ```
 */
export function zuJson(value: unknown): string {
  return withPaths((p) => writeZu(value, p, []));
}

function withPaths(fn: (path: string | null) => string): string {
  try {
    return fn(null);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    return fn("");
  }
}

/** zu's field order (one list, in `events.ts`). */
// A plain (unfrozen) copy: the hot loops below index it per field.
const FIELD_ORDER: readonly (keyof Event)[] = [...EVENT_FIELDS];

/**
 * An event as zu's `model_dump_json()` writes it: the twelve fields in zu's order.
 *
 * @example
 * ```ts
 * import { toZuJson } from "./json.ts";
 * import { newEvent } from "./events.ts";
 * const e = newEvent({ task_id: "t", type: "harness.turn.started", payload: { step: 1 } });
 * console.assert(toZuJson(e).startsWith('{"event_id":'));
 * ```
 */
export function toZuJson(event: Event): string {
  const fast = toZuJsonFast(event as unknown as Record<string, unknown>);
  if (fast !== null) return fast;
  const rec = event as unknown as Record<string, unknown>;
  return withPaths((path) => {
    let out = "{";
    for (let i = 0; i < FIELD_ORDER.length; i++) {
      const k = FIELD_ORDER[i]!;
      const v = rec[k];
      out += (i === 0 ? '"' : ',"') + k + '":' +
        writeZu(v === undefined ? null : v, path === null ? null : `.${k}`, []);
    }
    return out + "}";
  });
}

/**
 * True when `JSON.stringify(v)` writes exactly what {@link zuJson} writes: plain objects and
 * arrays (no cycles, at most 64 deep), strings, booleans, null and safe integers only. Floats,
 * `PyFloat`, `bigint`, class instances, functions and `undefined` in arrays take the general
 * writer (which formats floats the Pydantic way and names the path of a bad value).
 */
function isPlainJson(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isSafeInteger(v);
    case "object": {
      if (v === null) return true;
      if (depth > 64) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const x = v[i];
          if (x === undefined || !isPlainJson(x, depth + 1)) return false;
        }
        return true;
      }
      if (!isPlainObject(v)) return false;
      const rec = v as Record<string, unknown>;
      for (const k in rec) {
        if (!Object.hasOwn(rec, k)) return false;
        const x = rec[k];
        if (x !== undefined && !isPlainJson(x, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function envelopeString(v: unknown): string | null {
  if (typeof v === "string") return JSON.stringify(v);
  return v === null || v === undefined ? "null" : null;
}

/**
 * {@link toZuJson} of an event whose fields are strings/null, whose `schema_version` is a safe
 * integer and whose payload {@link isPlainJson}: one `JSON.stringify` of the payload (the same
 * bytes as the general writer, several times faster). Null when the event needs the general
 * writer.
 */
function toZuJsonFast(e: Record<string, unknown>): string | null {
  const payload = e.payload;
  const version = e.schema_version;
  if (
    payload === null || typeof payload !== "object" || !Number.isSafeInteger(version) ||
    !isPlainJson(payload, 0)
  ) return null;
  const eventId = envelopeString(e.event_id);
  const traceId = envelopeString(e.trace_id);
  const taskId = envelopeString(e.task_id);
  const parentId = envelopeString(e.parent_id);
  const type = envelopeString(e.type);
  const ts = envelopeString(e.ts);
  const source = envelopeString(e.source);
  const prevHash = envelopeString(e.prev_hash);
  const hash = envelopeString(e.hash);
  const sig = envelopeString(e.sig);
  if (
    eventId === null || traceId === null || taskId === null || parentId === null ||
    type === null || ts === null || source === null || prevHash === null || hash === null ||
    sig === null
  ) return null;
  return '{"event_id":' + eventId + ',"trace_id":' + traceId + ',"task_id":' + taskId +
    ',"parent_id":' + parentId + ',"type":' + type + ',"ts":' + ts + ',"source":' + source +
    ',"payload":' + JSON.stringify(payload) + ',"schema_version":' + String(version) +
    ',"prev_hash":' + prevHash + ',"hash":' + hash + ',"sig":' + sig + "}";
}

/** True when `o` already has exactly the twelve fields, in zu's order, with usable types. */
function isExactEvent(o: Record<string, unknown>): boolean {
  let i = 0;
  for (const k in o) {
    if (FIELD_ORDER[i] !== k) return false;
    i++;
  }
  return i === FIELD_ORDER.length && typeof o.schema_version === "number" &&
    (o.parent_id === null || typeof o.parent_id === "string") &&
    (o.prev_hash === null || typeof o.prev_hash === "string") &&
    (o.hash === null || typeof o.hash === "string") &&
    (o.sig === null || typeof o.sig === "string");
}

/**
 * Parses one line of zu's event JSON into a frozen {@link Event}. Throws `SyntaxError` when the
 * text is not JSON and `TypeError` when it is not an event object.
 */
export function parseEventJson(text: string): Event {
  // In an event, numbers that matter live in `payload` and `schema_version` (both after the first
  // structural `,"payload":`; a bare `"` cannot occur inside a string literal). Anything numeric
  // before it is not a valid envelope field and is refused or dropped below.
  const at = text.indexOf(',"payload":');
  const v = !needsReviver(text, at < 0 ? 0 : at) ? JSON.parse(text) : JSON.parse(text, REVIVER);
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new TypeError("Cannot read event: the JSON value is not an object");
  }
  const o = v as Record<string, unknown>;
  for (const k of ["event_id", "trace_id", "task_id", "type", "ts", "source"] as const) {
    if (typeof o[k] !== "string") {
      throw new TypeError(`Cannot read event: field "${k}" is missing or not a string`);
    }
  }
  const payload = o.payload ?? {};
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new TypeError(`Cannot read event "${String(o.event_id)}": payload is not an object`);
  }
  for (const k of ["parent_id", "prev_hash", "hash", "sig"] as const) {
    if (o[k] !== undefined && o[k] !== null && typeof o[k] !== "string") {
      throw new TypeError(
        `Cannot read event "${String(o.event_id)}": field "${k}" is not a string`,
      );
    }
  }
  if (isExactEvent(o)) return Object.freeze(o) as unknown as Event;
  const ev: Event = {
    event_id: o.event_id as string,
    trace_id: o.trace_id as string,
    task_id: o.task_id as string,
    parent_id: (o.parent_id ?? null) as string | null,
    type: o.type as string,
    ts: o.ts as string,
    source: o.source as string,
    payload: payload as Record<string, unknown>,
    schema_version: typeof o.schema_version === "number" ? o.schema_version : 1,
    prev_hash: (o.prev_hash ?? null) as string | null,
    hash: (o.hash ?? null) as string | null,
    sig: (o.sig ?? null) as string | null,
  };
  return Object.freeze(ev);
}
