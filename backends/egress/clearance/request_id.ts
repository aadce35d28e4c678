/**
 * Request ids of the clearance desk: uuid v7 (48-bit millisecond time, then 74 random bits from
 * the system CSPRNG), so ids sort by creation and cannot be guessed.
 *
 * @example
 * ```ts
 * import { isRequestId, newRequestId } from "./request_id.ts";
 * const id = newRequestId();
 * console.assert(isRequestId(id) && id[14] === "7");
 * ```
 * @module
 */

const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * A fresh uuid v7 (RFC 9562) for `nowMs` (default the wall clock).
 *
 * @example
 * ```ts
 * import { newRequestId } from "./request_id.ts";
 * console.assert(newRequestId(0).startsWith("00000000-0000-7"));
 * ```
 */
export function newRequestId(nowMs: number = Date.now()): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  let t = Math.max(0, Math.floor(nowMs));
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/**
 * Whether `value` has the shape of a request id (lowercase uuid v7).
 *
 * @example
 * ```ts
 * import { isRequestId } from "./request_id.ts";
 * console.assert(!isRequestId("../../etc/passwd"));
 * ```
 */
export function isRequestId(value: unknown): value is string {
  return typeof value === "string" && ID_PATTERN.test(value);
}
