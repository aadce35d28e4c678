/**
 * The refused decisions of a browser egress proxy (the `BrowserEgress` port of `core/types.ts`)
 * as the tier-2 tools report them: `blocked_egress`.
 *
 * @module
 */

/** One refused connection as the observation reports it. */
export interface BlockedEgress {
  /** Host the page tried to reach. */
  host: string;
  /** Port. */
  port: number | null;
  /** The proxy's reason. */
  reason: string;
}

/** The refused decisions among `decisions`, one per host and port, in order. */
export function blockedEgressOf(decisions: readonly Record<string, unknown>[]): BlockedEgress[] {
  const seen = new Set<string>();
  const out: BlockedEgress[] = [];
  for (const d of decisions) {
    if (d["allowed"] !== false) continue;
    const host = typeof d["host"] === "string" ? d["host"] : "";
    const port = typeof d["port"] === "number" ? d["port"] : null;
    const key = `${host}:${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ host, port, reason: typeof d["reason"] === "string" ? d["reason"] : "refused" });
  }
  return out;
}
