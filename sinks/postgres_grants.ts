/**
 * What a process that opens a PostgreSQL event log needs from Deno, written once: where the
 * server is (`postgresEndpoint`: a TCP host and port, or a unix socket from `?host=/dir`), and
 * the exact flags (`postgresGrants`). Measured with Deno 2.9.6 and postgres.js 3.4.9 by adding
 * only what each `NotCapable` named:
 *
 * - TCP: `--allow-net=<host>:<port>`.
 * - Unix socket: `--allow-read=<sock> --allow-write=<sock> --allow-net=unix:<sock>`, where
 *   `<sock>` is `<dir>/.s.PGSQL.<port>` (all three; dropping one fails).
 * - Both: `--allow-env=<the variable holding the URL>,<the PG* variables postgres.js reads>`
 *   (it reads `PGAPPNAME`, `PGSSL`, ... while parsing its options, and a scoped grant is enough).
 * - TLS with `ca_file`: `--allow-read=<ca file>`.
 *
 * Only the host process gets these: the jailed agent never holds the URL or the password.
 *
 * @example
 * ```ts
 * import { postgresGrants } from "./postgres_grants.ts";
 * const g = postgresGrants("postgres://zu:pw@db.internal:5433/zu", { urlEnv: "ZU_PG_URL" });
 * console.assert(g.flags.includes("--allow-net=db.internal:5433"));
 * console.assert(!g.flags.join(" ").includes("pw"));
 * ```
 * @module
 */

/** The variable that holds a PostgreSQL log's URL when a block names none (`url_env`). */
export const DEFAULT_PG_URL_ENV = "ZU_PG_URL";

/** Where a PostgreSQL URL points. */
export type PostgresEndpoint =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "unix"; socket: string; port: number };

/** The variables postgres.js 3.4 reads from the environment while it parses its options. */
export const POSTGRES_JS_ENV: readonly string[] = Object.freeze([
  "PGAPPNAME",
  "PGBACKOFF",
  "PGCONNECT_TIMEOUT",
  "PGDATABASE",
  "PGDEBUG",
  "PGFETCH_TYPES",
  "PGHOST",
  "PGIDLE_TIMEOUT",
  "PGKEEP_ALIVE",
  "PGMAX",
  "PGMAX_LIFETIME",
  "PGMAX_PIPELINE",
  "PGPASSWORD",
  "PGPORT",
  "PGPREPARE",
  "PGPUBLICATIONS",
  "PGSSL",
  "PGSSLNEGOTIATION",
  "PGTARGETSESSIONATTRS",
  "PGTARGET_SESSION_ATTRS",
  "PGUSER",
  "PGUSERNAME",
]);

/** True for a `postgres://` or `postgresql://` URL. */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text.trim());
}

/**
 * The server a PostgreSQL URL names: `?host=/dir` (or a host starting with `/`) is a unix socket
 * `<dir>/.s.PGSQL.<port>`; otherwise the URL's host (default `localhost`) and port (default
 * 5432). Throws `TypeError` (without the URL, which may hold a password) when it is not one.
 */
export function postgresEndpoint(url: string): PostgresEndpoint {
  if (!isPostgresUrl(url)) throw new TypeError("Not a postgres:// or postgresql:// URL");
  // The WHATWG parser refuses `postgres://user@/db`: give it a placeholder host.
  const fixed = url.trim().replace(/^(postgres(?:ql)?:\/\/(?:[^/?#@]*@)?)(?=[/?#]|$)/i, "$1_");
  let u: URL;
  try {
    u = new URL(fixed);
  } catch {
    throw new TypeError("Cannot parse the PostgreSQL URL");
  }
  const portText = u.searchParams.get("port") ?? u.port;
  const port = portText ? Number(portText) : 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`The PostgreSQL URL has a bad port "${portText}"`);
  }
  const qHost = u.searchParams.get("host");
  const host = qHost ?? decodeURIComponent(u.hostname === "_" ? "" : u.hostname);
  if (host.startsWith("/")) {
    const dir = host.replace(/\/+$/, "");
    return { kind: "unix", socket: `${dir}/.s.PGSQL.${port}`, port };
  }
  return { kind: "tcp", host: host === "" ? "localhost" : host.replace(/^\[|\]$/g, ""), port };
}

/**
 * `url` as postgres.js 3.4 takes it: it cannot parse a URL without a host (`postgres://u@/db`)
 * and sends `?host=`/`?port=` to the server as settings, so a unix socket is returned apart as
 * `host` (the socket's directory) and `port`, and removed from the URL. A TCP URL is unchanged.
 *
 * @example
 * ```ts
 * import { postgresJsTarget } from "./postgres_grants.ts";
 * const t = postgresJsTarget("postgres://zu@/zu?host=%2Frun%2Fpg&port=5433");
 * console.assert(t.host === "/run/pg" && t.port === 5433 && !t.url.includes("host="));
 * ```
 */
export function postgresJsTarget(url: string): { url: string; host?: string; port?: number } {
  const at = postgresEndpoint(url);
  if (at.kind === "tcp") return { url };
  const u = new URL(
    url.trim().replace(/^(postgres(?:ql)?:\/\/(?:[^/?#@]*@)?)(?=[/?#])/i, "$1localhost"),
  );
  u.searchParams.delete("host");
  u.searchParams.delete("port");
  return { url: u.toString(), host: at.socket.slice(0, at.socket.lastIndexOf("/")), port: at.port };
}

/** One Deno flag and why it is there. */
export interface PostgresGrant {
  /** The flag, e.g. `--allow-net`. */
  flag: string;
  /** Its value. */
  value: string;
  /** One line. */
  why: string;
}

/** Options of {@link postgresGrants}. */
export interface PostgresGrantsOptions {
  /** The variable holding the URL (`url_env`). */
  urlEnv: string;
  /** `ca_file` (TLS), absolute. */
  caFile?: string;
}

/** The flags a process opening the log at `url` needs (see the module doc), and why. */
export function postgresGrants(
  url: string,
  options: PostgresGrantsOptions,
): { flags: string[]; explain: PostgresGrant[] } {
  const e = postgresEndpoint(url);
  const explain: PostgresGrant[] = [];
  if (e.kind === "tcp") {
    const host = e.host.includes(":") ? `[${e.host}]` : e.host;
    explain.push({
      flag: "--allow-net",
      value: `${host}:${e.port}`,
      why: "the PostgreSQL server of the event log, and nothing else",
    });
  } else {
    const why = "the PostgreSQL server's unix socket (Deno needs read, write and unix: net on it)";
    explain.push({ flag: "--allow-read", value: e.socket, why });
    explain.push({ flag: "--allow-write", value: e.socket, why });
    explain.push({ flag: "--allow-net", value: `unix:${e.socket}`, why });
  }
  explain.push({
    flag: "--allow-env",
    value: [options.urlEnv, ...POSTGRES_JS_ENV].join(","),
    why:
      `$${options.urlEnv} holds the URL (password included: only this host process reads it); postgres.js reads its PG* settings`,
  });
  if (options.caFile) {
    explain.push({ flag: "--allow-read", value: options.caFile, why: "the TLS CA file (ca_file)" });
  }
  return { flags: explain.map((g) => `${g.flag}=${g.value}`), explain };
}
