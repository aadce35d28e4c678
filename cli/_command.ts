/**
 * Declarative commands: one definition per command, from which both argument parsing
 * (`node:util` `parseArgs`) and `--help` are generated, so the two can never disagree.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { closestName, didYouMean } from "../core/did_you_mean.ts";
import { UserError } from "../core/errors.ts";
import type { CliIo } from "./_io.ts";
import { warningsOf } from "./_warnings.ts";

/** The type of a flag's value. `list` is a comma-separated string that parses to `string[]`. */
export type FlagType = "boolean" | "string" | "number" | "list";

/** One `--flag`. */
export interface FlagDef {
  /** Value type. */
  type: FlagType;
  /** One line of help. */
  description: string;
  /** One-letter alias. */
  short?: string;
  /** Default value (shown in help). */
  default?: boolean | string | number | string[];
  /** Placeholder in help (`<path>`); defaults from the type. */
  placeholder?: string;
  /** Allowed values (strings and list items). */
  choices?: readonly string[];
  /** A `string` flag that may be repeated: its value is then `string[]` (empty when absent). */
  multiple?: boolean;
}

/** One positional argument. */
export interface PositionalDef {
  /** Name shown in help. */
  name: string;
  /** One line of help. */
  description: string;
  /** May be omitted. Default false. */
  optional?: boolean;
  /** Collects the rest. Default false. */
  variadic?: boolean;
  /** Left out of the help (a trap the command checks itself). Default false. */
  hidden?: boolean;
}

/** Parsed values handed to a command's `run`. */
export interface Parsed {
  /** Flag values by name (defaults applied). */
  flags: Record<string, boolean | string | number | string[] | undefined>;
  /** Positional arguments in order. */
  positionals: string[];
  /** Arguments after a bare `--`. */
  rest: string[];
}

/** What a command's `run` receives. */
export interface CommandContext extends Parsed {
  /** The process seam. */
  io: CliIo;
  /** The full command path, e.g. `["zu", "events", "list"]`. */
  path: string[];
}

/** A command (or a group of subcommands). */
export interface CommandDef {
  /** Name as typed. */
  name: string;
  /** One line shown in lists. */
  summary: string;
  /** Longer help text (paragraphs). */
  description?: string;
  /** Flags (without `help`, which every command gets). */
  flags?: Record<string, FlagDef>;
  /** Positionals in order. */
  positionals?: PositionalDef[];
  /** Accepts arguments after `--`. Default false. */
  passthrough?: { name: string; description: string };
  /** Subcommands (the command is then a group). */
  subcommands?: CommandDef[];
  /** Examples shown in help. */
  examples?: string[];
  /** Runs the command; returns the exit code. */
  run?: (ctx: CommandContext) => Promise<number>;
  /** The version `--version` (or `-V`) prints, for a group (the root `zu`). Default: no flag. */
  version?: string;
}

/** Formats the `zu x y` name of a path. */
export function commandName(path: readonly string[]): string {
  return path.join(" ");
}

function placeholder(name: string, def: FlagDef): string {
  if (def.type === "boolean") return "";
  if (def.placeholder) return ` <${def.placeholder}>`;
  if (def.type === "number") return " <n>";
  if (def.type === "list") return ` <${name}[,${name}...]>`;
  return ` <${name}>`;
}

function showDefault(v: FlagDef["default"]): string {
  if (v === undefined || v === false) return "";
  if (Array.isArray(v)) return v.length ? ` (default: ${v.join(",")})` : "";
  return ` (default: ${String(v)})`;
}

const HELP_WIDTH = 100;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = "";
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    if (cur && cur.length + 1 + word.length > width) {
      lines.push(cur);
      cur = word;
    } else {
      cur = cur ? `${cur} ${word}` : word;
    }
  }
  if (cur) lines.push(cur);
  return lines.length ? lines : [""];
}

function table(rows: [string, string][], indent = 2): string {
  const width = Math.min(28, Math.max(...rows.map(([a]) => a.length)));
  const descWidth = Math.max(30, HELP_WIDTH - indent - width - 2);
  const pad = " ".repeat(indent + width + 2);
  return rows.map(([a, b]) => {
    const body = wrap(b, descWidth);
    const head = a.length > width
      ? `${" ".repeat(indent)}${a}\n${pad}${body[0]}`
      : `${" ".repeat(indent)}${a}${" ".repeat(width - a.length + 2)}${body[0]}`;
    return [head, ...body.slice(1).map((l) => `${pad}${l}`)].join("\n").trimEnd();
  }).join("\n");
}

function usageLine(def: CommandDef, path: readonly string[]): string {
  const parts = [commandName(path)];
  if (def.subcommands?.length) {
    parts.push("<command>");
  } else {
    if (Object.keys(def.flags ?? {}).length) parts.push("[options]");
    for (const p of (def.positionals ?? []).filter((p) => !p.hidden)) {
      const n = p.variadic ? `${p.name}...` : p.name;
      parts.push(p.optional ? `[${n}]` : `<${n}>`);
    }
    if (def.passthrough) parts.push(`-- <${def.passthrough.name}...>`);
  }
  return parts.join(" ");
}

/** Renders the `--help` text of a command. */
export function renderHelp(def: CommandDef, path: readonly string[]): string {
  const out: string[] = [];
  out.push(`${commandName(path)} - ${def.summary}`, "");
  out.push(`Usage: ${usageLine(def, path)}`);
  if (def.description) out.push("", def.description.trim());
  if (def.subcommands?.length) {
    out.push("", "Commands:");
    out.push(table(def.subcommands.map((s) => [s.name, s.summary])));
  }
  const pos = (def.positionals ?? []).filter((p) => !p.hidden);
  if (pos.length || def.passthrough) {
    out.push("", "Arguments:");
    const rows: [string, string][] = pos.map((p) => [p.name, p.description]);
    if (def.passthrough) rows.push([`-- ${def.passthrough.name}`, def.passthrough.description]);
    out.push(table(rows));
  }
  const rows: [string, string][] = Object.entries(def.flags ?? {}).map(([name, f]) => {
    const head = `${f.short ? `-${f.short}, ` : "    "}--${name}${placeholder(name, f)}`;
    const choices = f.choices ? ` (one of: ${f.choices.join(", ")})` : "";
    const repeat = f.multiple ? " (repeatable)" : "";
    return [head, `${f.description}${choices}${repeat}${showDefault(f.default)}`];
  });
  rows.push(["-h, --help", "Show this help"]);
  if (def.version !== undefined) rows.push(["-V, --version", "Show the version"]);
  out.push("", "Options:", table(rows));
  if (def.examples?.length) {
    out.push("", "Examples:", ...def.examples.map((e) => `  ${e}`));
  }
  if (def.subcommands?.length) {
    out.push("", `Run "${commandName(path)} <command> --help" for a command's options.`);
  }
  return out.join("\n") + "\n";
}

function see(path: readonly string[]): string {
  return `see "${commandName(path)} --help"`;
}

function usage(message: string, path: readonly string[]): UserError {
  return new UserError("usage", `${message}; ${see(path)}`);
}

function unknownFlag(raw: string, known: readonly string[], path: readonly string[]): UserError {
  const hint = raw.startsWith("--") ? didYouMean(raw.slice(2), known, "--") : "";
  return usage(`unknown flag "${raw}" for "${commandName(path)}"${hint}`, path);
}

/** Every long flag name of the commands under the group `def`. */
function descendantFlags(def: CommandDef): Set<string> {
  const out = new Set<string>();
  for (const s of def.subcommands ?? []) {
    for (const f of Object.keys(s.flags ?? {})) out.add(f);
    for (const f of descendantFlags(s)) out.add(f);
  }
  return out;
}

/**
 * The error for a flag given to a group before its command: did-you-mean against the group's own
 * flags, else a note that a command's flag (or the one closest to it) goes after the command.
 */
function groupFlag(def: CommandDef, raw: string, path: readonly string[]): UserError {
  const own = def.version !== undefined ? ["help", "version"] : ["help"];
  const name = raw.split("=")[0] ?? raw;
  if (!name.startsWith("--") || didYouMean(name.slice(2), own) !== "") {
    return unknownFlag(name, own, path);
  }
  const flags = descendantFlags(def);
  const at = `"${commandName(path)} <command> --`;
  if (flags.has(name.slice(2))) {
    return usage(`flag "${name}" goes after the command (${at}${name.slice(2)}")`, path);
  }
  const best = closestName(name.slice(2), flags);
  const hint = best === null ? "" : ` (did you mean ${at}${best}"?)`;
  return usage(`unknown flag "${name}" for "${commandName(path)}"${hint}`, path);
}

/** A request for help, found while parsing. */
export interface HelpRequest {
  /** Always true. */
  help: true;
}

/**
 * Parses `args` against `def`. Throws {@link UserError} (code `usage`) on an unknown flag, a
 * missing or malformed value, a bad choice, or a wrong number of positionals.
 */
export function parseCommand(
  def: CommandDef,
  args: readonly string[],
  path: readonly string[],
): Parsed | HelpRequest {
  const flagDefs = def.flags ?? {};
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {
    help: { type: "boolean", short: "h" },
  };
  for (const [name, f] of Object.entries(flagDefs)) {
    options[name] = { type: f.type === "boolean" ? "boolean" : "string" };
    if (f.short) options[name].short = f.short;
    if (f.multiple && f.type === "string") options[name].multiple = true;
  }
  let tokens;
  let rawValues: Record<string, unknown>;
  let rawPositionals: string[];
  try {
    const r = parseArgs({
      args: [...args],
      options,
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
    tokens = r.tokens ?? [];
    rawValues = r.values as Record<string, unknown>;
    rawPositionals = r.positionals;
  } catch (err) {
    throw usage(err instanceof Error ? err.message : String(err), path);
  }
  let terminatorAt = -1;
  for (const t of tokens) {
    if (t.kind === "option-terminator") {
      terminatorAt = t.index;
      break;
    }
    if (t.kind !== "option") continue;
    const opt = options[t.name];
    if (!opt) throw unknownFlag(t.rawName, Object.keys(options), path);
    if (opt.type === "boolean" && t.value !== undefined) {
      throw usage(`flag "${t.rawName}" of "${commandName(path)}" takes no value`, path);
    }
    if (opt.type === "string" && t.value === undefined) {
      throw usage(`flag "${t.rawName}" of "${commandName(path)}" needs a value`, path);
    }
  }
  if (rawValues.help === true) return { help: true };
  const rest = terminatorAt >= 0 ? args.slice(terminatorAt + 1) : [];
  const positionals = terminatorAt >= 0
    ? rawPositionals.slice(0, rawPositionals.length - rest.length)
    : rawPositionals;
  if (rest.length && !def.passthrough) {
    throw usage(`"${commandName(path)}" takes no arguments after "--"`, path);
  }
  const flags: Parsed["flags"] = {};
  for (const [name, f] of Object.entries(flagDefs)) {
    const raw = rawValues[name];
    if (f.multiple && f.type === "string") {
      flags[name] = Array.isArray(raw) ? raw.map(String) : [];
      continue;
    }
    if (raw === undefined) {
      flags[name] = f.default;
      continue;
    }
    if (Array.isArray(raw)) throw usage(`flag "--${name}" was given more than once`, path);
    if (f.type === "boolean") {
      flags[name] = raw === true;
    } else if (f.type === "number") {
      const n = Number(raw);
      if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(n)) {
        throw usage(`flag "--${name}" needs a number, got "${String(raw)}"`, path);
      }
      flags[name] = n;
    } else if (f.type === "list") {
      const items = String(raw).split(",").map((s) => s.trim()).filter((s) => s.length > 0);
      if (f.choices) {
        for (const i of items) {
          if (!f.choices.includes(i)) {
            throw usage(
              `flag "--${name}" does not accept "${i}" (one of: ${f.choices.join(", ")})`,
              path,
            );
          }
        }
      }
      flags[name] = items;
    } else {
      const s = String(raw);
      if (f.choices && !f.choices.includes(s)) {
        throw usage(
          `flag "--${name}" does not accept "${s}" (one of: ${f.choices.join(", ")})`,
          path,
        );
      }
      flags[name] = s;
    }
  }
  const posDefs = def.positionals ?? [];
  const variadic = posDefs.some((p) => p.variadic);
  const required = posDefs.filter((p) => !p.optional).length;
  if (positionals.length < required) {
    const missing = posDefs[positionals.length];
    throw usage(`"${commandName(path)}" needs the argument <${missing?.name ?? "?"}>`, path);
  }
  if (!variadic && positionals.length > posDefs.length) {
    const extra = positionals[posDefs.length];
    throw usage(`unexpected argument "${extra}" for "${commandName(path)}"`, path);
  }
  return { flags, positionals, rest: [...rest] };
}

/**
 * Resolves `args` to a (sub)command, parses it and runs it. Prints help on `--help`, or when a
 * group is called without a subcommand.
 */
export async function dispatch(
  def: CommandDef,
  args: readonly string[],
  path: readonly string[],
  io: CliIo,
): Promise<number> {
  if (def.subcommands?.length) {
    const first = args[0];
    if (first === undefined) {
      io.stderr(renderHelp(def, path));
      return 2;
    }
    if (first === "--help" || first === "-h" || first === "help") {
      io.stdout(renderHelp(def, path));
      return 0;
    }
    if (def.version !== undefined && (first === "--version" || first === "-V")) {
      io.stdout(`${commandName(path)} ${def.version}\n`);
      return 0;
    }
    if (first.startsWith("-")) throw groupFlag(def, first, path);
    const sub = def.subcommands.find((s) => s.name === first);
    if (!sub) {
      const hint = didYouMean(first, def.subcommands.map((s) => s.name));
      throw usage(`unknown command "${first}" for "${commandName(path)}"${hint}`, path);
    }
    return await dispatch(sub, args.slice(1), [...path, sub.name], io);
  }
  const parsed = parseCommand(def, args, path);
  if ("help" in parsed) {
    io.stdout(renderHelp(def, path));
    return 0;
  }
  if (!def.run) throw new TypeError(`Command "${commandName(path)}" has no run function`);
  return await def.run({ ...parsed, io, path: [...path] });
}

/** Reads a string flag, or `undefined`. */
export function str(ctx: Parsed, name: string): string | undefined {
  const v = ctx.flags[name];
  return typeof v === "string" ? v : undefined;
}

/** Reads a boolean flag. */
export function bool(ctx: Parsed, name: string): boolean {
  return ctx.flags[name] === true;
}

/** Reads a number flag, or `undefined`. */
export function num(ctx: Parsed, name: string): number | undefined {
  const v = ctx.flags[name];
  return typeof v === "number" ? v : undefined;
}

/** Reads a list flag or a repeated (`multiple`) flag (empty when absent). */
export function list(ctx: Parsed, name: string): string[] {
  const v = ctx.flags[name];
  return Array.isArray(v) ? v : [];
}

/**
 * `JSON.stringify` replacer: a `bigint` (an integer past 2^53 read from zu's JSON, as the Python zu
 * writes them) is printed as the JSON number it is, not refused.
 */
function bigintAsNumber(_key: string, value: unknown): unknown {
  // JSON.rawJSON (V8, Deno 2) is not in TypeScript's lib yet.
  const raw = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
  return typeof value === "bigint" ? raw(value.toString()) : value;
}

/**
 * Writes `value` as pretty JSON plus a newline to stdout. When the command loaded an agent, an
 * object gets a `warnings` array (the agent file's warnings, empty when there are none).
 */
export function printJson(io: CliIo, value: unknown): void {
  const warnings = warningsOf(io);
  let out = value;
  if (warnings !== undefined && value !== null && typeof value === "object") {
    const toJSON = (value as { toJSON?: () => unknown }).toJSON;
    const plain = typeof toJSON === "function" ? toJSON.call(value) : value;
    if (plain !== null && typeof plain === "object" && !Array.isArray(plain)) {
      out = { ...plain, warnings: [...warnings] };
    }
  }
  io.stdout(JSON.stringify(out, bigintAsNumber, 2) + "\n");
}
