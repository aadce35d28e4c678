/**
 * The one HTTP call both live providers make: POST a JSON body with a per-attempt timeout,
 * retry 408/429/5xx and connection failures with exponential backoff and jitter (honouring
 * `Retry-After`, capped), and turn every failure into zu's neutral provider errors. The API key
 * is redacted from every message this module builds.
 *
 * @module
 */
import {
  ProviderAuthError,
  ProviderError,
  ProviderRateLimited,
  ProviderTimeout,
  ProviderUnavailable,
  UserError,
} from "../../core/errors.ts";
/** The real environment, read defensively (a denied variable reads as unset). */
export { safeEnv as realEnv } from "../../core/env.ts";
import type { Sleep } from "../../core/types.ts";

/** The real sleep: a timer that is cleared on abort. */
export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Options of {@link postJson}. */
export interface PostJsonOptions {
  /** Provider label used in messages (`openai-compatible`, `anthropic`). */
  label: string;
  /** Model id used in messages. */
  model: string | null;
  /** Per-attempt timeout in ms (the body read included). */
  timeoutMs: number;
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Sleep seam used between attempts. */
  sleep: Sleep;
  /** Random source in [0, 1) for the jitter. */
  random: () => number;
  /** The fetch to use. */
  fetch: typeof fetch;
  /** The secret to redact from messages (the API key), if any. */
  secret: string | null;
  /** The environment variable named in an auth failure message. */
  keyEnv: string | null;
  /** True when `keyEnv` is not set (a 401/403 then says so). Default false. */
  keyMissing?: boolean;
  /** First backoff delay in ms. Default 500. */
  baseDelayMs?: number;
  /** Largest backoff delay in ms. Default 8000. */
  maxDelayMs?: number;
  /** Largest honoured `Retry-After` in ms. Default 30000. */
  maxRetryAfterMs?: number;
  /** Cancels the call (the reason is rethrown as is). */
  signal?: AbortSignal | undefined;
}

/** Replaces every occurrence of `secret` in `text` with `[redacted]`. */
export function redact(text: string, secret: string | null): string {
  if (!secret || secret.length < 4) return text;
  return text.split(secret).join("[redacted]");
}

function errorDetail(bodyText: string): string | null {
  try {
    const body = JSON.parse(bodyText) as Record<string, unknown>;
    const err = body?.error;
    if (typeof err === "string") return err;
    if (err && typeof err === "object") {
      const msg = (err as Record<string, unknown>).message;
      if (typeof msg === "string") return msg;
    }
    if (typeof body?.message === "string") return body.message;
  } catch {
    // not JSON
  }
  const t = bodyText.trim();
  return t === "" ? null : t;
}

/** `fetch failed` plus its cause (the real reason: refused, DNS, TLS, tunnel). */
function connectionDetail(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  if (cause === undefined || cause === null) return e.message;
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.includes(e.message) ? text : `${e.message}: ${text}`;
}

function clip(text: string, n = 200): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n)}…` : one;
}

/** Parses `retry-after-ms` / `retry-after` (seconds or an HTTP date) into ms, or null. */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | null {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms))) {
    return Math.max(0, Number(ms));
  }
  const ra = headers.get("retry-after");
  if (ra === null || ra.trim() === "") return null;
  if (Number.isFinite(Number(ra))) return Math.max(0, Number(ra) * 1000);
  const when = Date.parse(ra);
  return Number.isNaN(when) ? null : Math.max(0, when - now);
}

function retryable(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

type Attempt =
  | { kind: "ok"; body: unknown }
  | {
    kind: "status";
    status: number;
    detail: string | null;
    retryAfter: number | null;
    /** The egress proxy's refusal reason (`X-Zu-Egress-Refused`), when it answered. */
    proxyRefused: string | null;
  }
  | { kind: "connection"; detail: string };

/** The header zu's egress proxy puts on its refusals (its decision's reason). */
export const PROXY_REFUSED_HEADER = "x-zu-egress-refused";

function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return u.port ? u.host : `${u.host}:${u.protocol === "https:" ? 443 : 80}`;
  } catch {
    return url;
  }
}

/** What to do about each refusal reason of the egress proxy. */
function proxyFix(reason: string | null): string {
  switch (reason) {
    case "not_allowlisted":
    case "ip_literal_not_allowlisted":
      return "declare the model host (base_url) so it is on the allowlist";
    case "blocked_address":
    case "blocked_resolution":
      return "its address is not global: allow its range with ZU_SANDBOX_ALLOW_CIDRS (and ZU_SANDBOX_NETWORKS for another Docker network)";
    case "dns_failed":
      return "the proxy could not resolve it: check the name, or pin it with ZU_SANDBOX_HOSTS=name=ip";
    default:
      return "the proxy's reason is in the run's harness.egress.observed events";
  }
}

/** The egress proxy, not the API, refused the call: the network policy is the user's to fix. */
function proxyRefusal(
  url: string,
  reason: string | null,
  say: (why: string) => string,
): UserError {
  const why = reason === null ? "" : ` (${reason})`;
  return new UserError(
    "network_policy",
    say(
      `the sandbox's egress proxy refused "${hostOf(url)}"${why}, the API was never reached; ${
        proxyFix(reason)
      }`,
    ),
  );
}

/**
 * POSTs `body` as JSON to `url` and returns the parsed JSON answer, retrying transient
 * failures. Throws `ProviderAuthError` (401/403), `ProviderRateLimited` (429 after retries),
 * `ProviderTimeout` (an attempt timed out), `ProviderUnavailable` (5xx or connection failure
 * after retries) or `ProviderError` (any other failure).
 */
export async function postJson(
  url: string,
  request: { body: unknown; headers: Record<string, string> },
  options: PostJsonOptions,
): Promise<unknown> {
  const what = `Cannot complete with ${options.label} model "${options.model ?? "(none)"}"`;
  const say = (why: string) => redact(`${what}: ${why}`, options.secret);
  const baseDelay = options.baseDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 8000;
  const maxRetryAfter = options.maxRetryAfterMs ?? 30_000;
  const attempts = Math.max(0, Math.floor(options.maxRetries)) + 1;
  const payload = JSON.stringify(request.body);
  let last: Attempt | null = null;

  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0 && last !== null) {
      const backoff = Math.min(maxDelay, baseDelay * 2 ** (attempt - 1)) *
        (1 - 0.5 * options.random());
      const delay = last.kind === "status" && last.retryAfter !== null
        ? Math.min(last.retryAfter, maxRetryAfter)
        : backoff;
      await options.sleep(delay, options.signal);
    }
    last = await once(url, payload, request.headers, options, say);
    if (last.kind === "ok") return last.body;
    if (last.kind === "connection" && /unsuccessful tunnel/i.test(last.detail)) {
      throw proxyRefusal(url, null, say);
    }
    if (last.kind === "status") {
      const detail = last.detail === null ? "" : `: ${clip(last.detail)}`;
      if (last.proxyRefused !== null) throw proxyRefusal(url, last.proxyRefused, say);
      if (last.status === 401 || last.status === 403) {
        if (options.keyEnv && options.keyMissing === true) {
          throw new ProviderAuthError(
            say(
              `the API refused the request with HTTP ${last.status}: "${options.keyEnv}" is not set`,
            ),
          );
        }
        const hint = options.keyEnv ? ` (check "${options.keyEnv}")` : "";
        throw new ProviderAuthError(
          say(`the API refused the credentials with HTTP ${last.status}${hint}`),
        );
      }
      if (!retryable(last.status)) {
        throw new ProviderError(say(`HTTP ${last.status}${detail}`));
      }
    }
  }
  const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
  if (last?.kind === "status") {
    const detail = last.detail === null ? "" : `: ${clip(last.detail)}`;
    if (last.status === 429) {
      throw new ProviderRateLimited(say(`rate limited (HTTP 429) after ${tries}${detail}`));
    }
    throw new ProviderUnavailable(say(`HTTP ${last.status} after ${tries}${detail}`));
  }
  const why = last?.kind === "connection" ? last.detail : "no attempt was made";
  throw new ProviderUnavailable(say(`the API is unreachable after ${tries}: ${clip(why)}`));
}

async function once(
  url: string,
  payload: string,
  headers: Record<string, string>,
  options: PostJsonOptions,
  say: (why: string) => string,
): Promise<Attempt> {
  options.signal?.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException("timed out", "TimeoutError"));
  }, options.timeoutMs);
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const res = await options.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: payload,
      signal: controller.signal,
    });
    const text = await res.text();
    if (!res.ok) {
      return {
        kind: "status",
        status: res.status,
        detail: errorDetail(text),
        retryAfter: retryAfterMs(res.headers),
        proxyRefused: res.headers.get(PROXY_REFUSED_HEADER),
      };
    }
    try {
      return { kind: "ok", body: JSON.parse(text) };
    } catch {
      throw new ProviderError(
        say(`the API answered HTTP ${res.status} with a body that is not JSON`),
      );
    }
  } catch (e) {
    if (e instanceof ProviderError) throw e;
    if (timedOut) {
      throw new ProviderTimeout(say(`no answer within ${options.timeoutMs} ms`));
    }
    if (options.signal?.aborted) throw options.signal.reason;
    return { kind: "connection", detail: connectionDetail(e) };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}
