/**
 * `zu serve`: the control plane's HTTP door on this host (loopback TCP or a unix socket), with
 * bearer auth compared in constant time, runs started through a {@link RunLauncher}, their
 * events as server-sent events, and the pending seam ({@link PendingSource}) the clearance and
 * approval features plug into ({@link deskPendingSource} serves an in-process clearance desk), and
 * a small web dashboard at `/`. See `docs/serve.md`.
 *
 * @example
 * ```ts
 * import { generateToken, startZuServer } from "./mod.ts";
 * const token = generateToken();
 * await using server = await startZuServer({
 *   listen: { hostname: "127.0.0.1", port: 0 },
 *   token,
 *   launcher: () => Promise.reject(new Error("no runs here")),
 * });
 * const res = await fetch(`${server.url}/v1/pending`, {
 *   headers: { authorization: `Bearer ${token}` },
 * });
 * console.assert((await res.json()).pending.length === 0);
 * ```
 * @module
 */
export { bearerMatches, generateToken, type ServeToken, serveToken } from "./bearer_token.ts";
export {
  DASHBOARD_CSP,
  DASHBOARD_HEADERS,
  DASHBOARD_PATHS,
  dashboardAsset,
} from "./dashboard/dashboard_assets.ts";
export { deskPendingSource, pendingItemOfClearance } from "./desk_pending_source.ts";
export { Fanout, type FanoutFrame, type SubscribeOptions, Subscription } from "./fanout.ts";
export { type LoopbackAddress, parseListen } from "./listen_address.ts";
export {
  combinePendingSources,
  EMPTY_PENDING_SOURCE,
  parseVerdict,
  PENDING_ACTIONS,
  PENDING_SCOPES,
  UNKNOWN_REQUEST,
  type VerdictError,
} from "./pending_source.ts";
export {
  type PreparedRun,
  type RunEvent,
  type RunLaunchContext,
  type RunLauncher,
  type RunLaunchRequest,
  type RunLaunchResult,
  type RunRecord,
  RunRegistry,
  type RunRegistryOptions,
  type RunStatus,
  TooManyRuns,
} from "./run_registry.ts";
export {
  createServeHandler,
  type RunSummary,
  type ServeHandlerOptions,
  summaryOf,
} from "./serve_handler.ts";
export { encodeSseFrame, type SseFrame, sseResponse, type SseResponseOptions } from "./sse.ts";
export { startZuServer, type ZuServer, type ZuServerOptions } from "./zu_server.ts";
export type {
  PendingAction,
  PendingAnswer,
  PendingItem,
  PendingScope,
  PendingSource,
  PendingVerdict,
} from "../../core/types.ts";
