/**
 * `openPostgresSink`: the `postgres` sink driver's opener. The URL comes only from the
 * environment variable named by `url_env` (default `ZU_PG_URL`), never from agent-file text;
 * `ssl` is `disable`, `require` or `verify-full`; `ca_file` is read relative to the agent
 * directory.
 *
 * @example
 * ```ts ignore
 * import { openPostgresSink } from "./open_postgres_sink.ts";
 * const sink = await openPostgresSink({ extra: { url_env: "ZU_PG_URL", schema: "zu" } });
 * await sink.close();
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";
import type { SinkOpenOptions } from "../sink_driver.ts";
import { DEFAULT_PG_URL_ENV } from "../postgres_grants.ts";
import type { PgSslMode } from "./pg_connect.ts";
import { PostgresSink } from "./postgres_sink.ts";

/** The default variable holding the server URL (the one rule: `sinks/postgres_grants.ts`). */
export const DEFAULT_URL_ENV: string = DEFAULT_PG_URL_ENV;

const SSL_MODES: readonly PgSslMode[] = ["disable", "require", "verify-full"];

function bad(message: string): UserError {
  return new UserError("config_invalid", `Cannot open event_sink (driver "postgres"): ${message}`);
}

/** Opens a {@link PostgresSink} from a resolved `postgres` block. Problems are one-line `UserError`s. */
export async function openPostgresSink(o: SinkOpenOptions): Promise<PostgresSink> {
  const extra = o.extra ?? {};
  const urlEnv = typeof extra.url_env === "string" ? extra.url_env : DEFAULT_URL_ENV;
  const env = o.env ?? ((name: string) => Deno.env.get(name));
  const url = env(urlEnv)?.trim();
  if (!url) {
    throw bad(
      `variable "${urlEnv}" (options.url_env) is not set; export the server URL in it (postgres://user:password@host:port/db)`,
    );
  }
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw bad(`variable "${urlEnv}" does not hold a postgres:// URL`);
  }
  const ssl = (extra.ssl ?? "disable") as PgSslMode;
  if (!SSL_MODES.includes(ssl)) {
    throw bad(
      `options.ssl must be one of "disable", "require", "verify-full", got "${String(ssl)}"`,
    );
  }
  let ca: string | undefined;
  if (typeof extra.ca_file === "string") {
    if (ssl !== "verify-full") throw bad(`options.ca_file needs options.ssl "verify-full"`);
    const file = extra.ca_file.startsWith("/") || !o.dir
      ? extra.ca_file
      : `${o.dir.replace(/\/$/, "")}/${extra.ca_file}`;
    try {
      ca = await Deno.readTextFile(file);
    } catch (e) {
      throw bad(`options.ca_file "${file}" cannot be read (${e instanceof Error ? e.message : e})`);
    }
  }
  let schema: string | undefined;
  if (typeof extra.schema === "string") schema = extra.schema;
  try {
    return await PostgresSink.open(url, {
      ...(schema !== undefined ? { schema } : {}),
      ...(o.codec ? { codec: o.codec } : {}),
      ...(o.readCodecs ? { readCodecs: o.readCodecs } : {}),
      ...(o.signKey ? { signKey: o.signKey } : {}),
      ...(o.filterFields ? { filterFields: o.filterFields } : {}),
      ...(o.maxBatch !== undefined ? { maxBatch: o.maxBatch } : {}),
      ...(typeof extra.notify === "boolean" ? { notify: extra.notify } : {}),
      ssl,
      ...(ca !== undefined ? { ca } : {}),
    });
  } catch (e) {
    if (e instanceof TypeError) throw bad(e.message);
    throw e;
  }
}
