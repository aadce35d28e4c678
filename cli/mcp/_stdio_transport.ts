/**
 * The MCP stdio transport on Deno's own streams: one JSON-RPC message per line on stdin, one per
 * line on stdout, and a close when stdin ends (the client went away). The SDK's
 * `StdioServerTransport` never notices the end of stdin, so a server on it would outlive its
 * client.
 *
 * @module
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport";
// The package's "./*" export names no types for "types.js": take them from "./types".
// @ts-types="@modelcontextprotocol/sdk/types"
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

/** The longest line (one message) read from stdin, in characters. */
export const MAX_MESSAGE_CHARS = 4 * 1024 * 1024;

/** Where a {@link LineTransport} reads and writes. */
export interface LineStreams {
  /** Incoming bytes (the process's stdin). */
  readable: ReadableStream<Uint8Array>;
  /** Writes one serialised message (the process's stdout). */
  write(text: string): Promise<void>;
}

/** The process's stdin and stdout. */
export function processStreams(): LineStreams {
  const encoder = new TextEncoder();
  return {
    readable: Deno.stdin.readable,
    write: async (text) => {
      let bytes = encoder.encode(text);
      while (bytes.length > 0) bytes = bytes.subarray(await Deno.stdout.write(bytes));
    },
  };
}

/** A newline-delimited JSON-RPC transport that closes when its input ends. */
export class LineTransport implements Transport {
  /** Called once when the input ended or {@link close} was called. */
  onclose?: () => void;
  /** Called on a malformed line or a failed read. */
  onerror?: (error: Error) => void;
  /** Called with each message read. */
  onmessage?: (message: JSONRPCMessage) => void;
  #streams: LineStreams;
  #reader: ReadableStreamDefaultReader<string> | null = null;
  #closed = false;
  #writes: Promise<void> = Promise.resolve();

  /** A transport over `streams` (default: stdin and stdout). */
  constructor(streams: LineStreams = processStreams()) {
    this.#streams = streams;
  }

  /** Starts reading; resolves at once (the reading goes on in the background). */
  start(): Promise<void> {
    this.#reader = this.#streams.readable.pipeThrough(new TextDecoderStream()).getReader();
    void this.#read(this.#reader);
    return Promise.resolve();
  }

  async #read(reader: ReadableStreamDefaultReader<string>): Promise<void> {
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let at: number;
        while ((at = buffer.indexOf("\n")) >= 0) {
          this.#deliver(buffer.slice(0, at).replace(/\r$/, ""));
          buffer = buffer.slice(at + 1);
        }
        if (buffer.length > MAX_MESSAGE_CHARS) {
          this.onerror?.(new Error(`a message longer than ${MAX_MESSAGE_CHARS} characters`));
          break;
        }
      }
    } catch (err) {
      if (!this.#closed) this.onerror?.(err instanceof Error ? err : new Error(String(err)));
    }
    await this.close();
  }

  #deliver(line: string): void {
    if (line.trim() === "") return;
    let message: JSONRPCMessage;
    try {
      message = JSONRPCMessageSchema.parse(JSON.parse(line));
    } catch {
      this.onerror?.(new Error("a line on stdin is not a JSON-RPC message"));
      return;
    }
    this.onmessage?.(message);
  }

  /** Writes `message` as one line (writes keep their order). */
  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const text = JSON.stringify(message) + "\n";
    this.#writes = this.#writes.then(() => this.#streams.write(text));
    return this.#writes;
  }

  /** Stops reading and reports the close (once). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#reader?.cancel().catch(() => {});
    await this.#writes.catch(() => {});
    this.onclose?.();
  }
}
