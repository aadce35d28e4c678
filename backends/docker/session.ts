/**
 * A JSON-lines session over an attached exec (zu's browser protocol): one JSON command per line
 * on stdin, one JSON reply per line on stdout (stderr is ignored). Replies are matched to
 * commands in order; a command waits for the previous one. A closed stream or a reply timeout
 * answers `{"error":"session closed or no response"}`; `close()` sends `{"op":"close"}` (15 s)
 * and then runs `onClose` (the backend destroys the sandbox there).
 *
 * @module
 */
import type { DockerContainer } from "./docker_client.ts";
import type { SessionHandle } from "../../core/types.ts";
import { FrameDemuxer, LineSplitter } from "./exec_stream.ts";
import { startSandboxExec } from "./sandbox_exec_start.ts";

/** Options of {@linkcode attachJsonLinesSession}. */
export interface JsonLinesSessionOptions {
  /** Wait for one reply. Default 120 000 ms. */
  replyTimeoutMs?: number;
  /** Runs once when the session is closed (after the close command). */
  onClose: () => Promise<void>;
}

/** Starts `cmd` in a running container with stdin attached and speaks JSON lines to it. */
export async function attachJsonLinesSession(
  container: DockerContainer,
  cmd: string[],
  options: JsonLinesSessionOptions,
): Promise<SessionHandle> {
  const { stream } = await startSandboxExec(container, cmd, { stdin: true });
  const waiting: Array<(line: string | null) => void> = [];
  const lines: string[] = [];
  let closed = false;
  const splitter = new LineSplitter((line) => {
    if (!line.trim()) return;
    const w = waiting.shift();
    if (w) w(line);
    else lines.push(line);
  });
  const demux = new FrameDemuxer((s, p) => {
    if (s === 1) splitter.push(p);
  });
  const end = () => {
    closed = true;
    for (const w of waiting.splice(0)) w(null);
  };
  stream.on("data", (chunk: Uint8Array) => demux.push(chunk));
  stream.on("end", end);
  stream.on("close", end);
  stream.on("error", end);
  const replyTimeout = options.replyTimeoutMs ?? 120_000;
  const next = (timeoutMs: number): Promise<string | null> => {
    const ready = lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = waiting.indexOf(settle);
        if (i >= 0) waiting.splice(i, 1);
        resolve(null);
      }, timeoutMs);
      const settle = (line: string | null) => {
        clearTimeout(timer);
        resolve(line);
      };
      waiting.push(settle);
    });
  };
  let queue: Promise<unknown> = Promise.resolve();
  const send = (command: Record<string, unknown>, timeoutMs = replyTimeout) => {
    const run = queue.then(async () => {
      if (closed) return { error: "session closed or no response" };
      stream.write(JSON.stringify(command) + "\n");
      const line = await next(timeoutMs);
      if (line === null) return { error: "session closed or no response" };
      try {
        const v = JSON.parse(line);
        return typeof v === "object" && v !== null && !Array.isArray(v)
          ? v as Record<string, unknown>
          : { error: "session reply is not a JSON object", raw: line.slice(0, 2000) };
      } catch {
        return { error: "session reply is not JSON", raw: line.slice(0, 2000) };
      }
    });
    queue = run.catch(() => {});
    return run;
  };
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      if (!closed) await send({ op: "close" }, 15_000).catch(() => {});
      stream.destroy();
      await options.onClose();
    })();
    return closing;
  };
  return { send: (command) => send(command), close, [Symbol.asyncDispose]: close };
}
