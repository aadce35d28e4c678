/**
 * The `zu-session` wire: a frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON
 * (one object with a string `t`), at most {@link MAX_FRAME_BYTES}. Parsing is strict: an empty or
 * oversize length, bad UTF-8, a duplicate key, an unknown `t`, an unknown field or a field of the
 * wrong type is a {@link FrameError}, and the side that sees one closes the session. This file
 * imports nothing, so the agent starts fast inside the sandbox.
 *
 * Host → agent: `run{id, argv?|sh?, cwd?, env?, stdin?, timeout_ms, max_output}`, `cancel{id}`,
 * `read{id, path, max}`, `write{id, path, mode?, data, append, final}`, `list{id, path}`,
 * `close{}`. Agent → host: `hello{proto, agent, pid}`, `out{id, stream, data}`,
 * `exit{id, code?, signal?, truncated, timed_out, duration_ms}`, `data{id, data, eof}`, `ok{id}`,
 * `entries{id, entries, eof}`, `err{id, code, message}`. Bytes travel as base64 (`data`).
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameReader, parseAgentFrame } from "./frames.ts";
 * const [body] = new FrameReader().push(encodeFrame({ t: "ok", id: 1 }));
 * console.assert(parseAgentFrame(body!).t === "ok");
 * ```
 * @module
 */

/** Largest frame body accepted or sent, in bytes (1 MiB). */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Largest raw chunk carried base64-encoded in one frame (fits {@link MAX_FRAME_BYTES}). */
export const MAX_CHUNK_BYTES = 512 * 1024;
/** The protocol version the agent announces in `hello`. */
export const SESSION_PROTO = 1;

/** A frame that breaks the protocol; the session it came on must be closed. */
export class FrameError extends Error {
  override name = "FrameError";
}

/** A frame the host sends. */
export type HostFrame =
  | {
    t: "run";
    id: number;
    argv?: string[];
    sh?: string;
    cwd?: string;
    env?: Record<string, string>;
    stdin?: string;
    timeout_ms: number;
    max_output: number;
  }
  | { t: "cancel"; id: number }
  | { t: "read"; id: number; path: string; max: number }
  | {
    t: "write";
    id: number;
    path: string;
    mode?: number;
    data: string;
    append: boolean;
    final: boolean;
  }
  | { t: "list"; id: number; path: string }
  | { t: "close" };

/** One directory entry on the wire. */
export interface WireEntry {
  name: string;
  kind: string;
  size: number;
}

/** A frame the agent sends. */
export type AgentFrame =
  | { t: "hello"; proto: number; agent: string; pid: number }
  | { t: "out"; id: number; stream: number; data: string }
  | {
    t: "exit";
    id: number;
    code?: number;
    signal?: string;
    truncated: boolean;
    timed_out: boolean;
    duration_ms: number;
  }
  | { t: "data"; id: number; data: string; eof: boolean }
  | { t: "ok"; id: number }
  | { t: "entries"; id: number; entries: WireEntry[]; eof: boolean }
  | { t: "err"; id: number; code: string; message: string };

type Kind = "int" | "str" | "bool" | "strs" | "env" | "entries";
type Schema = Record<string, { kind: Kind; optional?: boolean }>;

const r = (kind: Kind) => ({ kind });
const o = (kind: Kind) => ({ kind, optional: true });

const HOST_SCHEMAS: Record<string, Schema> = {
  run: {
    id: r("int"),
    argv: o("strs"),
    sh: o("str"),
    cwd: o("str"),
    env: o("env"),
    stdin: o("str"),
    timeout_ms: r("int"),
    max_output: r("int"),
  },
  cancel: { id: r("int") },
  read: { id: r("int"), path: r("str"), max: r("int") },
  write: {
    id: r("int"),
    path: r("str"),
    mode: o("int"),
    data: r("str"),
    append: r("bool"),
    final: r("bool"),
  },
  list: { id: r("int"), path: r("str") },
  close: {},
};

const AGENT_SCHEMAS: Record<string, Schema> = {
  hello: { proto: r("int"), agent: r("str"), pid: r("int") },
  out: { id: r("int"), stream: r("int"), data: r("str") },
  exit: {
    id: r("int"),
    code: o("int"),
    signal: o("str"),
    truncated: r("bool"),
    timed_out: r("bool"),
    duration_ms: r("int"),
  },
  data: { id: r("int"), data: r("str"), eof: r("bool") },
  ok: { id: r("int") },
  entries: { id: r("int"), entries: r("entries"), eof: r("bool") },
  err: { id: r("int"), code: r("str"), message: r("str") },
};

const ENCODER = new TextEncoder();

/** Encodes one frame (throws {@link FrameError} when the body exceeds the limit). */
export function encodeFrame(frame: Record<string, unknown>): Uint8Array {
  const body = ENCODER.encode(JSON.stringify(frame));
  if (body.length === 0 || body.length > MAX_FRAME_BYTES) {
    throw new FrameError(`Cannot send a frame of ${body.length} bytes`);
  }
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

/** Splits a byte stream into frame bodies; a bad length is a {@link FrameError}. */
export class FrameReader {
  #buf: Uint8Array = new Uint8Array(0);

  /** Adds bytes; returns the complete frame bodies now available. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#buf.length === 0) this.#buf = chunk.slice();
    else {
      const next = new Uint8Array(this.#buf.length + chunk.length);
      next.set(this.#buf);
      next.set(chunk, this.#buf.length);
      this.#buf = next;
    }
    const bodies: Uint8Array[] = [];
    let at = 0;
    while (this.#buf.length - at >= 4) {
      const len = new DataView(this.#buf.buffer, this.#buf.byteOffset + at).getUint32(0);
      if (len === 0 || len > MAX_FRAME_BYTES) {
        throw new FrameError(`Cannot read a frame: bad length ${len}`);
      }
      if (this.#buf.length - at - 4 < len) break;
      bodies.push(this.#buf.slice(at + 4, at + 4 + len));
      at += 4 + len;
    }
    this.#buf = this.#buf.slice(at);
    return bodies;
  }

  /** Bytes of an unfinished frame still held. */
  get pending(): number {
    return this.#buf.length;
  }
}

/** Parses strict JSON: no duplicate keys, depth ≤ 6, nothing after the value. */
export function parseStrictJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new FrameError("Cannot read a frame: not UTF-8");
  }
  let i = 0;
  const fail = (what: string): never => {
    throw new FrameError(`Cannot read a frame: ${what} at ${i}`);
  };
  const ws = () => {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  };
  const str = (): string => {
    // deno-lint-ignore no-control-regex -- JSON strings may not hold raw control characters
    const re = /"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;
    re.lastIndex = i;
    const m = re.exec(text);
    if (m === null) return fail("bad string");
    i += m[0].length;
    return JSON.parse(m[0]) as string;
  };
  const value = (depth: number): unknown => {
    if (depth > 6) fail("nesting too deep");
    ws();
    const c = text[i];
    if (c === '"') return str();
    if (c === "{") {
      i++;
      const out: Record<string, unknown> = Object.create(null);
      ws();
      if (text[i] === "}") {
        i++;
        return out;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a key");
        const key = str();
        if (Object.hasOwn(out, key)) fail(`duplicate key "${key}"`);
        ws();
        if (text[i++] !== ":") fail("expected ':'");
        out[key] = value(depth + 1);
        ws();
        const sep = text[i++];
        if (sep === "}") return out;
        if (sep !== ",") fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return out;
      }
      for (;;) {
        out.push(value(depth + 1));
        ws();
        const sep = text[i++];
        if (sep === "]") return out;
        if (sep !== ",") fail("expected ',' or ']'");
      }
    }
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const re = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    re.lastIndex = i;
    const m = re.exec(text);
    if (m === null) return fail("unexpected character");
    i += m[0].length;
    return Number(m[0]);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail("trailing bytes");
  return v;
}

function checkKind(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case "int":
      return Number.isSafeInteger(v) && (v as number) >= 0;
    case "str":
      return typeof v === "string";
    case "bool":
      return typeof v === "boolean";
    case "strs":
      return Array.isArray(v) && v.every((s) => typeof s === "string");
    case "env":
      return typeof v === "object" && v !== null && !Array.isArray(v) &&
        Object.values(v).every((s) => typeof s === "string");
    case "entries":
      return Array.isArray(v) &&
        v.every((e) =>
          typeof e === "object" && e !== null && !Array.isArray(e) &&
          Object.keys(e).length === 3 && typeof e.name === "string" &&
          typeof e.kind === "string" && Number.isSafeInteger(e.size)
        );
  }
}

function parseWith(bytes: Uint8Array, schemas: Record<string, Schema>): Record<string, unknown> {
  const v = parseStrictJson(bytes);
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new FrameError("Cannot read a frame: not an object");
  }
  const frame = v as Record<string, unknown>;
  const t = frame.t;
  const schema = typeof t === "string" && Object.hasOwn(schemas, t) ? schemas[t] : undefined;
  if (!schema) throw new FrameError(`Cannot read a frame: unknown type ${JSON.stringify(t)}`);
  for (const key of Object.keys(frame)) {
    if (key !== "t" && !Object.hasOwn(schema, key)) {
      throw new FrameError(`Cannot read a "${t}" frame: unknown field "${key}"`);
    }
  }
  for (const [key, rule] of Object.entries(schema)) {
    const has = Object.hasOwn(frame, key);
    if (!has && !rule.optional) throw new FrameError(`Cannot read a "${t}" frame: no "${key}"`);
    if (has && !checkKind(rule.kind, frame[key])) {
      throw new FrameError(`Cannot read a "${t}" frame: bad "${key}"`);
    }
  }
  return frame;
}

/** Parses and checks a frame body sent by the host (the agent's side). */
export function parseHostFrame(bytes: Uint8Array): HostFrame {
  const frame = parseWith(bytes, HOST_SCHEMAS) as HostFrame;
  if (frame.t === "run" && (frame.argv === undefined) === (frame.sh === undefined)) {
    throw new FrameError('Cannot read a "run" frame: exactly one of argv and sh');
  }
  if (frame.t === "run" && frame.argv?.length === 0) {
    throw new FrameError('Cannot read a "run" frame: empty argv');
  }
  return frame;
}

/** Parses and checks a frame body sent by the agent (the host's side). */
export function parseAgentFrame(bytes: Uint8Array): AgentFrame {
  return parseWith(bytes, AGENT_SCHEMAS) as AgentFrame;
}

/** Base64 of bytes. */
export function toBase64(bytes: Uint8Array): string {
  return (bytes as Uint8Array & { toBase64(): string }).toBase64();
}

/** Bytes of base64 text (a {@link FrameError} when it is not base64). */
export function fromBase64(text: string): Uint8Array {
  try {
    return (Uint8Array as unknown as { fromBase64(s: string): Uint8Array }).fromBase64(text);
  } catch {
    throw new FrameError("Cannot read a frame: bad base64");
  }
}
