/**
 * `maskUrlPassword`: the one helper that hides the password of every URL in a text before it
 * is printed or written to a log (`postgres://zu:s3cret@db:5432/zu` becomes
 * `postgres://zu:***@db:5432/zu`). Query parameters named `password` are masked too.
 *
 * @example
 * ```ts
 * import { maskUrlPassword } from "./mask_url.ts";
 * console.assert(
 *   maskUrlPassword("cannot reach postgres://zu:pw@db:5432/zu") ===
 *     "cannot reach postgres://zu:***@db:5432/zu",
 * );
 * ```
 * @module
 */

// scheme://user:password@ — the password stops at the last "@" before the host part.
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*):([^\s/?#]*)@/gi;
const QUERY_PASSWORD = /([?&]password=)[^&#\s]*/gi;

/** `text` with the password of every `scheme://user:password@` URL (and `?password=`) masked. */
export function maskUrlPassword(text: string): string {
  return text.replace(USERINFO, (_m, head: string) => `${head}:***@`).replace(
    QUERY_PASSWORD,
    (_m, head: string) => `${head}***`,
  );
}
