/**
 * The line protocol between a jailed child and its host: one JSON object per stdout line with a
 * `zu_jail` key. Anything else the child prints is passed through as output. The child's final
 * answer is typed per mode (`jail_result.ts`).
 *
 * @module
 */
import type { Event } from "../../core/events.ts";
import type { JailMode, JailResults } from "./jail_result.ts";

/** An event emitted inside the child. */
export interface EventMessage {
  /** Discriminator. */
  zu_jail: "event";
  /** The event (not yet linked by the host's sink). */
  event: Event;
}

/** The child's final answer. */
export interface ResultMessage {
  /** Discriminator. */
  zu_jail: "result";
  /** The mode's answer; checked by {@link parseJailResult} on the host. */
  result: JailResults[JailMode];
}

/** The child failed in a way the host should report. */
export interface ErrorMessage {
  /** Discriminator. */
  zu_jail: "error";
  /** `usage`/`config_invalid` etc. for a user error, `bug` otherwise. */
  code: string;
  /** A user error (exit 2), not a bug. */
  user: boolean;
  /** One line. */
  message: string;
  /** Stack for bugs. */
  stack?: string;
}

/** Progress of long work (harden variants). */
export interface ProgressMessage {
  /** Discriminator. */
  zu_jail: "progress";
  /** Units done. */
  done: number;
  /** Units in all. */
  total: number;
}

/** The child asks the host to run a host-executed (tier-2) tool; the reply comes on its stdin. */
export interface ToolCallMessage {
  /** Discriminator. */
  zu_jail: "tool_call";
  /** Request id, unique within the run; the reply carries it. */
  id: number;
  /** Tool registry name (`render_dom`, `browser`). */
  tool: string;
  /** The model's arguments, already checked by the child. */
  args: Record<string, unknown>;
  /** The run's trace id (keys the run's browser session). */
  trace_id: string;
}

/** How a failed host-executed call is described to the child. */
export interface ToolCallError {
  /** One line. */
  message: string;
  /** The error's name (`SecurityBlock`, `TypeError`, ...). */
  name: string;
  /** `ZuError` code, when it was one. */
  code?: string;
  /** `SecurityBlock` kind, when it was one. */
  kind?: string;
  /** `SecurityBlock` target, when it was one. */
  target?: string | null;
}

/** The host's answer to a {@link ToolCallMessage}, written as a line on the child's stdin. */
export interface ToolResultMessage {
  /** Discriminator. */
  zu_jail: "tool_result";
  /** The request's id. */
  id: number;
  /** The tool's observation (also error observations such as "no Docker daemon"). */
  observation?: Record<string, unknown>;
  /** The tool threw: the child rethrows it (a `SecurityBlock` stays one). */
  error?: ToolCallError;
}

/** Any protocol message. */
export type JailMessage =
  | EventMessage
  | ResultMessage
  | ErrorMessage
  | ProgressMessage
  | ToolCallMessage
  | ToolResultMessage;

/** Parses one line; `null` when it is not a protocol message. */
export function parseJailLine(line: string): JailMessage | null {
  if (!line.startsWith('{"zu_jail"')) return null;
  try {
    const v = JSON.parse(line) as JailMessage;
    if (v && typeof v === "object" && typeof v.zu_jail === "string") return v;
  } catch {
    return null;
  }
  return null;
}

const enc = new TextEncoder();

/** Writes one protocol message as a line on stdout (synchronously, so order is kept). */
export function writeJailLine(msg: JailMessage): void {
  let bytes = enc.encode(JSON.stringify(Object.assign({ zu_jail: msg.zu_jail }, msg)) + "\n");
  while (bytes.length) bytes = bytes.subarray(Deno.stdout.writeSync(bytes));
}
