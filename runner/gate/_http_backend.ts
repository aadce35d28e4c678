/**
 * Runs Debian's `git http-backend` as a CGI for one request: a minimal environment (no HOME, no
 * system or global config, hooks off, the grant's receive settings), the buffered request body
 * on stdin, and the CGI answer turned into a `Response` (headers parsed, body streamed).
 *
 * @module
 */
import { configEnv, HARDENED_CONFIG } from "./_git.ts";

/** One CGI call. */
export interface BackendCall {
  /** The gate directory's `repos` folder. */
  projectRoot: string;
  /** `GET` or `POST`. */
  method: string;
  /** `/<name>.git/info/refs` and the like. */
  pathInfo: string;
  /** The query string without `?`. */
  query: string;
  /** Request headers of interest. */
  contentType: string | null;
  /** `Content-Encoding` of the body (git gzips large fetch requests). */
  contentEncoding: string | null;
  /** The client's `Git-Protocol` header. */
  gitProtocol: string | null;
  /** The request body (already bounded). */
  body: Uint8Array;
  /** The authenticated run. */
  remoteUser: string;
  /** Set for a push: the run's namespace. */
  namespace: string | null;
  /** Extra `-c` settings for this call. */
  config: ReadonlyArray<readonly [string, string]>;
  /** Kills the CGI after this long. */
  timeoutMs: number;
  /** The `git` program. Default `git`. */
  git?: string;
}

const CRLF2 = [13, 10, 13, 10];

function headerEnd(buf: Uint8Array): { at: number; skip: number } | null {
  for (let i = 0; i + 1 < buf.length; i++) {
    if (buf[i] === 10 && buf[i + 1] === 10) return { at: i, skip: 2 };
    if (i + 3 < buf.length && CRLF2.every((b, j) => buf[i + j] === b)) return { at: i, skip: 4 };
  }
  return null;
}

/** Runs the CGI and answers with its output; `onDone` runs after git exits (code, stderr). */
export async function runHttpBackend(
  call: BackendCall,
  onDone?: (code: number, stderr: string) => void | Promise<void>,
): Promise<Response> {
  const env: Record<string, string> = {
    PATH: "/usr/bin:/bin",
    GIT_PROJECT_ROOT: call.projectRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    HOME: "/nonexistent",
    GIT_TERMINAL_PROMPT: "0",
    REQUEST_METHOD: call.method,
    PATH_INFO: call.pathInfo,
    QUERY_STRING: call.query,
    REMOTE_USER: call.remoteUser,
    REMOTE_ADDR: "127.0.0.1",
    CONTENT_LENGTH: String(call.body.length),
    GATEWAY_INTERFACE: "CGI/1.1",
    ...configEnv([...HARDENED_CONFIG, ...call.config]),
  };
  if (call.contentType) env.CONTENT_TYPE = call.contentType;
  if (call.contentEncoding) env.HTTP_CONTENT_ENCODING = call.contentEncoding;
  if (call.gitProtocol) env.GIT_PROTOCOL = call.gitProtocol;
  if (call.namespace) env.GIT_NAMESPACE = call.namespace;
  const child = new Deno.Command(call.git ?? "git", {
    args: ["http-backend"],
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, call.timeoutMs);
  const stderrText = new Response(child.stderr).text();
  const writer = child.stdin.getWriter();
  const wrote = writer.write(call.body).then(() => writer.close()).catch(() => {});
  const status = child.status.then(async (s) => {
    clearTimeout(timer);
    await wrote;
    await onDone?.(s.code, await stderrText);
    return s;
  });

  const reader = child.stdout.getReader();
  let head = new Uint8Array(0);
  let end: { at: number; skip: number } | null = null;
  while (end === null) {
    const { value, done } = await reader.read();
    if (done) break;
    const next = new Uint8Array(head.length + value.length);
    next.set(head);
    next.set(value, head.length);
    head = next;
    end = headerEnd(head);
    if (head.length > 64 * 1024 && end === null) break;
  }
  if (end === null) {
    await reader.cancel().catch(() => {});
    await status;
    return new Response("git http-backend gave no answer\n", { status: 502 });
  }
  const headers = new Headers();
  let code = 200;
  for (const line of new TextDecoder().decode(head.subarray(0, end.at)).split(/\r?\n/)) {
    const c = line.indexOf(":");
    if (c <= 0) continue;
    const k = line.slice(0, c).trim();
    const v = line.slice(c + 1).trim();
    if (k.toLowerCase() === "status") code = parseInt(v, 10) || 500;
    else headers.append(k, v);
  }
  const rest = head.subarray(end.at + end.skip);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (rest.length > 0) controller.enqueue(rest);
    },
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) {
        await status;
        controller.close();
      } else controller.enqueue(value);
    },
    async cancel() {
      await reader.cancel().catch(() => {});
    },
  });
  return new Response(code === 204 || code === 304 ? null : body, { status: code, headers });
}
