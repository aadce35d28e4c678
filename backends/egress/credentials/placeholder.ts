/**
 * Per-run placeholders for the `placeholder` binding mode: the sandbox holds
 * `zu_ph_<name>_<22 base64url characters = 128 random bits>` instead of the secret, padded with
 * more random base64url characters to the real value's length when that is longer (so a tool
 * that checks a token's length, or a body's Content-Length, sees the same number). The egress
 * proxy swaps a placeholder for the real value only toward the secret's bound hosts.
 *
 * @example
 * ```ts
 * import { PlaceholderSet, sha256Prefix } from "./placeholder.ts";
 * const set = new PlaceholderSet();
 * const ph = set.add("GH", 40);
 * console.assert(ph.startsWith("zu_ph_GH_") && ph.length === 40);
 * console.assert(set.secretOf(ph) === "GH" && set.placeholderOf("GH") === ph);
 * console.assert(sha256Prefix(ph).length === 12);
 * ```
 * @module
 */
import { createHash } from "node:crypto";

/** The prefix every placeholder starts with. */
export const PLACEHOLDER_PREFIX = "zu_ph_";

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function randomB64url(count: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(count));
  let out = "";
  for (const b of bytes) out += B64URL[b & 63];
  return out;
}

/**
 * Mints a fresh placeholder for secret `name`: `zu_ph_<name>_` and 22 random base64url
 * characters (128 bits), then more random characters up to `realLength` when the real value is
 * longer. Throws `TypeError` for a name outside `[A-Za-z_][A-Za-z0-9_]{0,63}`.
 *
 * @example
 * ```ts
 * import { mintPlaceholder } from "./placeholder.ts";
 * console.assert(/^zu_ph_GH_[A-Za-z0-9_-]{22}$/.test(mintPlaceholder("GH")));
 * console.assert(mintPlaceholder("GH", 93).length === 93);
 * ```
 */
export function mintPlaceholder(name: string, realLength?: number): string {
  if (!NAME.test(name)) {
    throw new TypeError(`Cannot mint a placeholder for secret "${name}": not a secret name`);
  }
  const base = `${PLACEHOLDER_PREFIX}${name}_${randomB64url(22)}`;
  const pad = Math.max(0, Math.floor(realLength ?? 0) - base.length);
  return pad > 0 ? base + randomB64url(pad) : base;
}

/**
 * SHA-256 of `text` (UTF-8) as its first 12 hex characters: how a placeholder or phantom is
 * named in an event or a log line.
 *
 * @example
 * ```ts
 * import { sha256Prefix } from "./placeholder.ts";
 * console.assert(sha256Prefix("abc") === "ba7816bf8f01");
 * ```
 */
export function sha256Prefix(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, 12);
}

/**
 * The placeholders of one run: secret name ↔ placeholder, both ways. Placeholders are per run
 * and survive a rotation of the value (the run keeps the one it was given).
 *
 * @example
 * ```ts
 * import { PlaceholderSet } from "./placeholder.ts";
 * const set = new PlaceholderSet();
 * const a = set.add("A");
 * console.assert(set.add("A") === a); // minted once per run
 * console.assert(set.secretOf("zu_ph_A_nope") === undefined);
 * ```
 */
export class PlaceholderSet {
  #byName = new Map<string, string>();
  #bySecret = new Map<string, string>();

  /** The placeholder of `name`, minted (length-matched to `realLength`) on first use. */
  add(name: string, realLength?: number): string {
    const have = this.#byName.get(name);
    if (have !== undefined) return have;
    const ph = mintPlaceholder(name, realLength);
    this.#byName.set(name, ph);
    this.#bySecret.set(ph, name);
    return ph;
  }

  /** The placeholder minted for `name`, if any. */
  placeholderOf(name: string): string | undefined {
    return this.#byName.get(name);
  }

  /** The secret name a placeholder stands for, if it is one of this run's. */
  secretOf(placeholder: string): string | undefined {
    return this.#bySecret.get(placeholder);
  }

  /** `[name, placeholder]` pairs, in minting order. */
  entries(): [string, string][] {
    return [...this.#byName.entries()];
  }

  /** The number of placeholders. */
  get size(): number {
    return this.#byName.size;
  }

  /** The longest placeholder's length (0 when empty): the scanners' hold-back bound. */
  get maxLength(): number {
    let n = 0;
    for (const ph of this.#bySecret.keys()) n = Math.max(n, ph.length);
    return n;
  }
}
