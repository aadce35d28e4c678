/**
 * The capture bundle: zu's `fixtures/capture.json`, `{task, model, moves, observations}`, read and
 * written byte-compatibly (Python `json.dumps(indent=2)`, ASCII-escaped, no final newline), plus
 * an optional `zu_bundle_version`. On disk it is plain JSON or a managed AES-GCM blob (codec 2,
 * `ZU_FIXTURE_KEY` under key id `fixture`, AAD `zu-fixture-capture/v1`); a first byte in
 * `{ \t\r\n` means plain JSON, as in zu.
 *
 * @example
 * ```ts
 * import { parseBundle, serializeBundle } from "./bundle.ts";
 * const text = '{\n  "task": "q",\n  "model": null,\n  "moves": [],\n  "observations": {}\n}';
 * console.assert(serializeBundle(parseBundle(text)) === text);
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../core/canonical_json.ts";
import { UserError } from "../core/errors.ts";
import { parseJson } from "../core/json.ts";
import type { KeyProvider } from "../core/types.ts";
import { ManagedAesGcmCodec } from "../sinks/encryption/managed_aes_gcm_codec.ts";
import { type EnvLike, fixtureKeyProvider } from "./_fixture_keys.ts";
import { pyDumps } from "../core/python/mod.ts";
import type { AttackRecord } from "./perturb/attack_record.ts";
import { OPERATOR_ONLY_REASON, operatorOnlyKeyIn } from "../core/operator_only_keys.ts";

export { FIXTURE_KEY_ID, fixtureKeyProvider } from "./_fixture_keys.ts";
export type { EnvLike } from "./_fixture_keys.ts";

/** The additional data that binds an encrypted bundle (zu's). */
export const FIXTURE_AAD = "zu-fixture-capture/v1";
/** The bundle format version this code writes and the highest it reads. */
export const BUNDLE_VERSION = 1;
/** Where a bundle lives inside an agent directory. */
export const BUNDLE_RELATIVE_PATH = "fixtures/capture.json";

/** One recorded tool observation (`{status, html, url}` for http_fetch). */
export type Observation = Record<string, unknown>;

/** A scripted tool-call move. */
export interface ToolMove {
  /** Tool name. */
  tool: string;
  /** Arguments. */
  args?: Record<string, unknown>;
  /** Token usage. */
  usage?: Record<string, unknown>;
}

/** A scripted text move (the final answer). */
export interface TextMove {
  /** The answer text (JSON of the result value in a capture). */
  text?: string | null;
  /** Why it stopped. Default `stop`. */
  finish?: "stop" | "tool_calls" | "length";
  /** Token usage. */
  usage?: Record<string, unknown>;
}

/** One move of the script. */
export type Move = ToolMove | TextMove;

/** In-memory annotations a perturbation may add; never written to disk. */
export interface BundleOverlay {
  /** Names of the perturbations applied, in order. */
  perturbations?: string[];
  /** Text appended to a tool's description (the poisoned-tool-description perturbation). */
  toolDescriptionAppend?: Record<string, string>;
  /**
   * What adversarial perturbations planted: canaries, the attacker's URLs, one record per attack
   * and the pages planted URLs answer with (a two-stage attack's second hop).
   */
  attack?: {
    canaries: string[];
    urls: string[];
    records?: AttackRecord[];
    pages?: Record<string, string>;
  };
}

/** A capture bundle. Unknown top-level keys are kept and written back in place. */
export interface Bundle {
  /** The query it was captured for. */
  task: string;
  /** The model that found the path, or null. */
  model: string | null;
  /** The script: one move per tool call, then a text move. */
  moves: Move[];
  /** Recorded observations per tool, in call order. */
  observations: Record<string, Observation[]>;
  /** Optional format version (ours; zu ignores it). */
  zu_bundle_version?: number;
  /** In-memory annotations (dropped by {@link serializeBundle}). */
  overlay?: BundleOverlay;
  /** Any other top-level key read from disk. */
  [extra: string]: unknown;
}

/** True when `move` is a tool call. */
export function isToolMove(move: Move): move is ToolMove {
  return "tool" in move;
}

const TOOL_KEYS = new Set(["tool", "args", "usage"]);
const TEXT_KEYS = new Set(["text", "finish", "usage"]);
const FINISHES = new Set(["stop", "tool_calls", "length"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function invalid(path: string, what: string): UserError {
  return new UserError("bundle_invalid", `Cannot load bundle "${path}": ${what}`);
}

function checkMove(m: unknown, i: number, path: string): void {
  if (!isObject(m)) throw invalid(path, `moves[${i}] must be an object`);
  const isTool = "tool" in m;
  const allowed = isTool ? TOOL_KEYS : TEXT_KEYS;
  for (const k of Object.keys(m)) {
    if (!allowed.has(k)) {
      throw invalid(
        path,
        `moves[${i}] has unknown key "${k}" (a ${isTool ? "tool" : "text"} move takes ${
          [...allowed].map((a) => `"${a}"`).join(", ")
        })`,
      );
    }
  }
  if (m.usage !== undefined && !isObject(m.usage)) {
    throw invalid(path, `moves[${i}].usage must be an object`);
  }
  if (isTool) {
    if (typeof m.tool !== "string" || m.tool === "") {
      throw invalid(path, `moves[${i}].tool must be a non-empty string`);
    }
    if (m.args !== undefined && !isObject(m.args)) {
      throw invalid(path, `moves[${i}].args must be an object`);
    }
    return;
  }
  if (Object.keys(m).length === 0) throw invalid(path, `moves[${i}] is empty`);
  if (m.text !== undefined && m.text !== null && typeof m.text !== "string") {
    throw invalid(path, `moves[${i}].text must be a string`);
  }
  if (m.finish !== undefined && (typeof m.finish !== "string" || !FINISHES.has(m.finish))) {
    throw invalid(path, `moves[${i}].finish must be one of "stop", "tool_calls", "length"`);
  }
}

/**
 * Checks the shape of a parsed bundle and returns it typed. Throws one `UserError`
 * (`bundle_invalid`) naming the path and the first thing wrong.
 */
export function validateBundle(value: unknown, path = "<memory>"): Bundle {
  if (!isObject(value)) throw invalid(path, "the top level must be a JSON object");
  const operatorKey = operatorOnlyKeyIn(value);
  if (operatorKey !== null) throw invalid(path, `"${operatorKey}" ${OPERATOR_ONLY_REASON}`);
  if (typeof value.task !== "string") throw invalid(path, `"task" must be a string`);
  if (value.model !== undefined && value.model !== null && typeof value.model !== "string") {
    throw invalid(path, `"model" must be a string or null`);
  }
  if (!Array.isArray(value.moves)) throw invalid(path, `"moves" must be a list`);
  value.moves.forEach((m, i) => checkMove(m, i, path));
  const obs = value.observations ?? {};
  if (!isObject(obs)) throw invalid(path, `"observations" must be an object of lists`);
  for (const [tool, list] of Object.entries(obs)) {
    if (!Array.isArray(list)) throw invalid(path, `observations.${tool} must be a list`);
    list.forEach((o, i) => {
      if (!isObject(o)) throw invalid(path, `observations.${tool}[${i}] must be an object`);
    });
  }
  const v = value.zu_bundle_version;
  if (v !== undefined) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      throw invalid(path, `"zu_bundle_version" must be a positive integer`);
    }
    if (v > BUNDLE_VERSION) {
      throw invalid(
        path,
        `"zu_bundle_version" ${v} is newer than this zu reads (${BUNDLE_VERSION})`,
      );
    }
  }
  if ("overlay" in value) throw invalid(path, `"overlay" is reserved and must not be on disk`);
  if (value.model === undefined) value.model = null;
  if (value.observations === undefined) value.observations = {};
  return value as Bundle;
}

/** Parses plain bundle JSON text (see {@link validateBundle} for errors). */
export function parseBundle(text: string, path = "<memory>"): Bundle {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (err) {
    throw invalid(path, `it is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return validateBundle(value, path);
}

/** The bundle as zu writes it: `json.dumps(bundle, indent=2)`, no final newline. */
export function serializeBundle(bundle: Bundle): string {
  const { overlay: _overlay, ...rest } = bundle;
  return pyDumps(rest, { indent: 2 });
}

/**
 * zu's identity hash: `"sha256:" + sha256(sorted-key compact JSON)` of `{task, model, moves,
 * observations}` (the fields zu keeps; our version field and overlays do not change it).
 */
export function contentHash(bundle: Bundle): string {
  const body = canonicalJson({
    task: bundle.task,
    model: bundle.model,
    moves: bundle.moves,
    observations: bundle.observations,
  });
  return "sha256:" + createHash("sha256").update(body, "utf8").digest("hex");
}

/** A deep copy of a JSON value: arrays and plain objects are copied, scalars (and frozen floats) shared. */
export function deepCopy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(deepCopy) as T;
  if (value !== null && typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = deepCopy(v);
    return out as T;
  }
  return value;
}

/** A deep copy of a bundle (overlays included). */
export function cloneBundle(bundle: Bundle): Bundle {
  return deepCopy(bundle);
}

/** Options of the encrypted forms. */
export interface BundleCryptoOptions {
  /** Keys. Default: from `env` as zu does; null means plain. */
  keys?: KeyProvider | null;
  /** Environment to read keys from when `keys` is not given. Default `{}` (plain). */
  env?: EnvLike;
}

function keysOf(options: BundleCryptoOptions): KeyProvider | null {
  if (options.keys !== undefined) return options.keys;
  return options.env === undefined ? null : fixtureKeyProvider(options.env);
}

const AAD_BYTES = new TextEncoder().encode(FIXTURE_AAD);

/** The bytes to write: plain UTF-8 JSON, or `0x02 ‖ managed body` when a key is set. */
export async function encodeBundle(
  bundle: Bundle,
  options: BundleCryptoOptions = {},
): Promise<Uint8Array> {
  const text = serializeBundle(bundle);
  const keys = keysOf(options);
  if (keys === null) return new TextEncoder().encode(text);
  const body = await new ManagedAesGcmCodec(keys).encodeBody(text, AAD_BYTES);
  const out = new Uint8Array(body.length + 1);
  out[0] = 2;
  out.set(body, 1);
  return out;
}

/** Reads bundle bytes (plain or encrypted). Errors are one `UserError` naming `path`. */
export async function decodeBundle(
  bytes: Uint8Array,
  path = "<memory>",
  options: BundleCryptoOptions = {},
): Promise<Bundle> {
  const first = bytes[0];
  if (first === undefined) throw invalid(path, "the file is empty");
  // UTF-8 BOM or one of `{ \t\r\n`: plain JSON.
  if (first === 0x7b || first === 0x20 || first === 0x09 || first === 0x0d || first === 0x0a) {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw invalid(path, "it is not UTF-8 text");
    }
    return parseBundle(text, path);
  }
  if (first !== 2) {
    throw invalid(path, `it is neither JSON nor a managed encrypted bundle (codec byte ${first})`);
  }
  const keys = keysOf(options);
  if (keys === null) {
    throw invalid(path, "it is encrypted and no key is set (set ZU_FIXTURE_KEY)");
  }
  let text: string;
  try {
    text = await new ManagedAesGcmCodec(keys).decodeBody(bytes.subarray(1), AAD_BYTES);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw invalid(path, `cannot decrypt it — wrong key, or the file was altered (${why})`);
  }
  return parseBundle(text, path);
}

/** Reads a bundle file. A missing file is a `UserError` telling the user to capture one. */
export async function readBundle(path: string, options: BundleCryptoOptions = {}): Promise<Bundle> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new UserError(
        "bundle_missing",
        `Cannot load bundle "${path}": the file does not exist (run "zu capture" once to record one)`,
      );
    }
    throw err;
  }
  return await decodeBundle(bytes, path, options);
}

/** Writes a bundle file (encrypted when a key is given or found in `env`). */
export async function writeBundle(
  path: string,
  bundle: Bundle,
  options: BundleCryptoOptions = {},
): Promise<void> {
  await Deno.writeFile(path, await encodeBundle(bundle, options));
}

/** `<agentDir>/fixtures/capture.json`. */
export function bundlePath(agentDir: string): string {
  return `${agentDir.replace(/\/+$/, "")}/${BUNDLE_RELATIVE_PATH}`;
}
