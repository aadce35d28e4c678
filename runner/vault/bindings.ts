/**
 * Operator bindings: which secret may go to which hosts, and how. The `--bind` grammar:
 *
 * ```
 * NAME:inject:HOSTS[:Header=template]     default header: Authorization=Bearer {{secret:NAME}}
 * NAME:placeholder:HOSTS[:ENVVAR]         default ENVVAR: NAME
 * NAME:route:UPSTREAM-URL[:ENVVAR]        e.g. OPENAI:route:https://api.openai.com/v1:OPENAI_BASE_URL
 * ```
 *
 * - `HOSTS` is a comma-separated list in the `core/host_pattern.ts` grammar (`host`,
 *   `host:port`, `*.domain`, `[v6]:port`). A secret goes over TLS only; an entry written
 *   `http://host[:port]` (port 80 when absent) opts that plain-HTTP port in. The plain-HTTP ports
 *   of a binding apply to all its hosts: bind separately when they should not.
 * - An inject template names its own secret (`{{secret:NAME}}`) and no other one, so a binding
 *   can never carry secret A to secret B's hosts. Hop-by-hop and framing headers (`Host`,
 *   `Content-Length`, `Transfer-Encoding`, `Connection`, ...) cannot be set.
 * - A route upstream is an `https://` URL without credentials, query or fragment; `http://`
 *   opts its port in as plain HTTP (a loopback model server in tests).
 *
 * Every mistake is one `UserError` line (code `config_invalid`, exit 2 in the CLI).
 *
 * @example
 * ```ts
 * import { parseBinding } from "./bindings.ts";
 * const b = parseBinding("GH:inject:api.github.com,uploads.github.com:Authorization=token {{secret:GH}}");
 * console.assert(b.mode === "inject" && b.hosts.length === 2);
 * console.assert(b.headers?.[0] === "Authorization: token {{secret:GH}}");
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { parseHostPattern } from "../../core/host_pattern.ts";
import type { SecretBinding, SecretMode } from "../../core/types.ts";
import { checkSecretName, isSecretName } from "./secret_name.ts";

/** The binding modes. */
export const SECRET_MODES: readonly SecretMode[] = Object.freeze([
  "inject",
  "placeholder",
  "route",
]);

/** Headers a binding may not set (framing, routing and hop-by-hop headers). */
export const FORBIDDEN_HEADERS: readonly string[] = Object.freeze([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "proxy-authorization",
  "proxy-connection",
  "expect",
]);

const ENV_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SECRET_TAG = /\{\{\s*secret:([^}]*)\}\}/g;

function shown(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

function bad(where: string, why: string): UserError {
  return new UserError("config_invalid", `Cannot use ${where}: ${why}`);
}

/** The parts of a binding before checking (the operator file's shape). */
export interface BindingInput {
  /** Secret name. */
  secret: unknown;
  /** Mode. */
  mode: unknown;
  /** Host patterns (`http://` entries opt plain-HTTP ports in). */
  hosts?: unknown;
  /** Inject header templates, `Name: template`. */
  headers?: unknown;
  /** Route upstream URL. */
  upstream?: unknown;
  /** Sandbox env variable of the placeholder or phantom. */
  env?: unknown;
  /** Plain-HTTP ports. */
  plaintext_ports?: unknown;
}

function canonicalPattern(text: string, where: string): string {
  let p;
  try {
    p = parseHostPattern(text);
  } catch (e) {
    throw bad(where, (e as Error).message.replace(/^Cannot use host pattern /, "host "));
  }
  const host = p.host.includes(":") ? `[${p.host}]` : p.host;
  return `${p.wildcard ? "*." : ""}${host}${p.port === null ? "" : `:${p.port}`}`;
}

/** One host entry: a pattern, or `http://host[:port]` (that plain-HTTP port opted in). */
function hostEntry(entry: string, where: string): { pattern: string; plaintext: number | null } {
  const e = entry.trim();
  if (/^https?:\/\//i.test(e)) {
    if (/^https:/i.test(e)) {
      throw bad(where, `host "${e}": write https hosts without "https://" (TLS is the default)`);
    }
    const rest = e.slice("http://".length).replace(/\/$/, "");
    const pattern = canonicalPattern(rest, where);
    const port = /:(\d+)$/.exec(pattern);
    const n = port ? Number(port[1]) : 80;
    return { pattern: port ? pattern : `${pattern}:80`, plaintext: n };
  }
  return { pattern: canonicalPattern(e, where), plaintext: null };
}

function checkHeader(header: string, secret: string, where: string): string {
  const colon = header.indexOf(":");
  if (colon <= 0) throw bad(where, `a header must be "Name: template" (the text is not shown)`);
  const name = header.slice(0, colon).trim();
  const template = header.slice(colon + 1).trim();
  if (!TOKEN.test(name)) {
    throw bad(where, "a header name is not a valid name (the text is not shown)");
  }
  if (FORBIDDEN_HEADERS.includes(name.toLowerCase())) {
    throw bad(where, `header "${name}" cannot be set by a binding`);
  }
  if (/[\r\n\0]/.test(template)) throw bad(where, `header "${name}" holds a line break`);
  const named = [...template.matchAll(SECRET_TAG)].map((m) => (m[1] ?? "").trim());
  if (named.length === 0) {
    throw bad(where, `header "${name}" must contain {{secret:${secret}}}`);
  }
  const other = named.find((n) => n !== secret);
  if (other !== undefined) {
    throw bad(
      where,
      `header "${name}" names secret "${other}": a binding of "${secret}" may only use {{secret:${secret}}}`,
    );
  }
  return `${name}: ${template}`;
}

function checkUpstream(
  url: unknown,
  where: string,
): { url: string; host: string; plaintext: number | null } {
  if (typeof url !== "string" || url.trim() === "") {
    throw bad(where, "a route needs an upstream URL such as https://api.openai.com/v1");
  }
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw bad(
      where,
      "the upstream is not a URL such as https://api.openai.com/v1 (the text is not shown)",
    );
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    throw bad(where, `the upstream's scheme "${u.protocol}" is not https:`);
  }
  if (u.username || u.password || u.search || u.hash) {
    throw bad(
      where,
      "the upstream must not hold credentials, a query or a fragment (the URL is not shown)",
    );
  }
  const host = canonicalPattern(u.host, where);
  const plaintext = u.protocol === "http:" ? Number(u.port || 80) : null;
  const text = u.href.endsWith("/") && u.pathname === "/" ? u.href.slice(0, -1) : u.href;
  return { url: text, host, plaintext };
}

function stringList(value: unknown, where: string, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return [value];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw bad(where, `${what} must be a list of strings`);
  }
  return value as string[];
}

/**
 * Checks one binding in the operator file's shape and returns it as a frozen
 * {@link SecretBinding} (hosts canonical, defaults filled in). `where` names it in messages.
 */
export function checkBinding(input: BindingInput, where = "binding"): SecretBinding {
  if (typeof input.secret !== "string" || !isSecretName(input.secret)) {
    checkSecretName(String(input.secret ?? ""));
  }
  const secret = input.secret as string;
  const mode = input.mode;
  if (typeof mode !== "string" || !(SECRET_MODES as readonly string[]).includes(mode)) {
    throw bad(
      where,
      `the mode is not one of ${SECRET_MODES.join(", ")}`,
    );
  }
  const ports = new Set<number>();
  for (const p of stringOrNumberList(input.plaintext_ports, where)) ports.add(p);
  let hosts: string[] = [];
  let upstream: string | undefined;
  if (mode === "route") {
    const u = checkUpstream(input.upstream, where);
    upstream = u.url;
    hosts = [u.host];
    if (u.plaintext !== null) ports.add(u.plaintext);
    if (input.hosts !== undefined && input.hosts !== null) {
      throw bad(where, "a route binding takes an upstream URL, not hosts");
    }
  } else {
    if (input.upstream !== undefined && input.upstream !== null) {
      throw bad(where, `an ${mode} binding takes hosts, not an upstream URL`);
    }
    const raw = stringList(input.hosts, where, "hosts");
    if (raw.length === 0) throw bad(where, `an ${mode} binding needs at least one host`);
    for (const h of raw) {
      const e = hostEntry(h, where);
      if (!hosts.includes(e.pattern)) hosts.push(e.pattern);
      if (e.plaintext !== null) ports.add(e.plaintext);
    }
  }
  let headers: string[] | undefined;
  const rawHeaders = stringList(input.headers, where, "headers");
  if (mode === "inject") {
    const list = rawHeaders.length ? rawHeaders : [`Authorization: Bearer {{secret:${secret}}}`];
    headers = list.map((h) => checkHeader(h, secret, where));
  } else if (rawHeaders.length) {
    throw bad(where, `headers are for inject bindings, not ${mode}`);
  }
  let env: string | undefined;
  if (input.env !== undefined && input.env !== null) {
    if (mode === "inject") throw bad(where, "an inject binding puts nothing in the sandbox's env");
    if (typeof input.env !== "string" || !ENV_VAR.test(input.env)) {
      throw bad(where, "env is not an environment variable name (the text is not shown)");
    }
    env = input.env;
  } else if (mode === "placeholder") {
    env = secret;
  }
  const out: {
    -readonly [K in keyof SecretBinding]: SecretBinding[K];
  } = { secret, mode: mode as SecretMode, hosts: Object.freeze(hosts) };
  if (headers) out.headers = Object.freeze(headers);
  if (upstream !== undefined) out.upstream = upstream;
  if (env !== undefined) out.env = env;
  if (ports.size) out.plaintextPorts = Object.freeze([...ports].sort((a, b) => a - b));
  return Object.freeze(out);
}

function stringOrNumberList(value: unknown, where: string): number[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => {
    const n = typeof v === "number"
      ? v
      : typeof v === "string" && /^\d+$/.test(v)
      ? Number(v)
      : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      throw bad(where, `plaintext port "${shown(String(v))}" is not a port number`);
    }
    return n;
  });
}

/** Splits `HOSTS[:REST]` where host entries may carry `:port` and `http://`. */
function splitHosts(text: string): { hosts: string[]; rest: string | undefined } {
  const hosts: string[] = [];
  let i = 0;
  for (;;) {
    const start = i;
    const scheme = /^https?:\/\//i.exec(text.slice(i));
    if (scheme) i += scheme[0].length;
    if (text[i] === "[") {
      const end = text.indexOf("]", i);
      i = end < 0 ? text.length : end + 1;
    }
    while (i < text.length && text[i] !== "," && text[i] !== ":") i++;
    const port = /^:(\d+)(?=$|[,:])/.exec(text.slice(i));
    if (port) i += port[0].length;
    hosts.push(text.slice(start, i));
    if (text[i] === ",") {
      i++;
      continue;
    }
    if (i >= text.length) return { hosts, rest: undefined };
    return { hosts, rest: text.slice(i + 1) };
  }
}

/**
 * Parses one `--bind` value (grammar in the module doc) into a checked {@link SecretBinding}.
 * Throws `UserError` (code `config_invalid`) with one line naming the mistake.
 *
 * @example
 * ```ts
 * import { parseBinding } from "./bindings.ts";
 * const r = parseBinding("OPENAI:route:https://api.openai.com/v1:OPENAI_BASE_URL");
 * console.assert(r.upstream === "https://api.openai.com/v1" && r.hosts[0] === "api.openai.com");
 * const p = parseBinding("GH:placeholder:api.github.com,http://git.local:8080");
 * console.assert(p.env === "GH" && p.plaintextPorts?.[0] === 8080);
 * ```
 */
export function parseBinding(text: string): SecretBinding {
  // Only NAME:MODE is ever shown: an operator may paste a value where a template or host goes.
  const first = text.indexOf(":");
  const second = first < 0 ? -1 : text.indexOf(":", first + 1);
  if (first < 0 || second < 0) {
    throw bad(
      "--bind",
      "write NAME:inject:HOSTS[:Header=template], NAME:placeholder:HOSTS[:ENVVAR] or NAME:route:URL[:ENVVAR]",
    );
  }
  const secret = text.slice(0, first);
  const mode = text.slice(first + 1, second);
  const body = text.slice(second + 1);
  if (!isSecretName(secret)) {
    throw bad(
      "--bind",
      'what comes before the first ":" is not a secret name (a letter or "_" then letters, digits, "_")',
    );
  }
  if (!(SECRET_MODES as readonly string[]).includes(mode)) {
    throw bad(`binding of "${secret}"`, `the mode is not one of ${SECRET_MODES.join(", ")}`);
  }
  const where = `binding "${secret}:${mode}"`;
  if (body.trim() === "") {
    throw bad(where, mode === "route" ? "an upstream URL is missing" : "the hosts are missing");
  }
  if (mode === "route") {
    const m = /^(.*):([A-Za-z_][A-Za-z0-9_]*)$/.exec(body);
    return checkBinding(
      { secret, mode, upstream: m ? m[1] : body, ...(m ? { env: m[2] } : {}) },
      where,
    );
  }
  const { hosts, rest } = splitHosts(body);
  if (hosts.some((h) => h.trim() === "")) throw bad(where, "a host in the list is empty");
  if (mode === "placeholder") {
    if (rest !== undefined && !ENV_VAR.test(rest)) {
      throw bad(
        where,
        "what follows the hosts is not an environment variable name (the text is not shown)",
      );
    }
    return checkBinding(
      { secret, mode, hosts, ...(rest !== undefined ? { env: rest } : {}) },
      where,
    );
  }
  let headers: string[] | undefined;
  if (rest !== undefined) {
    const eq = rest.indexOf("=");
    if (eq <= 0) {
      throw bad(where, "what follows the hosts must be Header=template (the text is not shown)");
    }
    headers = [`${rest.slice(0, eq)}: ${rest.slice(eq + 1)}`];
  }
  return checkBinding({ secret, mode, hosts, ...(headers ? { headers } : {}) }, where);
}
