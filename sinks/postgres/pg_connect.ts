/**
 * Connecting to PostgreSQL with postgres.js: TLS options, a URL shown without its password, and
 * connection failures turned into one line that names the server.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./pg_connect.ts";
 * console.assert(redactUrl("postgres://zu:secret@db:5432/zu") === "postgres://zu@db:5432/zu");
 * ```
 * @module
 */
import postgres from "postgres";
import { UserError } from "../../core/errors.ts";
import { maskUrlPassword } from "../../core/mask_url.ts";
import { postgresEndpoint, postgresJsTarget } from "../postgres_grants.ts";

/** A postgres.js client. */
export type Sql = postgres.Sql<Record<string, never>>;

/** TLS mode: `disable` (default for loopback and sockets), `require` (encrypt), `verify-full`. */
export type PgSslMode = "disable" | "require" | "verify-full";

/** Options of {@link connectPg}. */
export interface ConnectOptions {
  /** TLS mode. Default `disable`, or what the URL's `sslmode` says. */
  ssl?: PgSslMode;
  /** PEM CA certificate(s) for `verify-full`. Default: the system store. */
  ca?: string;
  /** Pool size. Default 10. */
  max?: number;
}

/** `url` without its password, for messages: `postgres://zu@127.0.0.1:5432/zu`. */
export function redactUrl(url: string): string {
  // The one masking rule (core/mask_url.ts), shown without the mask and without query
  // parameters other than a socket's directory.
  const masked = maskUrlPassword(url).replace(":***@", "@");
  const q = masked.indexOf("?");
  if (q < 0) return masked;
  const dir = new URLSearchParams(masked.slice(q + 1)).get("host");
  return dir ? `${masked.slice(0, q)}?host=${dir}` : masked.slice(0, q);
}

/**
 * The unix socket of a libpq-style socket URL (`postgres://user@/db?host=/run/pg&port=5432`), and
 * the URL as postgres.js takes it (without `host`/`port`, which it would send to the server as
 * settings); null for a TCP URL. The URL rule is `postgresEndpoint` (sinks/postgres_grants.ts),
 * the same one the permission grants are computed from.
 */
export function unixSocket(url: string): { path: string; url: string } | null {
  let at;
  try {
    at = postgresEndpoint(url);
  } catch {
    return null;
  }
  if (at.kind !== "unix") return null;
  // The port stays in the URL: without it postgres.js reads PGPORT from the environment.
  const target = new URL(postgresJsTarget(url).url);
  target.port = String(at.port);
  return { path: at.socket, url: target.toString() };
}

/** Opens a pool (lazily: nothing connects until the first query). */
export function connectPg(url: string, options: ConnectOptions = {}): Sql {
  const ssl = options.ssl === "require"
    ? "require"
    : options.ssl === "verify-full"
    ? { rejectUnauthorized: true, ...(options.ca ? { ca: options.ca } : {}) }
    : undefined;
  // Every option is given, so postgres.js reads no PG* variable for it: the sink needs only
  // --allow-env=PGAPPNAME,PGTARGETSESSIONATTRS (read unconditionally) besides the network grant.
  const all: Record<string, unknown> = {
    max: options.max ?? 10,
    ssl: ssl ?? false,
    sslnegotiation: null,
    idle_timeout: 30,
    connect_timeout: 10,
    max_lifetime: 60 * 30,
    max_pipeline: 100,
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, 2),
    keep_alive: 60,
    prepare: true,
    debug: false,
    fetch_types: true,
    publications: "alltables",
    target_session_attrs: null,
    onnotice: () => {},
    connection: { application_name: "zu" },
  };
  const socket = unixSocket(url);
  if (socket !== null) all.path = socket.path;
  // No password in the URL (socket or trust auth): a function, so PGPASSWORD is not read.
  if (!/^[^:]+:\/\/[^@/?]*:[^@/?]*@/.test(url)) all.pass = () => "";
  return postgres(
    socket?.url ?? url,
    all as postgres.Options<Record<string, never>>,
  ) as unknown as Sql;
}

const RETRY_PG_CODES = new Set([
  "57P01",
  "57P02",
  "57P03",
  "40001",
  "40P01",
  "08000",
  "08003",
  "08006",
]);
const RETRY_NET_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "ECONNRESET",
  "EPIPE",
  "ECONNREFUSED",
  "ETIMEDOUT",
]);

/** True when `e` is a dropped connection or a transient server state worth one more try. */
export function isTransient(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" && (RETRY_PG_CODES.has(code) || RETRY_NET_CODES.has(code));
}

/** True when `e` says the server could not be reached or refused the login. */
function isConnectFailure(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== "string") return false;
  return RETRY_NET_CODES.has(code) || code === "ENOTFOUND" || code === "CONNECT_TIMEOUT" ||
    code.startsWith("28") || code === "3D000" || code === "ENOENT" ||
    code === "SASL_SIGNATURE_MISMATCH";
}

/**
 * Wraps a failure of the first query: unreachable server, refused login or a missing database
 * become a one-line `UserError` (code `sink_unreadable`) naming the server without the password.
 */
export function connectError(e: unknown, url: string, password?: string): unknown {
  if (!isConnectFailure(e)) return e;
  let why = e instanceof Error ? e.message : String(e);
  if (password) why = why.replaceAll(password, "***");
  return new UserError(
    "sink_unreadable",
    `Cannot open event log "${
      redactUrl(url)
    }": ${why}; check the server is up and the URL in options.url_env`,
    { cause: e },
  );
}
