/**
 * The child side of host-executed tools. Tier-2 tools (`render_dom`, `browser`, `shell`,
 * `run_code`) need the Docker socket, which only the host control plane may open; inside the jail
 * they are stand-ins that run the tool's own argument and SSRF checks (the browser tools), then
 * send a `tool_call` line to the host and wait for its `tool_result` line on stdin. The host
 * re-checks and runs the real tool.
 *
 * @example
 * ```ts ignore
 * import { HostToolClient, hostForwardedTool } from "./host_tool.ts";
 * const client = new HostToolClient();
 * const tool = hostForwardedTool(new RenderDom(), client);
 * const obs = await tool.call(ctx, { url: "https://shop.example/" });
 * await client.close();
 * ```
 * @module
 */
import { errorOfCode, SecurityBlock, ZuError } from "../../core/errors.ts";
import type { RunContext, Tool } from "../../core/types.ts";
import {
  type ToolCallError,
  type ToolCallMessage,
  type ToolResultMessage,
  writeJailLine,
} from "./protocol.ts";

/** Tools the host runs for the child. */
export const HOST_EXECUTED_TOOLS: readonly string[] = [
  "render_dom",
  "browser",
  "shell",
  "run_code",
];

/** Options of {@linkcode HostToolClient}. */
export interface HostToolClientOptions {
  /** Sends a request. Default: a protocol line on stdout. */
  write?: (msg: ToolCallMessage) => void;
  /** Where replies arrive, one JSON line each. Default `Deno.stdin.readable`. */
  input?: ReadableStream<Uint8Array>;
}

/** Sends `tool_call` requests and matches the `tool_result` replies by id. */
export class HostToolClient implements AsyncDisposable {
  #write: (msg: ToolCallMessage) => void;
  #input: ReadableStream<Uint8Array> | null;
  #inputGetter: () => ReadableStream<Uint8Array>;
  #reader: ReadableStreamDefaultReader<string> | null = null;
  #pending = new Map<number, (reply: ToolResultMessage) => void>();
  #next = 1;
  #ended: string | null = null;

  /** Creates the client; reading starts at the first call. */
  constructor(options: HostToolClientOptions = {}) {
    this.#write = options.write ?? ((msg) => writeJailLine(msg));
    this.#input = options.input ?? null;
    this.#inputGetter = () => this.#input ?? Deno.stdin.readable;
  }

  /** Asks the host to run `tool` with `args`; resolves with its reply. */
  call(tool: string, args: Record<string, unknown>, traceId: string): Promise<ToolResultMessage> {
    if (this.#ended !== null) return Promise.reject(new ZuError("host_tools", this.#ended));
    const id = this.#next++;
    const reply = new Promise<ToolResultMessage>((resolve) => this.#pending.set(id, resolve));
    this.#startReading();
    this.#write({ zu_jail: "tool_call", id, tool, args, trace_id: traceId });
    return reply;
  }

  #startReading(): void {
    if (this.#reader) return;
    const reader = this.#inputGetter().pipeThrough(new TextDecoderStream()).getReader();
    this.#reader = reader;
    (async () => {
      let buf = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i: number;
          while ((i = buf.indexOf("\n")) >= 0) {
            this.#dispatch(buf.slice(0, i));
            buf = buf.slice(i + 1);
          }
        }
        if (buf.length) this.#dispatch(buf);
      } catch {
        // cancelled or broken: pending calls fail below
      }
      this.#end("Cannot run a host-executed tool: the host closed the channel before answering");
    })();
  }

  #dispatch(line: string): void {
    let msg: ToolResultMessage;
    try {
      msg = JSON.parse(line) as ToolResultMessage;
    } catch {
      return;
    }
    if (msg?.zu_jail !== "tool_result" || typeof msg.id !== "number") return;
    const resolve = this.#pending.get(msg.id);
    if (!resolve) return;
    this.#pending.delete(msg.id);
    resolve(msg);
  }

  #end(reason: string): void {
    if (this.#ended === null) this.#ended = reason;
    for (const [id, resolve] of this.#pending) {
      resolve({
        zu_jail: "tool_result",
        id,
        error: { name: "ZuError", code: "host_tools", message: reason },
      });
    }
    this.#pending.clear();
  }

  /** Stops reading (pending calls fail). Idempotent. */
  async close(): Promise<void> {
    this.#end("Cannot run a host-executed tool: the run is over");
    const reader = this.#reader;
    if (reader) await reader.cancel().catch(() => {});
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Rebuilds the error the host's tool threw (a `SecurityBlock` stays one, so the loop records it). */
export function errorOfReply(error: ToolCallError): Error {
  if (error.kind !== undefined || error.name === "SecurityBlock") {
    return new SecurityBlock(error.message, {
      ...(error.kind !== undefined ? { kind: error.kind } : {}),
      target: error.target ?? null,
    });
  }
  if (error.code !== undefined) {
    return errorOfCode(error.code, error.message) ?? new Error(error.message);
  }
  if (error.name === "TypeError") return new TypeError(error.message);
  if (error.name === "RangeError") return new RangeError(error.message);
  return new Error(error.message);
}

/** Describes a thrown error for a `tool_result` reply. */
export function replyErrorOf(err: unknown): ToolCallError {
  const e = err instanceof Error ? err : new Error(String(err));
  const out: ToolCallError = { name: e.name, message: e.message.split("\n")[0] ?? "" };
  if (e instanceof ZuError) out.code = e.code;
  if (e instanceof SecurityBlock) {
    out.kind = e.kind;
    out.target = e.target;
  }
  return out;
}

/**
 * Checks run in the child before forwarding: returns an observation to answer with locally
 * (e.g. an invalid action), or null to forward. Throws what the tool itself would throw.
 */
export type HostToolPrecheck = (
  args: Record<string, unknown>,
) => Promise<Record<string, unknown> | null>;

/**
 * A stand-in for `tool` whose `call` runs `precheck`, then forwards the call to the host through
 * `client`. Every other property (name, tier, schema, capabilities, egress) is the tool's own.
 */
export function hostForwardedTool(
  tool: Tool,
  client: Pick<HostToolClient, "call">,
  precheck: HostToolPrecheck = () => Promise.resolve(null),
): Tool {
  const wrapped = Object.create(tool) as Tool & { call: Tool["call"] };
  Object.defineProperty(wrapped, "call", {
    value: async (ctx: RunContext, args: Record<string, unknown>) => {
      const local = await precheck(args);
      if (local) return local;
      const traceId = ctx?.trace_id ?? ctx?.spec?.task_id ?? "default";
      const reply = await client.call(tool.name, args, traceId);
      if (reply.error) throw errorOfReply(reply.error);
      return reply.observation ?? {};
    },
    enumerable: true,
  });
  return wrapped;
}
