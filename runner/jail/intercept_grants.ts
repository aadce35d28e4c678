/**
 * What the `inject` and `placeholder` bindings change in a jailed run's permissions: the child
 * reaches the network through the run's egress proxy on the host (`HTTPS_PROXY`, which Deno's
 * `fetch` uses without a net grant for the proxy itself), trusts the per-run CA through
 * `DENO_CERT` (read by Deno, no grant either), and may read exactly the placeholder variables,
 * never a real value. The hosts a binding names must still be declared egress of a tool: the
 * jail grants only declared hosts, and the proxy's allowlist is exactly the jail's grant.
 *
 * @example
 * ```ts
 * import { computeRunPermissions } from "./permission_flags.ts";
 * import { placeholderVariables, withInterceptGrants } from "./intercept_grants.ts";
 * const bindings = [{ secret: "GH", mode: "placeholder" as const, hosts: ["api.github.com"], env: "GH_TOKEN" }];
 * const perms = computeRunPermissions(
 *   { agentDir: "/agents/gh", tools: [{ name: "gh", egress: ["api.github.com"] }] },
 *   { mode: "live" },
 * );
 * const p = withInterceptGrants(perms, {
 *   proxy: "planned",
 *   hosts: ["api.github.com"],
 *   placeholders: placeholderVariables(bindings),
 * });
 * console.assert(p.env.includes("GH_TOKEN"));
 * ```
 * @module
 */
import { HostAllowlist } from "../../core/host_allowlist.ts";
import { parseHostPattern } from "../../core/host_pattern.ts";
import type { SecretBinding } from "../../core/types.ts";
import { type BrokerAddress, brokerEntry } from "./model_routes.ts";
import type { PermissionReason, RunPermissions } from "./permission_flags.ts";

/** The run's credential interception as the jail sees it. */
export interface InterceptGrant {
  /** The egress proxy's address, or `"planned"` when it is not started yet. */
  proxy: BrokerAddress | "planned";
  /** The hosts the `inject`/`placeholder` bindings name. */
  hosts: readonly string[];
  /** Placeholder variable → the secret it stands for. */
  placeholders: Readonly<Record<string, string>>;
}

/** The variables the child gets besides its usual environment, and what none of them holds. */
export const PROXY_ENV_NAMES: readonly string[] = [
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "DENO_CERT",
];

/** Placeholder variable → secret, for the `placeholder` bindings (`env`, else the secret name). */
export function placeholderVariables(
  bindings: readonly SecretBinding[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const b of bindings) if (b.mode === "placeholder") out[b.env ?? b.secret] = b.secret;
  return out;
}

/** The hosts the `inject` and `placeholder` bindings name, deduplicated in order. */
export function interceptHosts(bindings: readonly SecretBinding[]): string[] {
  const hosts = bindings.filter((b) => b.mode === "inject" || b.mode === "placeholder")
    .flatMap((b) => [...b.hosts]);
  return [...new Set(hosts)];
}

function parsable(entries: readonly string[]): string[] {
  return entries.filter((e) => {
    try {
      parseHostPattern(e);
      return true;
    } catch {
      return false;
    }
  });
}

/** A host `NO_PROXY` sends direct (loopback by name or literal). */
function directHost(host: string): boolean {
  try {
    const h = parseHostPattern(host).host;
    return h === "localhost" || h === "::1" || /^127\./.test(h);
  } catch {
    return false;
  }
}

/** Whether the child's `--allow-net` lets it reach `host` (a binding's pattern) over TLS. */
function granted(net: readonly string[], host: string): boolean {
  let p;
  try {
    p = parseHostPattern(host);
  } catch {
    return false;
  }
  const list = new HostAllowlist(parsable(net));
  if (p.wildcard) {
    const port = p.port ?? 443;
    return list.patterns.some((q) =>
      q.wildcard && (q.host === p.host || p.host.endsWith(`.${q.host}`)) &&
      (q.port === null || q.port === port)
    );
  }
  return list.allows(p.host, p.port ?? 443);
}

/**
 * The egress proxy's allowlist: exactly what the jail grants the child, minus the model
 * broker's loopback entry (`NO_PROXY` keeps the broker direct). A host that has no binding is
 * then still an opaque, checked tunnel.
 */
export function proxyAllowlist(
  perms: Pick<RunPermissions, "net">,
  broker: BrokerAddress | null = null,
): string[] {
  const skip = broker ? brokerEntry(broker).entry : null;
  return parsable(perms.net.filter((e) => e !== skip));
}

/** The proxy variables the child gets (`NO_PROXY` keeps loopback, the model broker, direct). */
export function proxyEnv(proxyUrl: string, caFile: string): Record<string, string> {
  return {
    HTTPS_PROXY: proxyUrl,
    HTTP_PROXY: proxyUrl,
    NO_PROXY: "127.0.0.1,localhost",
    DENO_CERT: caFile,
  };
}

/**
 * `perms` with the placeholder variables readable (`--allow-env`, one reason each) and the
 * proxy, the trust file and every bound host the child cannot reach explained.
 */
export function withInterceptGrants(
  perms: RunPermissions,
  grant: InterceptGrant,
): RunPermissions {
  const where = grant.proxy === "planned"
    ? "127.0.0.1:<port> (its port is chosen when the run starts)"
    : brokerEntry(grant.proxy).entry;
  const notes: PermissionReason[] = [{
    flag: "--allow-net",
    value: "",
    why:
      `HTTPS_PROXY and HTTP_PROXY name the run's egress proxy on the host at ${where}: Deno's fetch reaches it without a grant; it adds the bound secrets on ${
        grant.hosts.join(", ")
      } and tunnels every other granted host unopened (NO_PROXY=127.0.0.1,localhost stays direct)`,
  }, {
    flag: "--allow-read",
    value: "",
    why:
      "DENO_CERT names the run's trust file (system roots plus a per-run CA name-constrained to the bound hosts; its key stays in zu), read by Deno itself without a grant",
  }];
  for (const h of grant.hosts) {
    if (directHost(h)) {
      notes.push({
        flag: "--allow-net",
        value: "",
        why:
          `bound host "${h}" is on loopback, which NO_PROXY keeps direct: it gets no credential (bind a name that resolves to it instead)`,
      });
      continue;
    }
    if (granted(perms.net, h)) continue;
    notes.push({
      flag: "--allow-net",
      value: "",
      why:
        `bound host "${h}" is not declared egress of any tool, so the child cannot reach it: declare it in the tool's egress`,
    });
  }
  const env = [...new Set([...perms.env, ...Object.keys(grant.placeholders)])].sort();
  const flags = perms.flags.filter((f) => !f.startsWith("--allow-env="));
  if (env.length) flags.push(`--allow-env=${env.join(",")}`);
  const some = Object.keys(grant.placeholders).length > 0;
  const explain = perms.explain.filter((e) =>
    !(e.flag === "--allow-env" &&
      ((some && e.value === "") || Object.hasOwn(grant.placeholders, e.value)))
  );
  for (const [name, secret] of Object.entries(grant.placeholders)) {
    explain.push({
      flag: "--allow-env",
      value: name,
      why: `placeholder of secret "${secret}" (the real value stays in zu)`,
    });
  }
  explain.push(...notes);
  return { ...perms, flags, explain, env };
}
