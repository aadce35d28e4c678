/**
 * The jail's `http_fetch` under live clearance: a URL whose host:port the child's grant covers,
 * or whose host is an address literal, goes to the built-in tool exactly as before (pinned to the
 * addresses the host resolved at launch, its own SSRF checks); any other name goes through the fetch relay (`fetch_relay.ts`) as an `http_fetch` whose
 * transport is the relay, so the host's egress proxy resolves, checks every address, follows
 * redirects hop by hop (each hop checked and, if undeclared, held) and holds the request for an
 * operator. The tool's own scheme, credential and `allowed_domains` checks run first either way.
 * A refusal is Deno's own `NotCapable` with the proxy's reason, which the jail records as a
 * `runtime_permission` block.
 *
 * @example
 * ```ts ignore
 * import { routedHttpFetch } from "./relayed_http_fetch.ts";
 * const tool = routedHttpFetch(pinnedHttpFetch, relayedHttpFetch);
 * await tool.call(ctx, { url: "https://undeclared.example/" }); // relayed, held for an operator
 * ```
 * @module
 */
import type { RunContext, Tool } from "../../core/types.ts";
import type { Transport } from "../../agent/tools/http_fetch.ts";
import { parseIpLiteral } from "../../core/host_normalize.ts";
import { queryGranted, type RelayChannel, relayFetch } from "./fetch_relay.ts";

/** An `http_fetch` transport that sends every request through the relay. */
export function relayTransport(channel: RelayChannel): Transport {
  return async (req) => {
    const res = await relayFetch(channel, req.url, { method: req.method });
    return { status: res.status, body: await res.text() };
  };
}

/** The host:port a name URL goes to; null for anything the built-in tool handles itself. */
function target(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  try {
    const url = new URL(raw.trim());
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    // An address literal keeps the tool's own checks and their advice (e.g. local_origins).
    if (parseIpLiteral(url.hostname.replace(/^\[|\]$/g, "")) !== null) return null;
    return `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`;
  } catch {
    return null;
  }
}

/**
 * `direct` for URLs the child's grant covers (and for address literals and anything that is not an
 * http(s) URL, which the tool checks itself), `relayed` for the names it does not cover. Every
 * other property is `direct`'s.
 */
export function routedHttpFetch(
  direct: Tool,
  relayed: Tool,
  granted: (hostPort: string) => boolean = queryGranted,
): Tool {
  const routed = Object.create(direct) as Tool & { call: Tool["call"] };
  Object.defineProperty(routed, "call", {
    value: (ctx: RunContext, args: Record<string, unknown>) => {
      const t = target(args?.["url"]);
      return t === null || granted(t) ? direct.call(ctx, args) : relayed.call(ctx, args);
    },
    enumerable: true,
  });
  return routed;
}
