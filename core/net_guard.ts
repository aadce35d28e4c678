/**
 * The SSRF guard of `http_fetch`, the browser tools and the egress proxy: checks a host before
 * and after resolution with the one host policy (`host_normalize.ts`, `address_class.ts`,
 * `address_policy.ts`) and returns the addresses to dial (DNS pinning).
 *
 * Loopback, cloud-metadata and unspecified addresses never pass, whatever the options say.
 *
 * @example
 * ```ts
 * import { checkHost } from "./net_guard.ts";
 * const pinned = await checkHost("shop.test", { resolver: () => Promise.resolve(["93.184.216.34"]) });
 * console.assert(pinned[0] === "93.184.216.34");
 * ```
 * @module
 */
import { SecurityBlock, UserError } from "./errors.ts";
import { canonicalAddress, normalizeHost } from "./host_normalize.ts";
import { type AddressPolicy, addressRefusal, isInternalName } from "./address_policy.ts";

// ------------------------------------------------------------------ checking hosts

/** Resolves a host name to IP address strings. */
export type Resolver = (host: string) => Promise<string[]>;

/**
 * The system resolver: `Deno.resolveDns` A and AAAA records (needs net permission to the
 * configured name server). Does not read `/etc/hosts`.
 */
export const systemResolver: Resolver = async (host: string): Promise<string[]> => {
  const [a, aaaa] = await Promise.allSettled([
    Deno.resolveDns(host, "A"),
    Deno.resolveDns(host, "AAAA"),
  ]);
  const out: string[] = [];
  if (a.status === "fulfilled") out.push(...a.value);
  if (aaaa.status === "fulfilled") out.push(...aaaa.value);
  if (out.length === 0 && a.status === "rejected") throw a.reason;
  return out;
};

/**
 * Options of {@link checkHost}: a resolver and the address policy (`allowPrivate`,
 * `allowCidrs`, `localOrigins`; see `AddressPolicy`).
 */
export interface GuardOptions extends Omit<AddressPolicy, "declaredLiteral"> {
  /** Resolves names. Default {@link systemResolver}. */
  resolver?: Resolver;
  /**
   * The port to be dialled. A local origin (`localOrigins`) opens a loopback literal only on its
   * port, so without a port none applies. Default none.
   */
  port?: number | null;
}

function block(host: string, why: string): SecurityBlock {
  return new SecurityBlock(`Cannot reach host "${host}": ${why}`, { kind: "ssrf", target: host });
}

/** What to do about a refused loopback literal: name the one setting that opens it. */
function localHint(ip: string, why: string, port: number | null | undefined): string {
  if (why !== "loopback") return "";
  return ` (a local test server? list it in agent.yaml "local_origins", e.g. "${
    ip.includes(":") ? `[${ip}]` : ip
  }:${port ?? 8080}")`;
}

const DNS_FIX = "check the name, the network and the resolver (/etc/resolv.conf)";

/**
 * Refuses a blocked name or literal before resolution, resolves once, refuses if ANY answer is
 * blocked, and returns the canonical addresses to dial (pinned). Throws `SecurityBlock` (kind
 * `"ssrf"`, target = host) on a refusal, `UserError` (code `"dns_failed"`) when the name does not
 * resolve. Loopback and metadata (169.254.169.254, fd00:ec2::254, 100.100.100.200, ...) never
 * pass, even with `allowCidrs` or `allowPrivate`.
 *
 * @example
 * ```ts
 * import { checkHost } from "./net_guard.ts";
 * const resolver = (_: string) => Promise.resolve(["10.0.0.5"]);
 * await checkHost("intranet.test", { resolver }).then(
 *   () => { throw new Error("should be refused"); },
 *   (e) => console.assert(e.kind === "ssrf"),
 * );
 * ```
 */
export async function checkHost(host: string, options: GuardOptions = {}): Promise<string[]> {
  if (String(host ?? "").trim() === "") throw block(host, "the host is empty");
  const name = normalizeHost(host);
  if (name === null) throw block(host, "it is not a valid host name or IP address");
  if (isInternalName(name)) throw block(host, "the name is internal");
  const policy: AddressPolicy = { ...options, declaredLiteral: false };
  if (canonicalAddress(name) !== null) {
    const why = addressRefusal(name, policy, options.port);
    if (why !== null) {
      throw block(host, `address "${name}" is ${why}${localHint(name, why, options.port)}`);
    }
    return [name];
  }
  let answers: string[];
  try {
    answers = await (options.resolver ?? systemResolver)(name);
  } catch (cause) {
    // A permission refusal of the lookup (the jail did not grant the name) stays a refusal:
    // only a real resolution failure is dns_failed.
    if (cause instanceof Deno.errors.NotCapable) throw cause;
    throw new UserError(
      "dns_failed",
      `Cannot resolve host "${host}": ${String(cause)}; ${DNS_FIX}`,
      {
        cause,
      },
    );
  }
  if (answers.length === 0) {
    throw new UserError("dns_failed", `Cannot resolve host "${host}": no addresses; ${DNS_FIX}`);
  }
  const pinned: string[] = [];
  for (const answer of answers) {
    const addr = canonicalAddress(answer);
    if (addr === null) throw block(host, `the resolver answered "${answer}", not an address`);
    const why = addressRefusal(addr, policy, options.port);
    if (why !== null) {
      throw block(
        host,
        `it resolves to "${addr}", which is ${why}${localHint(addr, why, options.port)}`,
      );
    }
    if (!pinned.includes(addr)) pinned.push(addr);
  }
  return pinned;
}
