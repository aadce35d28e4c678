/**
 * The egress proxy's side of live clearance (private): hold a request to an undeclared host on
 * the run's clearance desk, and turn the desk's deny into the 403 the client reads.
 *
 * Order (see docs/clearance.md): the proxy has already refused bad hosts, blocked IP literals
 * (in every encoding) and internal names, all without DNS. Only then is the request held, and
 * nothing is resolved or dialled for it before an allow; after the allow the proxy resolves
 * once and runs the full address checks exactly as for an allowlisted host, so a cleared name
 * that resolves to loopback or metadata is still refused.
 * @module
 */
import type { ClearanceGate } from "./clearance/clearance_answer.ts";
import { Refusal } from "./_proxy_request.ts";

/**
 * Holds a request on the desk. Resolves with the request id (or null for a rule without one)
 * when it is allowed; throws a {@link Refusal} (403) when it is denied, timed out, over the caps
 * or the desk is closed. With the desk `off` the refusal is today's `not_allowlisted`.
 */
export async function holdForClearance(
  clearance: { desk: ClearanceGate; runId: string },
  target: { host: string; port: number; scheme: "https" | "http"; literal: boolean },
  signal: AbortSignal,
): Promise<string | null> {
  const answer = await clearance.desk.request({
    run_id: clearance.runId,
    host: target.host,
    port: target.port,
    scheme: target.scheme,
    signal,
  });
  if (answer.decision === "allow") return answer.request_id;
  if (answer.reason === "clearance_off") {
    throw new Refusal(403, target.literal ? "ip_literal_not_allowlisted" : "not_allowlisted");
  }
  const detail = answer.request_id === null
    ? answer.message
    : `request_id=${answer.request_id}: ${answer.message}`;
  throw new Refusal(403, answer.reason, detail, {
    headers: { "X-Zu-Deny-Reason": answer.reason },
    body: `${answer.message}\n`,
  });
}
