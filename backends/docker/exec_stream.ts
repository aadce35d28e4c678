/**
 * Docker's multiplexed exec stream, demultiplexed into capped stdout and stderr.
 *
 * Without a TTY Docker frames output as `[stream u8, 0, 0, 0, size u32 BE] payload`, stream 1 =
 * stdout, 2 = stderr. {@linkcode FrameDemuxer} parses frames across chunk boundaries;
 * {@linkcode CappedCollector} keeps at most `maxBytes` of one stream and remembers that it cut.
 *
 * @example
 * ```ts
 * import { CappedCollector, FrameDemuxer } from "./exec_stream.ts";
 * const out = new CappedCollector(4);
 * const err = new CappedCollector(4);
 * const demux = new FrameDemuxer((stream, bytes) => (stream === 2 ? err : out).push(bytes));
 * demux.push(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 6, 104, 101, 108, 108, 111, 10]));
 * console.assert(out.text() === "hell" && out.truncated);
 * ```
 * @module
 */
import { concatBytes } from "../../core/bytes.ts";

/** Parses Docker's 8-byte-header frames. */
export class FrameDemuxer {
  #onFrame: (stream: number, payload: Uint8Array) => void;
  #pending: Uint8Array = new Uint8Array(0);

  /** `onFrame(stream, payload)` is called once per complete frame (payload may be empty). */
  constructor(onFrame: (stream: number, payload: Uint8Array) => void) {
    this.#onFrame = onFrame;
  }

  /** Feeds a chunk. */
  push(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.#pending.length > 0) {
      buf = new Uint8Array(this.#pending.length + chunk.length);
      buf.set(this.#pending);
      buf.set(chunk, this.#pending.length);
    }
    let at = 0;
    while (buf.length - at >= 8) {
      const stream = buf[at]!;
      const size = ((buf[at + 4]! << 24) >>> 0) + (buf[at + 5]! << 16) + (buf[at + 6]! << 8) +
        buf[at + 7]!;
      if (buf.length - at - 8 < size) break;
      this.#onFrame(stream, buf.subarray(at + 8, at + 8 + size));
      at += 8 + size;
    }
    this.#pending = buf.slice(at);
  }

  /** Bytes of an incomplete frame still held. */
  get pendingBytes(): number {
    return this.#pending.length;
  }
}

/** Keeps the first `maxBytes` of a stream. */
export class CappedCollector {
  #max: number;
  #chunks: Uint8Array[] = [];
  #size = 0;
  #truncated = false;
  #seen = 0;

  /** Creates a collector capped at `maxBytes`. */
  constructor(maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(`Invalid cap "${maxBytes}"`);
    }
    this.#max = maxBytes;
  }

  /** Adds bytes (beyond the cap they are counted and dropped). */
  push(bytes: Uint8Array): void {
    this.#seen += bytes.length;
    const room = this.#max - this.#size;
    if (bytes.length > room) this.#truncated = true;
    if (room <= 0) return;
    const part = bytes.length > room ? bytes.slice(0, room) : bytes.slice();
    this.#chunks.push(part);
    this.#size += part.length;
  }

  /** Whether bytes were dropped. */
  get truncated(): boolean {
    return this.#truncated;
  }

  /** Bytes seen in total (kept + dropped). */
  get totalBytes(): number {
    return this.#seen;
  }

  /** The kept bytes. */
  bytes(): Uint8Array {
    return concatBytes(this.#chunks, this.#size);
  }

  /** The kept bytes as UTF-8 (a character cut at the cap becomes U+FFFD). */
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }
}

/** Splits a byte stream into lines (for JSON-lines sessions). */
export class LineSplitter {
  #buf = "";
  #decoder = new TextDecoder();
  #onLine: (line: string) => void;
  #maxLine: number;

  /** `onLine` gets each line without its newline; a line longer than `maxLine` chars throws. */
  constructor(onLine: (line: string) => void, maxLine = 16 * 1024 * 1024) {
    this.#onLine = onLine;
    this.#maxLine = maxLine;
  }

  /** Feeds bytes. */
  push(bytes: Uint8Array): void {
    this.#buf += this.#decoder.decode(bytes, { stream: true });
    let nl: number;
    while ((nl = this.#buf.indexOf("\n")) >= 0) {
      const line = this.#buf.slice(0, nl).replace(/\r$/, "");
      this.#buf = this.#buf.slice(nl + 1);
      this.#onLine(line);
    }
    if (this.#buf.length > this.#maxLine) {
      throw new RangeError(`Session line longer than ${this.#maxLine} characters`);
    }
  }
}
