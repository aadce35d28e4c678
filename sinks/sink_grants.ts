/**
 * `sinkHostGrants`: the Deno flags the process that opens an event log needs for it, by the
 * log's block: a PostgreSQL log gets the server's host and port only (or its unix socket), and
 * the variables holding the URL ({@link postgresGrants}); a file log gets read and write on its
 * file. `zu explain-permissions` shows them for an agent's `event_sink`. The jailed child gets
 * none of them: the host appends the events.
 *
 * @example
 * ```ts
 * import { sinkHostGrants } from "./sink_grants.ts";
 * const g = sinkHostGrants(
 *   { driver: "postgres", path: null, encryption: "none", options: {} },
 *   { dir: "/agent", env: (k) => k === "ZU_PG_URL" ? "postgres://zu:pw@db:5432/zu" : undefined },
 * );
 * console.assert(g.flags[0] === "--allow-net=db:5432" && g.url === "postgres://zu:***@db:5432/zu");
 * ```
 * @module
 */
import { maskUrlPassword } from "../core/mask_url.ts";
import type { EnvReader, EventSinkConfig } from "../core/types.ts";
import { sinkPath } from "./open_sink.ts";
import {
  DEFAULT_PG_URL_ENV,
  isPostgresUrl,
  type PostgresGrant,
  postgresGrants,
} from "./postgres_grants.ts";

export { DEFAULT_PG_URL_ENV };

/** The variable holding a PostgreSQL block's URL: its `options.url_env`, else `ZU_PG_URL`. */
export function postgresUrlEnv(cfg: EventSinkConfig): string {
  const named = cfg.options.url_env;
  return typeof named === "string" && named !== "" ? named : DEFAULT_PG_URL_ENV;
}

/** What {@link sinkHostGrants} found. */
export interface SinkHostGrants {
  /** The flags (empty when they cannot be known yet: see `missing`). */
  flags: string[];
  /** Each flag with its reason. */
  explain: PostgresGrant[];
  /** The server log's URL with its password masked, when there is one. */
  url?: string;
  /** Why the flags are incomplete (e.g. the URL variable is unset), or absent. */
  missing?: string;
}

/** The flags the host process needs to open `cfg` (see the module doc). */
export function sinkHostGrants(
  cfg: EventSinkConfig,
  options: { dir: string; env: EnvReader },
): SinkHostGrants {
  if (cfg.driver === "postgres") {
    const urlEnv = postgresUrlEnv(cfg);
    const url = options.env(urlEnv) ?? "";
    if (!isPostgresUrl(url)) {
      return {
        flags: [],
        explain: [],
        missing: `$${urlEnv} is ${
          url === "" ? "not set" : "not a postgres:// URL"
        }: set it to see the server's host and port`,
      };
    }
    const ca = cfg.options.ca_file;
    const g = postgresGrants(url, {
      urlEnv,
      ...(typeof ca === "string"
        ? { caFile: ca.startsWith("/") ? ca : `${options.dir}/${ca}` }
        : {}),
    });
    return withKeys({ ...g, url: maskUrlPassword(url) }, cfg, options.env);
  }
  const path = sinkPath(cfg, options.dir);
  if (path === null || path === ":memory:") {
    return withKeys({ flags: [], explain: [] }, cfg, options.env);
  }
  const why = `the event log file (driver "${cfg.driver}")`;
  const explain = [
    { flag: "--allow-read", value: path, why },
    { flag: "--allow-write", value: path, why },
  ];
  return withKeys({ flags: explain.map((e) => `${e.flag}=${e.value}`), explain }, cfg, options.env);
}

/**
 * `g` plus the key variables the block reads: `options.sign_key_env`, and with `encryption` the
 * `ZU_EVENT_KEY` family (the current managed id's key; older ids need their own grant).
 */
function withKeys(g: SinkHostGrants, cfg: EventSinkConfig, env: EnvReader): SinkHostGrants {
  const names: string[] = [];
  const sign = cfg.options.sign_key_env;
  if (typeof sign === "string" && sign !== "") names.push(sign);
  if (cfg.encryption !== "none") {
    names.push("ZU_EVENT_KEY", "ZU_EVENT_KEY_ID");
    const id = env("ZU_EVENT_KEY_ID");
    if (id) names.push(`ZU_EVENT_KEY_${id}`);
  }
  if (names.length === 0) return g;
  const e: PostgresGrant = {
    flag: "--allow-env",
    value: names.join(","),
    why:
      "the log's signing and encryption keys (add ZU_EVENT_KEY_<id> for each older managed key id its rows were written under)",
  };
  return { ...g, flags: [...g.flags, `${e.flag}=${e.value}`], explain: [...g.explain, e] };
}
