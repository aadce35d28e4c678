/**
 * Python's `uuid.uuid5`, used where zu derives stable ids (idempotency keys, ladder ids).
 *
 * @module
 */
import { createHash } from "node:crypto";

const namespaces = new Map<string, Uint8Array>();
const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function uuidBytes(uuid: string): Uint8Array {
  const known = namespaces.get(uuid);
  if (known !== undefined) return known;
  const hex = uuid.replace(/-/g, "").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) {
    throw new TypeError(`Cannot derive a uuid5: namespace "${uuid}" is not a uuid`);
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  if (namespaces.size < 64) namespaces.set(uuid, out);
  return out;
}

/**
 * Python's `uuid.uuid5(namespace, name)`: SHA-1 of the namespace bytes and the UTF-8 name.
 *
 * @example
 * ```ts
 * import { uuid5 } from "./uuid5.ts";
 * // uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
 * console.assert(uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org") === "886313e1-3b8a-5372-9b90-0c9aee199e5d");
 * ```
 */
export function uuid5(namespace: string, name: string): string {
  const h = createHash("sha1");
  h.update(uuidBytes(namespace));
  h.update(encoder.encode(name));
  const b = h.digest();
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  let hex = "";
  for (let i = 0; i < 16; i++) hex += HEX[b[i] as number];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}
