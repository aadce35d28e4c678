/**
 * Phantom tokens: the per-run stand-in a sandboxed agent presents instead of a real key. Minted
 * with 128 random bits, compared in constant time, and logged only as a 12-hex SHA-256 prefix.
 *
 * @example
 * ```ts
 * import { mintPhantom, phantomMatches, tokenHash } from "./phantom.ts";
 * const phantom = mintPhantom();
 * console.assert(await phantomMatches(phantom, phantom));
 * console.assert(!(await phantomMatches("zu-phantom-0", phantom)));
 * console.assert((await tokenHash(phantom)).length === 12);
 * ```
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** A fresh phantom: `zu-phantom-` and 128 random bits in hex. */
export function mintPhantom(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return `zu-phantom-${Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")}`;
}

function sha256(text: string): Uint8Array {
  return createHash("sha256").update(text).digest();
}

/** The 12-hex SHA-256 prefix under which a token may be logged. */
export function tokenHash(text: string): Promise<string> {
  return Promise.resolve(createHash("sha256").update(text).digest("hex").slice(0, 12));
}

/**
 * Whether `token` equals `phantom`, in time independent of where they differ (both are hashed
 * first, so their lengths never leak either).
 */
export function phantomMatches(token: string, phantom: string): Promise<boolean> {
  return Promise.resolve(timingSafeEqual(sha256(token), sha256(phantom)));
}

/** The token a client presented: `Authorization: Bearer <t>` (or the whole value), else `x-api-key`. */
export function presentedToken(headers: Headers): string | null {
  const auth = headers.get("authorization");
  if (auth) {
    const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] as string : auth.trim();
  }
  return headers.get("x-api-key")?.trim() || null;
}
