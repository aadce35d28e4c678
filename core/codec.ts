/**
 * The payload codec seam: a stored blob is one version byte followed by the codec's body, so a
 * log may mix codecs and every row is read with its own.
 *
 * Version 0 is {@link IdentityCodec} (UTF-8, AAD ignored). AES-GCM codecs (1 and 2) live in
 * `sinks/encryption/`.
 *
 * @example
 * ```ts
 * import { decodePayload, encodePayload, IdentityCodec, rowAad } from "./codec.ts";
 * const codec = new IdentityCodec();
 * const aad = rowAad({ event_id: "e", trace_id: "t", task_id: "t", type: "harness.x", source: "loop" });
 * const blob = await encodePayload(codec, '{"a":1}', aad);
 * console.assert(blob[0] === 0 && (await decodePayload(blob, aad, [codec])) === '{"a":1}');
 * ```
 * @module
 */
import { DecryptError } from "./errors.ts";
import type { PayloadCodec } from "./types.ts";

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * A codec that can also work synchronously (every codec zu ships). Sinks use the synchronous
 * methods when present, to keep a transaction free of awaits.
 */
export interface SyncPayloadCodec extends PayloadCodec {
  /** Like `encodeBody`, synchronously; throws instead of rejecting. */
  encodeBodySync(plaintext: string, aad: Uint8Array): Uint8Array;
  /** Like `decodeBody`, synchronously; throws instead of rejecting. */
  decodeBodySync(body: Uint8Array, aad: Uint8Array): string;
}

/** True when `codec` has the synchronous methods of {@link SyncPayloadCodec}. */
export function isSyncCodec(codec: PayloadCodec): codec is SyncPayloadCodec {
  const c = codec as Partial<SyncPayloadCodec>;
  return typeof c.encodeBodySync === "function" && typeof c.decodeBodySync === "function";
}

/** Version 0: the body is the UTF-8 text; the AAD is ignored. */
export class IdentityCodec implements SyncPayloadCodec {
  /** Always 0. */
  readonly version = 0;
  /** UTF-8 of `plaintext`. */
  encodeBody(plaintext: string, aad: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve(this.encodeBodySync(plaintext, aad));
  }
  /** The UTF-8 text of `body`. Rejects with `DecryptError` on invalid UTF-8. */
  decodeBody(body: Uint8Array, aad: Uint8Array): Promise<string> {
    try {
      return Promise.resolve(this.decodeBodySync(body, aad));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  /** UTF-8 of `plaintext`. */
  encodeBodySync(plaintext: string, _aad: Uint8Array): Uint8Array {
    return encoder.encode(plaintext);
  }
  /** The UTF-8 text of `body`; throws `DecryptError` on invalid UTF-8. */
  decodeBodySync(body: Uint8Array, _aad: Uint8Array): string {
    try {
      return strictDecoder.decode(body);
    } catch (e) {
      throw new DecryptError("Cannot decode body: it is not valid UTF-8", { cause: e });
    }
  }
}

/** The columns of a row that its AAD binds. */
export interface RowAadFields {
  /** Event id. */
  readonly event_id: string;
  /** Trace id. */
  readonly trace_id: string;
  /** Task id. */
  readonly task_id: string;
  /** Event type. */
  readonly type: string;
  /** Event source. */
  readonly source: string;
}

/** zu's row AAD: UTF-8 of `event_id ␟ trace_id ␟ task_id ␟ type ␟ source` (U+001F separators). */
export function rowAad(row: RowAadFields): Uint8Array {
  return encoder.encode(
    `${row.event_id}\x1f${row.trace_id}\x1f${row.task_id}\x1f${row.type}\x1f${row.source}`,
  );
}

/** Checks a codec's version byte. Throws `RangeError` when it is not 0..255. */
export function checkCodecVersion(codec: PayloadCodec): number {
  const v = codec.version;
  if (!Number.isInteger(v) || v < 0 || v > 255) {
    throw new RangeError(`Cannot use codec: version "${String(v)}" must be an integer in 0..255`);
  }
  return v;
}

/** Synchronous {@link encodePayload} for a {@link SyncPayloadCodec}. */
export function encodePayloadSync(
  codec: SyncPayloadCodec,
  plaintext: string,
  aad: Uint8Array,
): Uint8Array {
  const version = checkCodecVersion(codec);
  if (codec instanceof IdentityCodec && version === 0) {
    // The version byte 0 is the UTF-8 of U+0000: one encode, one allocation.
    return encoder.encode("\u0000" + plaintext);
  }
  const body = codec.encodeBodySync(plaintext, aad);
  const blob = new Uint8Array(body.length + 1);
  blob[0] = version;
  blob.set(body, 1);
  return blob;
}

/** The blob: the codec's version byte followed by its body. */
export async function encodePayload(
  codec: PayloadCodec,
  plaintext: string,
  aad: Uint8Array,
): Promise<Uint8Array> {
  const version = checkCodecVersion(codec);
  const body = await codec.encodeBody(plaintext, aad);
  const blob = new Uint8Array(body.length + 1);
  blob[0] = version;
  blob.set(body, 1);
  return blob;
}

/** Codecs by version; {@link decodePayload} accepts this or a list. */
export type CodecRegistry = ReadonlyMap<number, PayloadCodec> | readonly PayloadCodec[];

/** Options of {@link decodePayload}. */
export interface DecodePayloadOptions {
  /** Names the event in error messages. */
  eventId?: string;
}

function lookup(codecs: CodecRegistry, version: number): PayloadCodec | undefined {
  if (Array.isArray(codecs)) {
    return (codecs as readonly PayloadCodec[]).find((c) => c.version === version);
  }
  return (codecs as ReadonlyMap<number, PayloadCodec>).get(version);
}

function known(codecs: CodecRegistry): string {
  const versions = Array.isArray(codecs)
    ? (codecs as readonly PayloadCodec[]).map((c) => c.version)
    : [...(codecs as ReadonlyMap<number, PayloadCodec>).keys()];
  return versions.sort((a, b) => a - b).join(", ") || "none";
}

function target(options: DecodePayloadOptions): string {
  return options.eventId === undefined ? "payload" : `event "${options.eventId}"`;
}

// The codec the blob's first byte names; throws naming `what` when the blob is empty or no codec
// is configured for that version.
function codecOf(blob: Uint8Array, codecs: CodecRegistry, what: string): PayloadCodec {
  if (blob.length === 0) throw new DecryptError(`Cannot decode ${what}: the stored blob is empty`);
  const version = blob[0]!;
  const codec = lookup(codecs, version);
  if (codec === undefined) {
    throw new DecryptError(
      `Cannot decode ${what}: codec version ${version} is not configured (configured: ${
        known(codecs)
      })`,
      { code: "codec_unknown" },
    );
  }
  return codec;
}

function decodeFailed(what: string, version: number, e: unknown): DecryptError {
  const why = e instanceof Error ? e.message : String(e);
  return new DecryptError(`Cannot decode ${what} with codec version ${version}: ${why}`, {
    cause: e,
  });
}

/**
 * Synchronous {@link decodePayload}; returns `null` when the blob's codec is not synchronous (use
 * the async form then). Throws the same errors.
 */
export function decodePayloadSync(
  blob: Uint8Array,
  aad: Uint8Array,
  codecs: CodecRegistry,
  options: DecodePayloadOptions = {},
): string | null {
  const what = target(options);
  const codec = codecOf(blob, codecs, what);
  if (!isSyncCodec(codec)) return null;
  try {
    return codec.decodeBodySync(blob.subarray(1), aad);
  } catch (e) {
    throw decodeFailed(what, blob[0]!, e);
  }
}

/**
 * Decodes a blob with the codec its first byte names. Rejects with `DecryptError` (code
 * `codec_unknown`) naming the version when no codec is configured for it, and with `DecryptError`
 * naming the event and codec when decryption fails (wrong key, tampered blob or AAD).
 */
export async function decodePayload(
  blob: Uint8Array,
  aad: Uint8Array,
  codecs: CodecRegistry,
  options: DecodePayloadOptions = {},
): Promise<string> {
  const what = target(options);
  const codec = codecOf(blob, codecs, what);
  try {
    if (isSyncCodec(codec)) return codec.decodeBodySync(blob.subarray(1), aad);
    return await codec.decodeBody(blob.subarray(1), aad);
  } catch (e) {
    throw decodeFailed(what, blob[0]!, e);
  }
}
