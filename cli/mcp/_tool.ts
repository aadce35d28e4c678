/**
 * One MCP tool of zu: its name, description and arguments, and what a call does. A refusal is a
 * {@link ToolError}: the assistant gets its one line as an error result.
 *
 * @module
 */
import type { Args, ArgsSpec } from "./_tool_args.ts";
import type { CliCall, McpDoors } from "./doors.ts";

/** What a tool call gets besides its arguments. */
export interface ToolContext {
  /** The CLI's doors. */
  doors: McpDoors;
  /** Aborted when the client cancels the call or the server stops. */
  signal: AbortSignal;
  /** Reports progress to the client, when it asked for it (`_meta.progressToken`). */
  progress?: (done: number, message: string) => void;
}

/** One tool. */
export interface McpTool {
  /** Its name in `tools/list`. */
  name: string;
  /** What it does, for the assistant. */
  description: string;
  /** Its arguments. */
  args: ArgsSpec;
  /** Runs a call with checked arguments; returns the value shown (as bounded JSON). */
  call(args: Args, ctx: ToolContext): Promise<unknown>;
}

/** A refused call: `message` is one line for the assistant. */
export class ToolError extends Error {
  /** A refusal of the call with one line. */
  constructor(message: string) {
    super(message);
    this.name = "ToolError";
  }
}

/** The first non-empty line of `text`, without a leading `error: `. */
export function firstLine(text: string): string {
  const line = text.split("\n").map((l) => l.trim()).find((l) => l.length > 0) ?? "";
  return line.replace(/^error:\s*/, "");
}

/** `path` as a positional argument: one starting with `-` gets `./` so it is never a flag. */
export function pathArg(path: string): string {
  return path.startsWith("-") ? `./${path}` : path;
}

/** A string argument, or undefined. */
export function strArg(args: Args, name: string): string | undefined {
  const v = args[name];
  return typeof v === "string" ? v : undefined;
}

/**
 * Runs `zu <args> --json` through the CLI door and returns its JSON answer. A command that
 * refused (its JSON error, or an `error:` line) is a {@link ToolError} with that one line.
 */
export async function cliJson(ctx: ToolContext, args: readonly string[]): Promise<unknown> {
  const call: CliCall = await ctx.doors.cli([...args, "--json"], ctx.signal);
  let parsed: unknown;
  try {
    parsed = JSON.parse(call.stdout);
  } catch {
    const why = firstLine(call.stderr.split("\n").filter((l) => l.startsWith("error:")).join("\n"));
    throw new ToolError(`${args[0]}: ${why || `failed (exit ${call.code}) with no answer`}`);
  }
  if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
    const p = parsed as { ok?: unknown; status?: unknown; error?: { message?: unknown } };
    if (p.ok === false && p.status === "error" && p.error) {
      throw new ToolError(`${args[0]}: ${firstLine(String(p.error.message ?? "failed"))}`);
    }
  }
  return parsed;
}

/** `--name=value` for each defined value (the `=` form: a value never reads as a flag). */
export function flagArgs(flags: Record<string, string | number | undefined>): string[] {
  return Object.entries(flags).filter(([, v]) => v !== undefined).map(([k, v]) => `--${k}=${v}`);
}
