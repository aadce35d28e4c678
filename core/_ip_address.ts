/**
 * Private IP-literal parsing and formatting for core's host policy (`host_normalize.ts`,
 * `address_class.ts`): every IPv4 form inet_aton and the WHATWG URL parser accept, IPv6 with an
 * embedded dotted quad, brackets and zone ids.
 *
 * @module
 */

/** A parsed address: IPv4 as a 32-bit bigint, IPv6 as a 128-bit bigint. */
export interface Addr {
  /** IPv6 (true) or IPv4 (false). */
  readonly v6: boolean;
  /** The address as an unsigned integer. */
  readonly value: bigint;
}

/** The largest IPv4 value. */
export const V4_MAX = (1n << 32n) - 1n;

/** Parses one inet_aton / WHATWG IPv4 number: `0x` hex, leading-`0` octal, else decimal. */
function parseV4Number(part: string): bigint | null {
  if (part === "") return null;
  if (/^0[xX][0-9a-fA-F]*$/.test(part)) {
    return part.length === 2 ? 0n : BigInt(`0x${part.slice(2)}`);
  }
  if (/^0[0-7]+$/.test(part)) return BigInt(`0o${part.slice(1)}`);
  if (/^(0|[1-9][0-9]*)$/.test(part)) return BigInt(part);
  return null;
}

/** inet_aton's forms: `a`, `a.b`, `a.b.c`, `a.b.c.d`, each part in any radix; one trailing dot. */
export function parseV4(text: string): bigint | null {
  let s = text;
  if (s.endsWith(".") && s.length > 1) s = s.slice(0, -1);
  const parts = s.split(".");
  if (parts.length < 1 || parts.length > 4) return null;
  const nums: bigint[] = [];
  for (const part of parts) {
    const n = parseV4Number(part);
    if (n === null) return null;
    nums.push(n);
  }
  const last = nums.pop() as bigint;
  let value = 0n;
  for (const n of nums) {
    if (n > 255n) return null;
    value = (value << 8n) | n;
  }
  const restBits = BigInt(8 * (4 - nums.length));
  if (last >= 1n << restBits) return null;
  return (value << restBits) | last;
}

/** A strict dotted quad (the only IPv4 form allowed inside an IPv6 literal). */
export function parseStrictQuad(text: string): bigint | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  let value = 0n;
  for (let i = 1; i <= 4; i++) {
    const n = Number(m[i]);
    if (n > 255) return null;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

/** Parses IPv6 text (no brackets, no zone) to a 128-bit value, or null. */
export function parseV6(text: string): bigint | null {
  let s = text;
  let tail: bigint[] = [];
  const lastColon = s.lastIndexOf(":");
  if (lastColon >= 0 && s.slice(lastColon + 1).includes(".")) {
    const quad = parseStrictQuad(s.slice(lastColon + 1));
    if (quad === null) return null;
    tail = [quad >> 16n, quad & 0xffffn];
    // Keep the colon(s) so "::1.2.3.4" becomes "::" + tail.
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith("::")) s = s.slice(0, -1);
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (h: string): bigint[] | null => {
    if (h === "") return [];
    const out: bigint[] = [];
    for (const g of h.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(BigInt(`0x${g}`));
    }
    return out;
  };
  const head = groupsOf(halves[0] ?? "");
  if (head === null) return null;
  let groups: bigint[];
  if (halves.length === 2) {
    const back = groupsOf(halves[1] ?? "");
    if (back === null) return null;
    const total = head.length + back.length + tail.length;
    if (total > 7) return null;
    groups = [...head, ...Array(8 - total).fill(0n), ...back, ...tail];
  } else {
    groups = [...head, ...tail];
  }
  if (groups.length !== 8) return null;
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Strips brackets and a zone id (`%eth0`, `%25eth0`). */
export function unwrap(host: string): { text: string; bracketed: boolean } {
  let text = host.trim();
  let bracketed = false;
  if (text.startsWith("[") && text.endsWith("]")) {
    text = text.slice(1, -1);
    bracketed = true;
  }
  const pct = text.indexOf("%");
  if (pct >= 0 && text.includes(":")) text = text.slice(0, pct);
  return { text, bracketed };
}

/** Parses any IPv4 or IPv6 literal (brackets and zone id allowed), or null. */
export function parseAddr(host: string): Addr | null {
  const { text, bracketed } = unwrap(host);
  if (text === "") return null;
  if (text.includes(":")) {
    const v = parseV6(text);
    return v === null ? null : { v6: true, value: v };
  }
  if (bracketed) return null;
  const v = parseV4(text);
  return v === null ? null : { v6: false, value: v };
}

/** Dotted-quad text of an IPv4 value. */
export function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join(".");
}

/** RFC 5952 text of an IPv6 value (lowercase, longest zero run compressed, hex only). */
export function formatV6(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** Canonical text of an address. */
export function format(addr: Addr): string {
  return addr.v6 ? formatV6(addr.value) : formatV4(addr.value);
}
