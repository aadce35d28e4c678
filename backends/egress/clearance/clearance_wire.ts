/**
 * The clearance wire: how a sidecar in a container asks the host's clearance desk over a unix
 * socket (`clearance.sock` in the run's host socket directory). A frame is a 4-byte big-endian
 * length and that many bytes of UTF-8 JSON, at most {@link MAX_FRAME_BYTES}. Parsing is strict:
 * a duplicate key, an unknown field, a `null`, a nested value, a wrong type, an oversize or
 * empty frame, bad UTF-8 or trailing bytes is a {@link WireError}, and the side that sees one
 * tears the link down (everything held on it is denied).
 *
 * Request (sidecar → host): `{id, host, port, scheme, sni?}`. Answer (host → sidecar):
 * `{id, decision, reason?, message?, request_id?}`. There is no run id on the wire: the host
 * fixes it.
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameReader, parseWireRequest } from "./clearance_wire.ts";
 * const frame = encodeFrame({ id: "1", host: "new.test", port: 443, scheme: "https" });
 * const [body] = new FrameReader().push(frame);
 * console.assert(parseWireRequest(body!).host === "new.test");
 * ```
 * @module
 */
import type { ClearanceAnswer, ClearanceDenyReason } from "./clearance_answer.ts";

/** Largest frame body accepted or sent, in bytes (64 KiB). */
export const MAX_FRAME_BYTES = 64 * 1024;

/** A frame that breaks the protocol; the link it came on must be torn down. */
export class WireError extends Error {
  override name = "WireError";
}

/** One request on the wire. */
export interface WireRequest {
  /** The link's own id for the request (1-64 of `[A-Za-z0-9_-]`), unique among those in flight. */
  id: string;
  /** Normalised host (lower case, at most 253 characters). */
  host: string;
  /** Port, 1-65535. */
  port: number;
  /** `https` (CONNECT) or `http`. */
  scheme: "https" | "http";
  /** TLS server name, when known. */
  sni?: string;
}

/** One answer on the wire. */
export interface WireAnswer {
  /** The id of the request it answers. */
  id: string;
  /** The verdict. */
  decision: "allow" | "deny";
  /** Why it was denied (deny only). */
  reason?: ClearanceDenyReason;
  /** Printable text the model can read (deny only). */
  message?: string;
  /** The desk's request id, when there is one. */
  request_id?: string;
}

const DENY_REASONS: ReadonlySet<string> = new Set<ClearanceDenyReason>([
  "operator",
  "clearance_timeout",
  "clearance_queue_full",
  "clearance_off",
  "clearance_closed",
  "clearance_store_failed",
  "clearance_aborted",
]);

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const HOST = /^[a-z0-9._:\[\]-]{1,253}$/;
const PRINTABLE = /^[\x20-\x7e]*$/;

/** Encodes one frame. Throws `WireError` when the JSON is over {@link MAX_FRAME_BYTES}. */
export function encodeFrame(value: WireRequest | WireAnswer): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(value));
  if (body.length === 0 || body.length > MAX_FRAME_BYTES) {
    throw new WireError(`Cannot send a frame of ${body.length} bytes`);
  }
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length, false);
  out.set(body, 4);
  return out;
}

/**
 * Splits a byte stream into frame bodies. `push` returns the complete bodies so far and throws
 * `WireError` as soon as a length is 0 or over {@link MAX_FRAME_BYTES} (before reading the body).
 */
export class FrameReader {
  #buf = new Uint8Array(0);

  /** Adds bytes; returns every complete frame body. */
  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.#buf.length + chunk.length);
    joined.set(this.#buf);
    joined.set(chunk, this.#buf.length);
    const out: Uint8Array[] = [];
    let at = 0;
    while (joined.length - at >= 4) {
      const len = new DataView(joined.buffer, at, 4).getUint32(0, false);
      if (len === 0 || len > MAX_FRAME_BYTES) {
        throw new WireError(`Cannot read a frame of ${len} bytes (at most ${MAX_FRAME_BYTES})`);
      }
      if (joined.length - at - 4 < len) break;
      out.push(joined.slice(at + 4, at + 4 + len));
      at += 4 + len;
    }
    this.#buf = joined.slice(at);
    return out;
  }

  /** Bytes of an unfinished frame (a link that ends with some is torn). */
  get buffered(): number {
    return this.#buf.length;
  }
}

type Flat = Record<string, string | number>;

/**
 * Parses a flat JSON object whose values are strings or numbers, refusing duplicate keys, null,
 * booleans, arrays, nested objects and trailing text.
 */
function parseFlat(bytes: Uint8Array): Flat {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new WireError("Cannot read a frame: not UTF-8");
  }
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new WireError(`Cannot read a frame: ${what} at ${i}`);
  };
  const str = (): string => {
    if (text[i] !== '"') fail("expected a string");
    // deno-lint-ignore no-control-regex -- JSON strings may not hold raw control characters
    const m = /^"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/.exec(text.slice(i));
    if (m === null) return fail("bad string");
    i += m[0].length;
    return JSON.parse(m[0]) as string;
  };
  const out: Flat = Object.create(null);
  ws();
  if (text[i++] !== "{") fail("expected an object");
  ws();
  if (text[i] === "}") {
    i++;
  } else {
    for (let n = 0; n < 64; n++) {
      ws();
      const key = str();
      if (Object.hasOwn(out, key)) fail(`duplicate key "${key}"`);
      ws();
      if (text[i++] !== ":") fail("expected ':'");
      ws();
      if (text[i] === '"') out[key] = str();
      else {
        const m = /^-?(?:0|[1-9][0-9]{0,15})(?![0-9.eE])/.exec(text.slice(i));
        if (m === null) fail(`bad value for "${key}"`);
        out[key] = Number(m![0]);
        i += m![0].length;
      }
      ws();
      const c = text[i++];
      if (c === "}") break;
      if (c !== ",") fail("expected ',' or '}'");
      if (n === 63) fail("too many fields");
    }
  }
  ws();
  if (i !== text.length) fail("trailing bytes");
  return out;
}

function only(o: Flat, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new WireError(`Cannot read a frame: unknown field "${k}"`);
  }
}

function text(o: Flat, k: string, re: RegExp, optional = false): string | undefined {
  const v = o[k];
  if (v === undefined && optional) return undefined;
  if (typeof v !== "string" || !re.test(v)) {
    throw new WireError(`Cannot read a frame: field "${k}" is missing or invalid`);
  }
  return v;
}

/** Parses a request frame body strictly (see the module doc). */
export function parseWireRequest(body: Uint8Array): WireRequest {
  const o = parseFlat(body);
  only(o, ["id", "host", "port", "scheme", "sni"]);
  const port = o.port;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new WireError(`Cannot read a frame: field "port" is missing or invalid`);
  }
  const scheme = text(o, "scheme", /^https?$/) as "https" | "http";
  const req: WireRequest = { id: text(o, "id", ID)!, host: text(o, "host", HOST)!, port, scheme };
  const sni = text(o, "sni", HOST, true);
  if (sni !== undefined) req.sni = sni;
  return req;
}

/** Parses an answer frame body strictly (see the module doc). */
export function parseWireAnswer(body: Uint8Array): WireAnswer {
  const o = parseFlat(body);
  only(o, ["id", "decision", "reason", "message", "request_id"]);
  const decision = text(o, "decision", /^(?:allow|deny)$/) as "allow" | "deny";
  const a: WireAnswer = { id: text(o, "id", ID)!, decision };
  const requestId = text(o, "request_id", ID, true);
  if (requestId !== undefined) a.request_id = requestId;
  if (decision === "allow") {
    if (o.reason !== undefined || o.message !== undefined) {
      throw new WireError("Cannot read a frame: an allow carries no reason or message");
    }
    return a;
  }
  const reason = text(o, "reason", /^[a-z_]{1,40}$/)!;
  if (!DENY_REASONS.has(reason)) throw new WireError(`Cannot read a frame: reason "${reason}"`);
  a.reason = reason as ClearanceDenyReason;
  const message = text(o, "message", PRINTABLE, true);
  if (message !== undefined) {
    if (message.length > 253) throw new WireError("Cannot read a frame: message too long");
    a.message = message;
  }
  return a;
}

/** The wire form of a desk's answer to request `id`. */
export function wireAnswerOf(id: string, answer: ClearanceAnswer): WireAnswer {
  const out: WireAnswer = { id, decision: answer.decision };
  if (answer.request_id !== null && ID.test(answer.request_id)) {
    out.request_id = answer.request_id;
  }
  if (answer.decision === "deny") {
    out.reason = answer.reason;
    out.message = answer.message;
  }
  return out;
}
