/**
 * How a command names an event log: one syntax, parsed here and used by every `--db`, `--from`
 * and `--to` flag.
 *
 * - a path: an SQLite file, or a `.jsonl` trace (the driver follows the extension);
 * - `postgres://…` or `postgresql://…`: a PostgreSQL log (shown with its password masked; prefer
 *   the next form, since a command line is visible to every user of the machine);
 * - `env:NAME`: the PostgreSQL URL held by the environment variable `NAME` (e.g. `env:ZU_PG_URL`).
 *
 * A server log opens through the sink registry's `postgres` driver with `options.url_env` naming
 * the variable, exactly as an agent file's `event_sink` does: the URL never enters a config block.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import { maskUrlPassword } from "../core/mask_url.ts";
import type { EnvReader, EventSinkConfig } from "../core/types.ts";
import { sinkConfigForPath, sinkRegistry } from "../sinks/mod.ts";
import { isPostgresUrl } from "../sinks/postgres_grants.ts";
import type { CliIo } from "./_io.ts";
import { resolvePath } from "./_event_log.ts";

/** One line for `--help`: what a log reference may be. */
export const LOG_REF_HELP =
  "an SQLite file, a .jsonl trace, postgres://… or env:NAME (a variable holding a postgres URL)";

/** The registry driver that opens a server log. */
export const SERVER_LOG_DRIVER = "postgres";

/** The variable a URL given on the command line is handed to the driver under (never exported). */
export const CLI_URL_ENV = "ZU_CLI_LOG_URL";

/** A parsed log reference: the sink block to open, the environment to open it with, and a name. */
export interface LogTarget {
  /** The sink block (for a server log: driver `postgres`, `options.url_env`). */
  config: EventSinkConfig;
  /** The environment the block is opened against (holds the URL of a command-line URL). */
  env: EnvReader;
  /** How to name the log in messages: the path, `env:NAME`, or the URL with its password masked. */
  shown: string;
  /** The absolute file, or null for a server log. */
  file: string | null;
}

/** True when `text` names a server log (a URL or `env:NAME`) rather than a file. */
export function isServerLogRef(text: string): boolean {
  return isPostgresUrl(text) || text.startsWith("env:");
}

function serverConfig(urlEnv: string, shown: string): EventSinkConfig {
  if (!sinkRegistry.has(SERVER_LOG_DRIVER)) {
    throw new UserError(
      "config_invalid",
      `Cannot open the event log "${shown}": this zu has no "${SERVER_LOG_DRIVER}" sink driver (known: ${
        sinkRegistry.names().join(", ")
      })`,
    );
  }
  return {
    driver: SERVER_LOG_DRIVER,
    path: null,
    encryption: "none",
    options: { url_env: urlEnv },
  };
}

/**
 * Parses `text` (see the module doc) against `io` (the working directory and environment).
 * `flag` names the flag in messages. Every problem is a one-line `UserError`; no message holds
 * a password.
 */
export function parseLogRef(io: CliIo, text: string, flag = "--db"): LogTarget {
  const env: EnvReader = (k) => io.env(k);
  if (text.startsWith("env:")) {
    const name = text.slice(4);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UserError(
        "usage",
        `${flag} "${text}": env: takes a variable name, e.g. ${flag} env:ZU_PG_URL`,
      );
    }
    const value = io.env(name) ?? "";
    if (value.trim() === "") {
      throw new UserError(
        "key_missing",
        `Cannot open the event log ${flag} ${text}: $${name} is not set; export it as postgres://user:password@host:5432/db`,
      );
    }
    if (!isPostgresUrl(value)) {
      throw new UserError(
        "usage",
        `${flag} ${text}: $${name} does not hold a postgres:// URL; pass a file path as ${flag} <path>`,
      );
    }
    return { config: serverConfig(name, text), env, shown: text, file: null };
  }
  if (isPostgresUrl(text)) {
    const shown = maskUrlPassword(text);
    return {
      config: serverConfig(CLI_URL_ENV, shown),
      env: (k) => k === CLI_URL_ENV ? text : io.env(k),
      shown,
      file: null,
    };
  }
  const file = resolvePath(io.cwd, text);
  return { config: sinkConfigForPath(file), env, shown: text, file };
}
