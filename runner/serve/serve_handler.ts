/**
 * The HTTP routes of `zu serve` as one `fetch`-style handler (no listening here; see
 * `zu_server.ts`). JSON everywhere, SSE for event streams, bearer auth on every route but
 * `GET /v1/health`, bounded bodies, and the pending seam. Routes:
 *
 * | route | answer |
 * |---|---|
 * | `GET /v1/health` | `{status:"ok", api:"v1"}` (no auth) |
 * | `GET /v1/runs` | `{runs:[RunSummary]}` |
 * | `POST /v1/runs[?stream=1]` `{agent, task?}` | `202 {run_id}`, or its SSE; a disconnect cancels it |
 * | `GET /v1/runs/:id` | `RunSummary` with `result` |
 * | `DELETE /v1/runs/:id` | cancels it: `202 {run_id, status}` |
 * | `GET /v1/runs/:id/events` | SSE, `id:` = event seq, `Last-Event-ID` resumes |
 * | `GET /v1/events` | SSE of every event of this server's runs |
 * | `GET /v1/pending` | `{pending:[PendingItem]}` |
 * | `POST /v1/pending/:id` `{action, run?, host?, port?, scope?, reason?}` | the source's answer |
 * | `GET /`, `/ui/app.js`, `/ui/app.css` | the dashboard (no auth: it holds no secret) |
 *
 * @example
 * ```ts
 * import { createServeHandler } from "./serve_handler.ts";
 * import { RunRegistry } from "./run_registry.ts";
 * const runs = new RunRegistry(() => Promise.reject(new Error("no runs here")));
 * const handle = createServeHandler({ token: "t".repeat(32), runs, checkHost: false });
 * const res = await handle(new Request("http://127.0.0.1/v1/runs"));
 * console.assert(res.status === 401);
 * await runs.close();
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";
import type { PendingSource } from "../../core/types.ts";
import { bearerMatches } from "./bearer_token.ts";
import { dashboardAsset } from "./dashboard/dashboard_assets.ts";
import type { FanoutFrame } from "./fanout.ts";
import { EMPTY_PENDING_SOURCE, parseVerdict } from "./pending_source.ts";
import { type RunEvent, type RunRecord, type RunRegistry, TooManyRuns } from "./run_registry.ts";
import { type SseFrame, sseResponse } from "./sse.ts";

/** Options of {@link createServeHandler}. */
export interface ServeHandlerOptions {
  /** The bearer token every route but health requires. */
  token: string;
  /** The server's runs. */
  runs: RunRegistry;
  /** Pending clearances and approvals. Default: nothing pending. */
  pending?: PendingSource;
  /** Largest request body accepted, in bytes. Default 65536. */
  maxBodyBytes?: number;
  /** Frames an SSE reader may have waiting before it is dropped. Default 1000. */
  queueLimit?: number;
  /** Check the `Host` header is loopback (TCP listeners; off for unix sockets). Default true. */
  checkHost?: boolean;
  /** Serve the web dashboard at `/` (`runner/serve/dashboard/`). Default true. */
  dashboard?: boolean;
}

/** A run as listed and shown. */
export interface RunSummary {
  /** Id. */
  run_id: string;
  /** Agent as requested. */
  agent: string;
  /** Task override, if any. */
  task: string | null;
  /** `running`, `completed`, `failed` or `interrupted`. */
  status: string;
  /** ISO times. */
  started_at: string;
  /** ISO end time, null while running. */
  ended_at: string | null;
  /** Events so far. */
  events: number;
  /** The result's status once completed. */
  result_status: string | null;
  /** Failure or interruption. */
  error: { code: string; message: string } | null;
}

function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });
}

function problem(status: number, error: string, message?: string): Response {
  return json(status, message === undefined ? { error } : { error, message });
}

/** The summary of `rec`. */
export function summaryOf(rec: RunRecord): RunSummary {
  return {
    run_id: rec.id,
    agent: rec.request.agent,
    task: rec.request.task ?? null,
    status: rec.status,
    started_at: rec.started_at,
    ended_at: rec.ended_at,
    events: rec.eventCount,
    result_status: rec.result?.status ?? null,
    error: rec.error,
  };
}

class BodyTooLarge extends Error {}

async function readJson(req: Request, limit: number): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) throw new BodyTooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    for await (const chunk of req.body) {
      size += chunk.length;
      if (size > limit) throw new BodyTooLarge();
      chunks.push(chunk);
    }
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(all));
}

function eventFrame(item: RunEvent, withId: boolean): SseFrame {
  const data = JSON.stringify(item);
  return withId ? { id: String(item.seq), data } : { data };
}

const OVERFLOW: SseFrame = { event: "overflow", data: '{"error":"overflow"}' };

/** A run's frames: replay after `after`, then live, then an `end` frame. */
async function* runFrames(rec: RunRecord, after: number, limit: number): AsyncGenerator<SseFrame> {
  // Subscribing and snapshotting happen in one turn: nothing is missed or sent twice.
  const sub = rec.fanout.subscribe({ limit });
  const replay = rec.events.filter((e) => e.seq > after);
  let last = after;
  try {
    for (const item of replay) {
      last = item.seq;
      yield eventFrame(item, true);
    }
    for await (const frame of sub as AsyncIterable<FanoutFrame<RunEvent>>) {
      if (frame.kind === "overflow") {
        yield OVERFLOW;
        return;
      }
      if (frame.value.seq <= last) continue;
      last = frame.value.seq;
      yield eventFrame(frame.value, true);
    }
    await rec.done;
    yield { event: "end", data: JSON.stringify(summaryOf(rec)) };
  } finally {
    sub.close();
  }
}

async function* globalFrames(runs: RunRegistry, limit: number): AsyncGenerator<SseFrame> {
  const sub = runs.global.subscribe({ limit });
  try {
    yield { event: "ready", data: "{}" };
    for await (const frame of sub) {
      if (frame.kind === "overflow") {
        yield OVERFLOW;
        return;
      }
      yield eventFrame(frame.value, false);
    }
  } finally {
    sub.close();
  }
}

function lastEventId(req: Request, url: URL): number {
  const raw = req.headers.get("last-event-id") ?? url.searchParams.get("last_event_id") ?? "0";
  const n = Number(raw);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

const LOOPBACK_HOST = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(?::\d{1,5})?$/i;

/** The server's request handler. */
export function createServeHandler(
  options: ServeHandlerOptions,
): (req: Request) => Promise<Response> {
  const { token, runs } = options;
  const pending = options.pending ?? EMPTY_PENDING_SOURCE;
  const maxBody = options.maxBodyBytes ?? 65_536;
  const limit = options.queueLimit ?? 1000;
  const checkHost = options.checkHost ?? true;
  const dashboard = options.dashboard ?? true;

  async function startRun(req: Request, url: URL): Promise<Response> {
    let body: unknown;
    try {
      body = await readJson(req, maxBody);
    } catch (err) {
      if (err instanceof BodyTooLarge) return problem(413, "body_too_large");
      return problem(400, "bad_request", "The body must be JSON");
    }
    const b = (body ?? {}) as Record<string, unknown>;
    if (typeof b !== "object" || Array.isArray(b) || typeof b.agent !== "string" || !b.agent) {
      return problem(400, "bad_request", "agent (a path) is required");
    }
    if (b.task !== undefined && (typeof b.task !== "string" || b.task.length > 10_000)) {
      return problem(400, "bad_request", "task must be a string");
    }
    let rec: RunRecord;
    try {
      rec = await runs.start({
        agent: b.agent,
        ...(typeof b.task === "string" ? { task: b.task } : {}),
      });
    } catch (err) {
      if (err instanceof TooManyRuns) return problem(429, "too_many_runs", err.message);
      if (err instanceof UserError) return problem(400, err.code, err.message);
      throw err;
    }
    if (url.searchParams.get("stream") !== "1") {
      return json(202, { run_id: rec.id }, { location: `/v1/runs/${rec.id}` });
    }
    // The client's own run: when it goes away (the stream is cancelled), the run is cancelled.
    const frames = async function* (): AsyncGenerator<SseFrame> {
      yield { event: "run", data: JSON.stringify({ run_id: rec.id }) };
      yield* runFrames(rec, 0, limit);
    };
    return sseResponse(frames(), {
      onClose: (why) => {
        if (why === "client") rec.abort.abort();
      },
    });
  }

  async function verdict(req: Request, id: string): Promise<Response> {
    let body: unknown;
    try {
      body = await readJson(req, maxBody);
    } catch (err) {
      if (err instanceof BodyTooLarge) return problem(413, "body_too_large");
      return problem(400, "bad_request", "The body must be JSON");
    }
    const parsed = parseVerdict(body, "serve");
    if (!("verdict" in parsed)) return problem(400, parsed.error, parsed.message);
    let answer;
    try {
      answer = await pending.verdict(id, parsed.verdict);
    } catch {
      return problem(500, "pending_source_failed");
    }
    // 503: a source that is closed (a clearance desk after its run); any other 5xx is 500.
    const status = Number.isInteger(answer.status) &&
        ((answer.status >= 200 && answer.status < 500) || answer.status === 503)
      ? answer.status
      : 500;
    if (status === 404) return json(404, answer.body ?? { error: "unknown_request" });
    if (status === 409) return json(409, answer.body ?? { error: "tuple_mismatch" });
    return json(status, answer.body ?? {});
  }

  async function route(req: Request, url: URL): Promise<Response> {
    const path = url.pathname;
    const m = req.method;
    if (path === "/v1/runs") {
      if (m === "GET") return json(200, { runs: runs.list().map(summaryOf) });
      if (m === "POST") return await startRun(req, url);
      return problem(405, "method_not_allowed");
    }
    const run = /^\/v1\/runs\/([A-Za-z0-9-]{1,64})(\/events)?$/.exec(path);
    if (run) {
      const rec = runs.get(run[1]!);
      if (!rec) return problem(404, "unknown_run");
      if (run[2]) {
        if (m !== "GET") return problem(405, "method_not_allowed");
        return sseResponse(runFrames(rec, lastEventId(req, url), limit));
      }
      if (m === "GET") return json(200, { ...summaryOf(rec), result: rec.result?.result ?? null });
      if (m === "DELETE") {
        rec.abort.abort();
        return json(202, { run_id: rec.id, status: rec.status });
      }
      return problem(405, "method_not_allowed");
    }
    if (path === "/v1/events") {
      if (m !== "GET") return problem(405, "method_not_allowed");
      return sseResponse(globalFrames(runs, limit));
    }
    if (path === "/v1/pending") {
      if (m !== "GET") return problem(405, "method_not_allowed");
      try {
        return json(200, { pending: await pending.list() });
      } catch {
        return problem(500, "pending_source_failed");
      }
    }
    const item = /^\/v1\/pending\/([A-Za-z0-9._:-]{1,128})$/.exec(path);
    if (item) {
      if (m !== "POST") return problem(405, "method_not_allowed");
      return await verdict(req, item[1]!);
    }
    return problem(404, "not_found");
  }

  return async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    if (checkHost && !LOOPBACK_HOST.test(req.headers.get("host") ?? "")) {
      // A DNS-rebound name pointing at loopback is not this server's name.
      return problem(421, "misdirected_request");
    }
    if (url.pathname === "/v1/health" && req.method === "GET") {
      return json(200, { status: "ok", api: "v1" });
    }
    const page = dashboard ? dashboardAsset(req.method, url.pathname) : null;
    if (page) return page;
    if (!bearerMatches(req.headers.get("authorization"), token)) {
      return json(401, { error: "unauthorized" }, { "www-authenticate": 'Bearer realm="zu"' });
    }
    return await route(req, url);
  };
}
