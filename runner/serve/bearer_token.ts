/**
 * The server's bearer token: compared in constant time (`node:crypto` `timingSafeEqual` over
 * SHA-256 digests, so the length of the secret leaks nothing either), taken from
 * `ZU_SERVE_TOKEN` or generated and written once to a 0600 file.
 *
 * @example
 * ```ts
 * import { bearerMatches, generateToken } from "./bearer_token.ts";
 * const token = generateToken();
 * console.assert(bearerMatches(`Bearer ${token}`, token));
 * console.assert(!bearerMatches("Bearer nope", token));
 * console.assert(!bearerMatches(null, token));
 * ```
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";

function digest(text: string): Uint8Array {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Whether an `Authorization` header carries `Bearer <token>` (constant time in the token). */
export function bearerMatches(header: string | null, token: string): boolean {
  if (!token) return false;
  const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header ?? "");
  const given = m?.[1] ?? "";
  // Always compare, even for a missing header, so timing says nothing about which case it was.
  const same = timingSafeEqual(digest(given), digest(token));
  return same && given.length > 0;
}

/** A fresh random token: 32 bytes, base64url. */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Where the token came from. */
export interface ServeToken {
  /** The token. */
  token: string;
  /** `env` (ZU_SERVE_TOKEN) or `file` (generated and written to {@link ServeToken.file}). */
  source: "env" | "file";
  /** The 0600 file it was written to (source `file`). */
  file?: string;
}

/**
 * The token from `envToken` when set (at least 16 characters), else a generated one written to
 * `file` with mode 0600 (replacing an older file).
 */
export async function serveToken(envToken: string | undefined, file: string): Promise<ServeToken> {
  if (envToken !== undefined && envToken !== "") {
    if (envToken.length < 16 || /\s/.test(envToken)) {
      throw new RangeError("ZU_SERVE_TOKEN must be at least 16 characters without spaces");
    }
    return { token: envToken, source: "env" };
  }
  const token = generateToken();
  const dir = file.slice(0, file.lastIndexOf("/"));
  if (dir) await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.remove(file).catch(() => {});
  await Deno.writeTextFile(file, `${token}\n`, { mode: 0o600, createNew: true });
  await Deno.chmod(file, 0o600);
  return { token, source: "file", file };
}
