/**
 * What a Deno `--allow-net` flag may grant under the one host policy: every declared name,
 * literal and resolved address passes the classifier (`addressRefusal`, `isInternalName`) before
 * it becomes a flag entry (`netFlagEntries`). A refused literal or answer is never granted, and a
 * name with ANY refused answer is not granted at all (as `checkHost` refuses it). The jail's flag
 * builder calls {@link grantNet}; the property test holds it to `http_fetch` and the proxy.
 *
 * @example
 * ```ts
 * import { grantNet } from "./net_grant.ts";
 * import { parseHostPattern } from "./host_pattern.ts";
 * const g = grantNet([
 *   { pattern: parseHostPattern("shop.example"), why: "declared", declaredLiteral: false },
 *   { pattern: parseHostPattern("[::ffff:127.0.0.1]:8080"), why: "declared", declaredLiteral: false },
 * ], { resolved: { "shop.example": ["93.184.216.34"] } });
 * console.assert([...g.net.keys()].join() === "shop.example:80,shop.example:443,93.184.216.34:80,93.184.216.34:443");
 * console.assert(g.refused.length === 1);
 * ```
 * @module
 */
import { addressClass } from "./address_class.ts";
import { type AddressPolicy, addressRefusal, isInternalName } from "./address_policy.ts";
import { canonicalAddress } from "./host_normalize.ts";
import { type HostPattern, netFlagEntries, netFlagEntry } from "./host_pattern.ts";

/** One declared host, parsed, and whether its author may name a loopback or private literal. */
export interface DeclaredHost {
  /** The parsed pattern. */
  pattern: HostPattern;
  /** Why it is declared (shown by `explain-permissions`). */
  why: string;
  /** A canonical literal the operator wrote as an explicit grant (see `AddressPolicy`). */
  declaredLiteral: boolean;
}

/** Options of {@link grantNet}. */
export interface GrantNetOptions {
  /** The answers the host resolved for declared names at launch. Default none. */
  resolved?: Readonly<Record<string, readonly string[]>>;
  /** The address policy (the tools' `allow_cidrs`, `allow_private`). Default closed. */
  policy?: Omit<AddressPolicy, "declaredLiteral">;
}

/** The outcome of {@link grantNet}. */
export interface NetGrants {
  /** Granted `host:port` entries, each with its reason, in declaration order. */
  net: Map<string, string>;
  /** Granted non-global addresses (a deny range holding one is left out of `--deny-net`). */
  lifted: string[];
  /** Declared entries never granted: the entries as the flag would write them, and why. */
  refused: { value: string; why: string }[];
}

/**
 * Classifies every declared host and resolved answer and returns what may be granted.
 *
 * @example
 * ```ts
 * import { grantNet } from "./net_grant.ts";
 * import { parseHostPattern } from "./host_pattern.ts";
 * const g = grantNet([{ pattern: parseHostPattern("localhost:8080"), why: "t", declaredLiteral: false }]);
 * console.assert(g.net.size === 0 && /internal name/.test(g.refused[0]?.why ?? ""));
 * ```
 */
export function grantNet(
  declared: readonly DeclaredHost[],
  options: GrantNetOptions = {},
): NetGrants {
  const resolved = options.resolved ?? {};
  const policy = options.policy ?? {};
  const net = new Map<string, string>();
  const lifted: string[] = [];
  const refused: { value: string; why: string }[] = [];
  const grant = (pattern: HostPattern, why: string): void => {
    for (const e of netFlagEntries(pattern)) if (!net.has(e)) net.set(e, why);
  };
  for (const { pattern, why, declaredLiteral } of declared) {
    const shown = netFlagEntries(pattern).join(",");
    if (pattern.ip) {
      // Judged per port: a local origin opens a loopback address on its one port only.
      const ports = pattern.port === null ? [80, 443] : [pattern.port];
      const open = ports.filter((p) =>
        addressRefusal(pattern.host, { ...policy, declaredLiteral }, p) === null
      );
      const closed = ports.filter((p) => !open.includes(p));
      if (closed.length > 0) {
        const k = addressRefusal(pattern.host, { ...policy, declaredLiteral });
        refused.push({
          value: closed.map((p) => netFlagEntry(pattern.host, p)).join(","),
          why: `${why}: address "${pattern.host}" is ${k}`,
        });
      }
      if (open.length === 0) continue;
      if (addressClass(pattern.host) !== null && !lifted.includes(pattern.host)) {
        lifted.push(pattern.host);
      }
      for (const p of open) grant({ ...pattern, port: p }, why);
      continue;
    }
    if (isInternalName(pattern.host)) {
      refused.push({ value: shown, why: `${why}: "${pattern.host}" is an internal name` });
      continue;
    }
    const answers = pattern.wildcard ? [] : resolved[pattern.host] ?? [];
    // Judged per port, like a literal: a local origin opens its address on its one port only.
    const ports = pattern.port === null ? [80, 443] : [pattern.port];
    const open: number[] = [];
    const bad: string[] = [];
    const addresses: string[] = [];
    for (const port of ports) {
      let refusal: string | null = null;
      for (const raw of answers) {
        const ip = canonicalAddress(raw);
        const k = ip === null ? "not an address" : addressRefusal(ip, policy, port);
        if (ip === null || k !== null) {
          refusal = `${why}: it resolves to "${raw}", which is ${k}`;
          break;
        }
        if (!addresses.includes(ip)) addresses.push(ip);
      }
      if (refusal === null) open.push(port);
      else bad.push(refusal);
    }
    if (open.length < ports.length) {
      const closed = ports.filter((p) => !open.includes(p));
      refused.push({
        value: closed.length === ports.length
          ? shown
          : closed.map((p) => netFlagEntry(pattern.host, p)).join(","),
        why: bad[0]!,
      });
    }
    if (open.length === 0) continue;
    const name = open.length === ports.length
      ? [pattern]
      : open.map((p) => ({ ...pattern, port: p }));
    for (const one of name) grant(one, why);
    for (const ip of addresses) {
      if (addressClass(ip) !== null && !lifted.includes(ip)) lifted.push(ip);
      for (const one of name) {
        grant(
          { host: ip, wildcard: false, ip: true, port: one.port },
          `address of "${pattern.host}" resolved by the host at launch (the child dials it, never resolves)`,
        );
      }
    }
  }
  return { net, lifted, refused };
}

/**
 * Orders `host:port` flag entries by host text, then by port number (80 before 443).
 *
 * @example
 * ```ts
 * import { compareNetEntries } from "./net_grant.ts";
 * console.assert(["a.test:443", "a.test:80"].sort(compareNetEntries).join() === "a.test:80,a.test:443");
 * ```
 */
export function compareNetEntries(a: string, b: string): number {
  const ha = a.slice(0, a.lastIndexOf(":"));
  const hb = b.slice(0, b.lastIndexOf(":"));
  if (ha !== hb) return ha < hb ? -1 : 1;
  return Number(a.slice(a.lastIndexOf(":") + 1)) - Number(b.slice(b.lastIndexOf(":") + 1));
}
