/**
 * Server-sent events: frames encoded as `id:`/`event:`/`data:` lines, and a response streaming
 * an async iterable of frames that stops the iterable when the client goes away.
 *
 * @example
 * ```ts
 * import { encodeSseFrame } from "./sse.ts";
 * console.assert(encodeSseFrame({ id: "3", data: "{}" }) === "id: 3\ndata: {}\n\n");
 * ```
 * @module
 */

/** One SSE frame. `data` must not contain line breaks (JSON.stringify output never does). */
export interface SseFrame {
  /** The `id:` line (resume point). */
  id?: string;
  /** The `event:` line (default `message`). */
  event?: string;
  /** The `data:` line. */
  data: string;
}

const CRLF = /[\r\n]/;

/** The wire text of `frame`. */
export function encodeSseFrame(frame: SseFrame): string {
  for (const v of [frame.id, frame.event, frame.data]) {
    if (v !== undefined && CRLF.test(v)) {
      throw new TypeError("Cannot encode SSE frame: a field contains a line break");
    }
  }
  let text = "";
  if (frame.id !== undefined) text += `id: ${frame.id}\n`;
  if (frame.event !== undefined) text += `event: ${frame.event}\n`;
  return `${text}data: ${frame.data}\n\n`;
}

const encoder = new TextEncoder();

/** Options of {@link sseResponse}. */
export interface SseResponseOptions {
  /** Called once when the stream ends for any reason (client gone, source ended). */
  onClose?: (reason: "client" | "end") => void;
}

/**
 * A `text/event-stream` response over `frames`. When the client disconnects the iterator is
 * returned (its `finally` blocks run) and `onClose("client")` is called.
 */
export function sseResponse(
  frames: AsyncIterable<SseFrame>,
  options: SseResponseOptions = {},
): Response {
  const it = frames[Symbol.asyncIterator]();
  let done = false;
  const finish = (reason: "client" | "end"): void => {
    if (done) return;
    done = true;
    options.onClose?.(reason);
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await it.next();
        if (next.done) {
          finish("end");
          controller.close();
          return;
        }
        controller.enqueue(encoder.encode(encodeSseFrame(next.value)));
      } catch (err) {
        finish("end");
        controller.error(err);
      }
    },
    async cancel() {
      finish("client");
      await it.return?.();
    },
  }, { highWaterMark: 0 });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
