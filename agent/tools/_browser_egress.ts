/**
 * The egress seam of the tier-2 tools: something that puts an egress proxy in front of one
 * sandbox, lets exactly the checked target through (pinned to the checked addresses), and reports
 * the proxy's decisions so refusals become `blocked_egress`.
 *
 * @module
 */

/** What to let through. */
export interface EgressRequest {
  /** The target host (lower case). */
  host: string;
  /** The addresses the SSRF guard checked (the proxy dials only these). */
  addresses: string[];
  /** The target port when it is not 80 or 443 (a bare host covers only those two). */
  port?: number;
  /** The run (trace) id, for labels. */
  runId: string;
  /** Cancels the setup. */
  signal?: AbortSignal;
}

/** A proxy in place for one sandbox. */
export interface EgressLease extends AsyncDisposable {
  /** Proxy URL as the sandbox reaches it (`http://host:port`). */
  readonly proxy: string;
  /** Internal network the sandbox joins (`isolated`). */
  readonly networkName: string;
  /** `/etc/hosts` pins the sandbox needs besides the target (e.g. the proxy's name). */
  readonly extraHosts?: Readonly<Record<string, string>>;
  /** The proxy's decisions so far (`{host, port, allowed, reason, ...}`). */
  decisions(): Promise<readonly Record<string, unknown>[]>;
  /** Tears the proxy down. Idempotent. */
  close(): Promise<void>;
}

/** Provides egress leases. */
export interface BrowserEgress {
  /** Starts a proxy that allows exactly `request.host`. */
  open(request: EgressRequest): Promise<EgressLease>;
}

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
