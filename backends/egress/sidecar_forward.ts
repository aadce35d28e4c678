/**
 * The sidecar's forward to the host: requests for the reserved broker name (`zu-vault`) and
 * CONNECT tunnels to hosts with a secret binding leave the sandbox's proxy over a unix socket
 * that the host process listens on (bind-mounted into the sidecar container only). It plugs
 * into the egress proxy's hand-off seam ({@link EgressHandoff}), so a claimed request skips the
 * proxy's allowlist and dial: the sidecar itself never reaches the model host or a bound host.
 *
 * - `http` (`--forward-http <host>=unix:<path>`): an absolute-form `http://<host>/...` request
 *   is sent over the socket as ONE origin-form request (`Host: <host>`, hop-by-hop and proxy
 *   headers dropped, its body framing decided once, nothing after the body forwarded), and the
 *   answer is relayed back. The credential headers are passed as they are: the host side checks
 *   the phantom and replaces them.
 * - `connect` (`--forward-connect <pattern>=unix:<path>`): the CONNECT head (proxy headers
 *   dropped) and every byte after it go over the socket and the two are piped both ways; the
 *   host side answers `200 Connection Established` and terminates TLS. The sidecar only pipes.
 *
 * @example
 * ```ts
 * import { parseForward, sidecarForwardHandoff } from "./sidecar_forward.ts";
 * const handoff = sidecarForwardHandoff({
 *   http: [parseForward("zu-vault=unix:/zu/vault/broker.sock")],
 *   connect: [parseForward("*.bound.test=unix:/zu/vault/intercept.sock")],
 * });
 * console.assert(handoff.claims("zu-vault", 80, "http"));
 * console.assert(handoff.claims("api.bound.test", 443, "connect"));
 * console.assert(!handoff.claims("api.bound.test", 443, "http"));
 * ```
 * @module
 */
import { HostAllowlist } from "../../core/host_allowlist.ts";
import { parseHostPattern } from "../../core/host_pattern.ts";
import type { EgressHandoff, HandoffRequest, HandoffResult } from "./handoff.ts";
import { latin1Bytes, originFormHead, statusResponse } from "./_http_head.ts";
import { bodyFraming, forwardBody, FramingError, framingHeader } from "./_http_body.ts";
import { relay, safeClose, writeAll } from "./_relay.ts";
import { parseTarget } from "./_proxy_request.ts";

/** The reserved name the sandbox's model providers call (`http://zu-vault/r/<route>/...`). */
export const BROKER_HOST = "zu-vault";

/** One forward: requests matching `pattern` go to the unix socket at `socket`. */
export interface SidecarForward {
  /** A host pattern (`host`, `host:port`, `*.domain`; core's grammar). */
  pattern: string;
  /** Absolute path of the unix socket. */
  socket: string;
}

/** The sidecar's forwards. */
export interface SidecarForwards {
  /** Absolute-form `http://` requests (port 80 unless the pattern names one). */
  http?: readonly SidecarForward[];
  /** CONNECT tunnels (port 443 unless the pattern names one). */
  connect?: readonly SidecarForward[];
}

/**
 * Parses `<pattern>=unix:<absolute path>`. Throws `TypeError` on anything else (a relative
 * path, another scheme, a bare `*`).
 */
export function parseForward(text: string): SidecarForward {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new TypeError(`Cannot parse forward "${text}": expected <host>=unix:<path>`);
  const pattern = text.slice(0, eq).trim().toLowerCase();
  const target = text.slice(eq + 1).trim();
  if (!target.startsWith("unix:/") || target.includes(",") || /\s/.test(target)) {
    throw new TypeError(`Cannot parse forward "${text}": the target must be unix:<absolute path>`);
  }
  parseHostPattern(pattern); // TypeError on "*", URLs, junk
  return { pattern, socket: target.slice("unix:".length) };
}

/** The unix socket paths the forwards name (each once), for the sidecar's permission flags. */
export function forwardSockets(forwards: SidecarForwards): string[] {
  return [...new Set([...forwards.http ?? [], ...forwards.connect ?? []].map((f) => f.socket))];
}

/** Options of {@link sidecarForwardHandoff}. */
export interface SidecarForwardOptions {
  /** Opens the unix socket (test seam). Default `Deno.connect({ transport: "unix" })`. */
  connect?: (path: string) => Promise<Deno.Conn>;
  /** Closes a forward after this long without a byte moving. Default 30000 ms. */
  idleTimeoutMs?: number;
}

function matcher(list: readonly SidecarForward[]): (host: string, port: number) => string | null {
  const entries = list.map((f) => ({ socket: f.socket, allow: new HostAllowlist([f.pattern]) }));
  return (host, port) => entries.find((e) => e.allow.match(host, port) !== null)?.socket ?? null;
}

/** Drops proxy headers (and those `Connection` names) from a CONNECT head. */
function connectHead(request: HandoffRequest): Uint8Array {
  const dropped = new Set(["proxy-authorization", "proxy-connection", "proxy-authenticate"]);
  let out = `CONNECT ${request.head.target} ${request.head.version}\r\n`;
  for (const [name, value] of request.head.headers) {
    if (!dropped.has(name.toLowerCase())) out += `${name}: ${value}\r\n`;
  }
  return latin1Bytes(out + "\r\n");
}

/**
 * The hand-off handler of the sidecar's forwards: claims the named hosts (http or CONNECT) and
 * serves each claimed connection over its unix socket. A socket that cannot be opened answers
 * 502 (`forward_failed`); a request body with ambiguous framing answers 400 (`bad_framing`).
 */
export function sidecarForwardHandoff(
  forwards: SidecarForwards,
  options: SidecarForwardOptions = {},
): EgressHandoff {
  const httpSocket = matcher(forwards.http ?? []);
  const connectSocket = matcher(forwards.connect ?? []);
  const open = options.connect ??
    ((path: string) => Deno.connect({ transport: "unix", path }));
  const idleMs = options.idleTimeoutMs ?? 30_000;
  const socketOf = (host: string, port: number, kind: "connect" | "http") =>
    kind === "http" ? httpSocket(host, port) : connectSocket(host, port);

  const refuse = async (
    client: Deno.Conn,
    status: number,
    text: string,
    reason: string,
    detail: string,
  ): Promise<HandoffResult> => {
    await writeAll(client, statusResponse(status, text, { "X-Zu-Egress-Refused": reason }))
      .catch(() => {});
    return { up: 0, down: 0, allowed: false, reason, detail };
  };

  return {
    claims: (host, port, kind) => socketOf(host, port, kind) !== null,
    async serve(client, request) {
      const socket = socketOf(request.host, request.port, request.kind)!;
      let framing = null;
      if (request.kind === "http") {
        try {
          framing = bodyFraming(request.head);
        } catch (e) {
          if (!(e instanceof FramingError)) throw e;
          return await refuse(client, 400, "Bad Request", "bad_framing", e.message);
        }
      }
      let upstream: Deno.Conn;
      try {
        upstream = await open(socket);
      } catch (e) {
        return await refuse(
          client,
          502,
          "Bad Gateway",
          "forward_failed",
          `unix:${socket}: ${(e as Error)?.name ?? "Error"}`,
        );
      }
      const counters = { up: 0, down: 0 };
      const toUpstream = async (bytes: Uint8Array) => {
        await writeAll(upstream, bytes);
        counters.up += bytes.length;
      };
      try {
        if (framing === null) {
          await toUpstream(connectHead(request));
          if (request.rest.length > 0) await toUpstream(request.rest);
          await relay(client, upstream, idleMs, counters);
        } else {
          const path = parseTarget(request.head).path ?? "/";
          const host = request.port === 80 ? request.host : `${request.host}:${request.port}`;
          const head = latin1Bytes(
            originFormHead(request.head, host, path, framingHeader(framing)),
          );
          const body = framing;
          await relay(client, upstream, idleMs, counters, {
            up: async (idle) => {
              await toUpstream(head);
              await forwardBody(client, request.rest, body, toUpstream, () => idle.touch());
            },
          });
        }
      } finally {
        safeClose(upstream);
      }
      return {
        up: counters.up,
        down: counters.down,
        reason: "handed_off",
        detail: `${request.kind} forwarded to unix:${socket}`,
      };
    },
  };
}
