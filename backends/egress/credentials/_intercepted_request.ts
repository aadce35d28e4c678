/**
 * One request on an intercepted tunnel or plain connection (private to the credential
 * interceptor): the checks in order, the substitution, the forward and the redacted response.
 * @module
 */
import type {
  CredentialOutcome,
  CredentialUse,
  SecretEcho,
  SecretResolver,
} from "../../../core/types.ts";
import { type ByteStream, closeQuietly, writeFull } from "./byte_stream.ts";
import type { BindingTable, CompiledBinding } from "./binding_table.ts";
import { type PlaceholderSet, sha256Prefix } from "./placeholder.ts";
import {
  findInHeaders,
  findPlaceholders,
  type PlaceholderHit,
  PlaceholderStreamScanner,
} from "./placeholder_scan.ts";
import { applyInject, dropHopHeaders, substituteHeaders } from "./header_rules.ts";
import { type AuthEndpoint, isAuthEndpoint } from "./auth_endpoints.ts";
import { type RedactSecret, relayResponse } from "./response_redact.ts";
import {
  concatBytes,
  headBytes,
  header,
  type Http1Head,
  Http1Reader,
  HttpError,
  requestFraming,
} from "./_http1.ts";
import { checkTarget, targetPath } from "./_request_target.ts";
import { latin1Bytes, utf8AsLatin1 } from "./_text_views.ts";
import type { ViolationMode } from "./credential_interceptor.ts";

const REASONS: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  405: "Method Not Allowed",
  413: "Content Too Large",
  421: "Misdirected Request",
  431: "Request Header Fields Too Large",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

export function refusalBytes(status: number, reason: string): Uint8Array {
  const body = `zu egress: ${reason}\n`;
  return latin1Bytes(
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\nX-Zu-Egress-Refused: ${reason}\r\n\r\n${body}`,
  );
}

export class Idle {
  #timer: ReturnType<typeof setTimeout> | undefined;
  constructor(readonly ms: number, readonly fire: () => void) {
    this.touch();
  }
  touch = (): void => {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.fire, this.ms);
  };
  stop(): void {
    clearTimeout(this.#timer);
  }
}

export interface Tunnel {
  kind: "connect" | "http";
  host: string;
  port: number;
  ip: string;
  eligible: CompiledBinding[];
  client: ByteStream;
  upstream: { stream: ByteStream; reader: Http1Reader } | null;
  touch: () => void;
  up: number;
  down: number;
  /** The first refusal's outcome, for the proxy's decision line. */
  refused?: string;
}

/** Stops reading a body once a foreign placeholder is in it. */
class EarlyStop extends Error {}

/** What {@link handleInterceptedRequest} needs from the interceptor. */
export interface RequestContext {
  set: PlaceholderSet;
  table: BindingTable;
  violation: ViolationMode;
  log: (line: Record<string, unknown>) => void;
  authTable: readonly AuthEndpoint[];
  maxHead: number;
  maxBody: number;
  resolver: SecretResolver;
  connectUpstream: (host: string, port: number, ip: string) => Promise<ByteStream>;
  connectPlain: (host: string, port: number, ip: string) => Promise<ByteStream>;
  onEcho: (echo: SecretEcho) => void;
  onTerminate?: (() => void) | undefined;
  emit(
    t: { host: string; port: number; eligible: CompiledBinding[] },
    secrets: readonly string[],
    fields: Omit<CredentialUse, "secret" | "mode" | "host" | "port">,
  ): void;
  safePath(path: string): string;
}

/**
 * Serves one request read on a tunnel (checks, substitution, forwarding, the redacted
 * response); returns whether the tunnel may carry another one.
 */
export async function handleInterceptedRequest(
  ctx: RequestContext,
  t: Tunnel,
  head: Http1Head,
  reader: Http1Reader,
): Promise<boolean> {
  const { set, table, violation, log, authTable, maxHead, maxBody, connectPlain, emit, safePath } =
    ctx;
  const started = performance.now();
  const [rawMethod, target, version] = head.line;
  const method = rawMethod.toUpperCase();
  const path = safePath(targetPath(target));
  const all = [...new Set(t.eligible.map((b) => b.secret))];
  const refuse = async (
    status: number,
    outcome: CredentialOutcome,
    secrets: readonly string[],
    extra: (secret: string) => Partial<CredentialUse> = () => ({}),
  ) => {
    const bytes = refusalBytes(status, outcome);
    t.refused ??= outcome;
    try {
      await writeFull(t.client, bytes);
      t.down += bytes.length;
    } catch { /* the client went away */ }
    for (const secret of secrets) {
      emit(t, [secret], {
        method,
        path,
        status,
        outcome,
        bytes_up: 0,
        bytes_down: bytes.length,
        duration_ms: Math.round(performance.now() - started),
        ...extra(secret),
      });
    }
    return false;
  };
  // Not a credential decision (a malformed request): the refusal and the decision line only.
  const malformed = async (status: number, reason: string) => {
    const bytes = refusalBytes(status, reason);
    t.refused ??= reason;
    await writeFull(t.client, bytes).then(() => (t.down += bytes.length), () => {});
    return false;
  };
  if (method === "TRACE" || method === "TRACK") return await refuse(405, "blocked_method", all);
  if (!/^HTTP\/1\.[01]$/.test(version)) return await malformed(400, "malformed_request");
  const where = checkTarget(
    target,
    head.headers,
    t.host,
    t.port,
    t.kind === "connect" ? "https" : "http",
  );
  if (!where.ok) return await refuse(421, "blocked_host_mismatch", all);
  if (isAuthEndpoint(authTable, t.host, where.path) && !table.namesExplicitly(t.host)) {
    return await refuse(403, "blocked_auth_endpoint", all);
  }
  let framing;
  try {
    framing = requestFraming(head.headers);
  } catch (e) {
    if (e instanceof HttpError) return await malformed(400, "bad_framing");
    throw e;
  }
  // The whole body is read (and scanned as it arrives) before anything goes upstream.
  const scanner = new PlaceholderStreamScanner(set);
  const parts: Uint8Array[] = [];
  let bodyLength = 0;
  const eligibleNames = new Set(all);
  const foreign = (h: PlaceholderHit) => !eligibleNames.has(h.secret);
  let early = false;
  if (
    framing.kind !== "none" &&
    (header(head.headers, "expect") ?? "").toLowerCase() === "100-continue"
  ) {
    await writeFull(t.client, latin1Bytes("HTTP/1.1 100 Continue\r\n\r\n"));
  }
  try {
    await reader.body(framing, (piece) => {
      if (early) throw new EarlyStop();
      bodyLength += piece.length;
      if (bodyLength > maxBody) throw new HttpError(413, "body too large");
      parts.push(piece);
      if (scanner.push(piece).some(foreign)) early = true;
    });
  } catch (e) {
    if (e instanceof HttpError) {
      return await malformed(e.status, e.status === 413 ? "body_too_large" : "malformed_body");
    }
    if (!(e instanceof EarlyStop)) throw e;
  }
  const hits = [
    ...findPlaceholders(target, set),
    ...findInHeaders(head.headers, set),
    ...scanner.hits,
  ].filter(foreign);
  if (hits.length > 0) {
    const first = new Map<string, PlaceholderHit>();
    for (const h of hits) if (!first.has(h.secret)) first.set(h.secret, h);
    await refuse(403, "blocked_placeholder", [...first.keys()], (secret) => ({
      match_form: first.get(secret)!.form,
      placeholder_sha256: sha256Prefix(first.get(secret)!.placeholder),
    }));
    if (violation === "block-and-log") {
      log({
        event: "egress.credential.blocked",
        host: t.host,
        port: t.port,
        secrets: [...first.keys()],
        forms: [...first.values()].map((h) => h.form),
      });
    }
    if (violation === "block-and-terminate") ctx.onTerminate?.();
    return false;
  }

  // Values, resolved for this request: a rotation applies from the next request on.
  const values = new Map<string, string>();
  for (const name of all) {
    try {
      values.set(name, utf8AsLatin1(await ctx.resolver.resolve(name)));
    } catch {
      // resolved again below only if this request needs it
    }
  }
  let headers = dropHopHeaders(head.headers).filter(([k]) => k.toLowerCase() !== "host");
  const injected = new Set<string>();
  const templates = t.eligible.filter((b) => b.mode === "inject").flatMap((b) => b.templates);
  const missing = [...new Set(templates.flatMap((tp) => tp.secrets))].filter((s) => !values.has(s));
  if (missing.length > 0) return await refuse(502, "upstream_error", missing);
  try {
    headers = applyInject(headers, templates, values);
  } catch {
    return await refuse(502, "upstream_error", all);
  }
  templates.forEach((tp) => tp.secrets.forEach((s) => injected.add(s)));
  const phValues = new Map(
    [...values].filter(([name]) =>
      t.eligible.some((b) => b.secret === name && b.mode === "placeholder")
    ),
  );
  const unresolved = findInHeaders(headers, set).filter((h) =>
    (h.form === "raw" || h.form === "basic") && !values.has(h.secret) &&
    t.eligible.some((b) => b.secret === h.secret && b.mode === "placeholder")
  );
  if (unresolved.length > 0) {
    return await refuse(502, "upstream_error", [...new Set(unresolved.map((h) => h.secret))]);
  }
  const sub = substituteHeaders(headers, set, phValues);
  headers = sub.headers;
  headers.unshift(["Host", where.hostHeader]);
  // Ask for an identity body so the response can be scanned for echoed values.
  headers = headers.filter(([k]) => k.toLowerCase() !== "accept-encoding");
  headers.push(["Accept-Encoding", "identity"]);
  const body = concatBytes(parts);
  if (framing.kind !== "none" || body.length > 0) {
    headers.push(["Content-Length", String(body.length)]);
  }
  const upHead = headBytes(`${rawMethod} ${where.originTarget} HTTP/1.1`, headers);

  let up = 0;
  let resp: Http1Head | null = null;
  const exchange = async (): Promise<Http1Head | null> => {
    if (t.upstream === null) {
      const stream = t.kind === "connect"
        ? await ctx.connectUpstream(t.host, t.port, t.ip)
        : await connectPlain(t.host, t.port, t.ip);
      t.upstream = { stream, reader: new Http1Reader(stream, new Uint8Array(), t.touch) };
    }
    // One write for head and body: no small-write stall on the upstream's delayed ACK.
    await writeFull(t.upstream.stream, concatBytes([upHead, body]));
    up += upHead.length + body.length;
    let r: Http1Head | null;
    do {
      r = await t.upstream.reader.head(maxHead);
    } while (r !== null && /^1\d\d$/.test(r.line[1]) && r.line[1] !== "101");
    return r;
  };
  try {
    const reused = t.upstream !== null;
    resp = await exchange().catch((e) => {
      if (!reused) throw e;
      return null;
    });
    if (resp === null && reused) {
      // The upstream closed its idle keep-alive connection: once more on a fresh one.
      closeQuietly(t.upstream?.stream);
      t.upstream = null;
      resp = await exchange();
    }
    if (resp === null || resp.line[1] === "101") throw new HttpError(502, "no response");
  } catch {
    t.up += up;
    closeQuietly(t.upstream?.stream);
    t.upstream = null;
    const involved = [...new Set([...injected, ...sub.used])];
    return await refuse(502, "upstream_error", involved.length > 0 ? involved : all);
  }
  t.up += up;
  const upstream = t.upstream as { stream: ByteStream; reader: Http1Reader } | null;
  if (upstream === null) return await refuse(502, "upstream_error", all);
  const redact: RedactSecret[] = [...values].map(([name, value]) => ({
    name,
    value,
    replacement: set.add(name),
  }));
  const echoes = new Set<string>();
  const relayed = await relayResponse(resp, upstream.reader, t.client, {
    secrets: redact,
    method,
    close: t.kind === "http",
    onEcho: (name, where) => {
      const key = `${name}\u0000${where}`;
      if (echoes.has(key)) return;
      echoes.add(key);
      ctx.onEcho({ secret: name, host: t.host, where, method, path });
    },
  });
  t.down += relayed.bytes;
  const used: [string, CredentialOutcome][] = [
    ...[...injected].map((s): [string, CredentialOutcome] => [s, "injected"]),
    ...[...sub.used].filter((s) => !injected.has(s)).map((
      s,
    ): [string, CredentialOutcome] => [s, "substituted"]),
  ];
  // A request through the interceptor that used no secret is on the record too.
  if (used.length === 0) all.forEach((s) => used.push([s, "no_binding"]));
  for (const [secret, outcome] of used) {
    emit(t, [secret], {
      method,
      path,
      status: relayed.status,
      outcome,
      bytes_up: up,
      bytes_down: relayed.bytes,
      duration_ms: Math.round(performance.now() - started),
    });
  }
  if (!relayed.keepAlive) {
    closeQuietly(upstream.stream);
    t.upstream = null;
  }
  const conn = (head.headers.find(([k]) => k.toLowerCase() === "connection")?.[1] ?? "")
    .toLowerCase();
  return relayed.keepAlive && version === "HTTP/1.1" && !conn.includes("close");
}
