/**
 * Test helper: a real HTTP server on 127.0.0.1 that answers each request with the next scripted
 * handler and records what it received. Used by the provider tests.
 *
 * @module
 */

/** One request the server received. */
export interface ReceivedRequest {
  /** HTTP method. */
  method: string;
  /** Path and query. */
  path: string;
  /** Request headers. */
  headers: Headers;
  /** Parsed JSON body (or the raw text when not JSON). */
  body: Record<string, unknown>;
}

/** A scripted answer: a Response, or `"hang"` to never answer until the client gives up. */
export type Answer = Response | "hang";

/** A running loopback API. */
export interface LoopbackApi extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Requests in arrival order. */
  requests: ReceivedRequest[];
  /** Stops the server. */
  close(): Promise<void>;
}

/** JSON response helper. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** Starts a server that answers the n-th request with `answers[n]` (the last one repeats). */
export function startLoopbackApi(answers: Array<() => Answer>): LoopbackApi {
  const requests: ReceivedRequest[] = [];
  const release = Promise.withResolvers<void>();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    async (req) => {
      const text = await req.text();
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text);
      } catch {
        body = { raw: text };
      }
      const u = new URL(req.url);
      requests.push({
        method: req.method,
        path: u.pathname + u.search,
        headers: req.headers,
        body,
      });
      const make = answers[Math.min(requests.length - 1, answers.length - 1)];
      const answer = make ? make() : json({ error: "no scripted answer" }, 599);
      if (answer === "hang") {
        await release.promise;
        return new Response("gone", { status: 599 });
      }
      return answer;
    },
  );
  const addr = server.addr as Deno.NetAddr;
  const close = async () => {
    release.resolve();
    await server.shutdown();
  };
  return {
    url: `http://127.0.0.1:${addr.port}`,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The `http_fetch` tool schema both provider tests offer the model. */
export const FETCH_TOOL = {
  name: "http_fetch",
  description: "Fetch a page",
  parameters: { type: "object", properties: { url: { type: "string" } }, required: ["url"] },
};

/** Recording seams: the sleeps asked for and the warnings given, with `random` fixed. */
export function recordingSeams(random: number): {
  sleeps: number[];
  warnings: string[];
  seams: {
    sleep: (ms: number) => Promise<void>;
    random: () => number;
    onWarning: (w: string) => void;
  };
} {
  const sleeps: number[] = [];
  const warnings: string[] = [];
  const seams = {
    sleep: (ms: number) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => random,
    onWarning: (w: string) => void warnings.push(w),
  };
  return { sleeps, warnings, seams };
}

/** Fails when `secret` shows in any printed view of `value` (an error's stack and fields too). */
export function assertNoSecret(value: unknown, secret: string): void {
  const views = [
    String(value),
    JSON.stringify(value),
    Deno.inspect(value, { depth: 10 }),
    value instanceof Error ? `${value.stack} ${JSON.stringify({ ...value })}` : "",
  ];
  for (const v of views) {
    if (v.includes(secret)) throw new Error(`Secret leaked in: ${v}`);
  }
}
