/**
 * The checking primitives of the agent-file parser: typed reads of a parsed document that throw
 * a one-line `UserError` naming the file and key path, and collect unknown-key warnings.
 *
 * @module
 */
import { didYouMean } from "../core/did_you_mean.ts";
import { UserError } from "../core/errors.ts";

/** Builds the one-line error for `file` at `key`. */
export function configError(file: string, key: string, why: string): UserError {
  const where = key === "" ? "" : `${key} `;
  return new UserError("config_invalid", `Cannot load agent "${file}": ${where}${why}`);
}

/** A short printable form of a value for messages. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/**
 * One line saying what a plugin threw: an `Error`'s first message line, or `a non-Error value
 * <value>` for anything else (a string, an object, `undefined`). Never throws, whatever was thrown.
 */
export function thrownText(e: unknown): string {
  try {
    if (e instanceof Error) {
      const msg = String(e.message ?? "");
      const line = (msg.split("\n").find((l) => l.trim() !== "") ?? "").trim();
      return line === "" ? String(e.name || "Error") : line;
    }
    return `a non-Error value was thrown: ${safeShow(e)}`;
  } catch {
    return "a value that cannot be shown";
  }
}

function safeShow(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol" || typeof value === "function") return String(value);
  try {
    return show(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A short type description of a value, for messages. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${show(value)}`;
}

/** True for a plain mapping. */
export function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Reads one document, collecting warnings; throws on the first error. */
export class Reader {
  readonly warnings: string[] = [];
  constructor(readonly file: string) {}

  fail(key: string, why: string): never {
    throw configError(this.file, key, why);
  }

  join(parent: string, key: string | number): string {
    if (typeof key === "number") return `${parent}[${key}]`;
    return parent === "" ? key : `${parent}.${key}`;
  }

  mapping(value: unknown, key: string): Record<string, unknown> {
    if (!isMapping(value)) this.fail(key, `must be a mapping, got ${typeName(value)}`);
    return value;
  }

  list(value: unknown, key: string): unknown[] {
    if (!Array.isArray(value)) this.fail(key, `must be a list, got ${typeName(value)}`);
    return value;
  }

  unknownKeys(obj: Record<string, unknown>, known: readonly string[], parent: string): void {
    for (const k of Object.keys(obj)) {
      if (!known.includes(k)) {
        this.warnings.push(
          `Agent "${this.file}": key "${this.join(parent, k)}" is not a known key (ignored)${
            didYouMean(k, known)
          }`,
        );
      }
    }
  }

  string(value: unknown, key: string): string {
    if (typeof value !== "string") this.fail(key, `must be a string, got ${typeName(value)}`);
    return value;
  }

  required(obj: Record<string, unknown>, name: string, parent: string): unknown {
    const key = this.join(parent, name);
    if (!(name in obj) || obj[name] === null || obj[name] === undefined) {
      this.fail(key, "is required");
    }
    return obj[name];
  }

  nonEmptyString(value: unknown, key: string): string {
    const s = this.string(value, key);
    if (s.trim() === "") this.fail(key, "must not be empty");
    return s;
  }

  optString(obj: Record<string, unknown>, name: string, parent: string): string | null {
    const v = obj[name];
    return v === undefined || v === null ? null : this.string(v, this.join(parent, name));
  }

  int(value: unknown, key: string, min: number): number {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      this.fail(key, `must be an integer, got ${typeName(value)}`);
    }
    if (value < min) this.fail(key, `must be at least ${min}, got ${value}`);
    return value;
  }

  optInt(obj: Record<string, unknown>, name: string, parent: string, min: number): number | null {
    const v = obj[name];
    return v === undefined || v === null ? null : this.int(v, this.join(parent, name), min);
  }

  bool(obj: Record<string, unknown>, name: string, parent: string, dflt: boolean): boolean {
    const v = obj[name];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "boolean") {
      this.fail(this.join(parent, name), `must be true or false, got ${typeName(v)}`);
    }
    return v;
  }

  choice<T extends string>(
    obj: Record<string, unknown>,
    name: string,
    parent: string,
    choices: readonly T[],
    dflt: T,
  ): T {
    const v = obj[name];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "string" || !(choices as readonly string[]).includes(v)) {
      this.fail(
        this.join(parent, name),
        `must be one of ${choices.map((c) => `"${c}"`).join(", ")}, got ${show(v)}`,
      );
    }
    return v as T;
  }

  tierKey(raw: string, parent: string): number {
    const n = Number(raw);
    if (!/^\s*\d+\s*$/.test(raw) || !Number.isInteger(n) || n < 1) {
      this.fail(this.join(parent, raw), "is not a tier number (tiers are integers from 1)");
    }
    return n;
  }
}
