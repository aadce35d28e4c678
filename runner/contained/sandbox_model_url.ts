/**
 * Before a contained run starts: a model URL on loopback (`base_url: http://127.0.0.1:11434/v1`,
 * or `localhost`) cannot be reached from inside the runtime container, whose loopback is the
 * container itself and whose only route is the egress proxy (which refuses loopback). Said up
 * front, in one line with what to do, instead of a connection failure deep in the run.
 *
 * With the host-side model broker (`brokered`), a provider that has a key variable is called
 * through the broker, which runs on the host and reaches the host's loopback: that URL is
 * allowed. A provider the broker does not carry (no key variable) still cannot reach loopback.
 *
 * @example
 * ```ts
 * import { checkSandboxModelUrls } from "./sandbox_model_url.ts";
 * const agent = { agentDir: "/a", tools: [], provider: { name: "openai", baseUrl: "http://127.0.0.1:8000/v1" } };
 * let why = "";
 * try { checkSandboxModelUrls("a", agent); } catch (e) { why = (e as Error).message; }
 * console.assert(why.includes("loopback"));
 * ```
 * @module
 */
import { addressClass } from "../../core/address_class.ts";
import { UserError } from "../../core/errors.ts";
import { normalizeHost } from "../../core/host_normalize.ts";
import type { JailAgent, JailProvider } from "../jail/permission_flags.ts";

/** The URL a provider will call, and where it came from, or null when it calls none. */
function modelUrl(
  p: JailProvider,
  env: (name: string) => string | undefined,
): { url: string; from: string } | null {
  if (p.baseUrl) return { url: p.baseUrl, from: "base_url" };
  const baseEnv = p.baseUrlEnv ?? p.endpoint?.baseUrlEnv ?? null;
  const fromEnv = baseEnv ? env(baseEnv) : undefined;
  if (fromEnv) return { url: fromEnv, from: `$${baseEnv}` };
  return p.endpoint?.baseUrl ? { url: p.endpoint.baseUrl, from: "the provider's default" } : null;
}

const LOOPBACK_NAMES = /^(localhost|localhost\.localdomain|ip6-localhost|ip6-loopback)$/;

function isLoopback(host: string): boolean {
  const h = normalizeHost(host.replace(/^\[|\]$/g, ""));
  if (h === null) return false;
  if (LOOPBACK_NAMES.test(h) || h.endsWith(".localhost")) return true;
  try {
    return addressClass(h) === "loopback" || addressClass(h) === "unspecified";
  } catch {
    return false;
  }
}

/**
 * Throws a `UserError` (`network_policy`) when a provider of `agent` would call a loopback URL
 * from inside the sandbox; `agentName` is shown in the message. With `brokered`, providers the
 * host-side model broker carries (those with a key variable) are not checked: the broker, on the
 * host, reaches loopback.
 */
export function checkSandboxModelUrls(
  agentName: string,
  agent: JailAgent,
  env: (name: string) => string | undefined = () => undefined,
  options: { brokered?: boolean } = {},
): void {
  for (const p of [agent.provider, ...(agent.extraProviders ?? [])]) {
    if (!p) continue;
    const keyEnv = p.apiKeyEnv ?? p.endpoint?.apiKeyEnv ?? null;
    if (options.brokered === true && keyEnv !== null) continue; // the broker on the host calls it
    const m = modelUrl(p, env);
    if (m === null) continue;
    let u: URL;
    try {
      u = new URL(m.url);
    } catch {
      continue;
    }
    if (!isLoopback(u.hostname)) continue;
    throw new UserError(
      "network_policy",
      `Cannot run "${agentName}" sandboxed: the model URL "${m.url}" (${m.from}) is on loopback, which is not reachable from the container (its loopback is the container itself); serve the model on an address the container can reach, name it in base_url (e.g. http://llm.internal:${
        u.port || "8000"
      }/v1) and point that name at the host with ZU_SANDBOX_HOSTS=llm.internal=<host ip> and ZU_SANDBOX_ALLOW_CIDRS=<its range>, or run without --sandboxed`,
    );
  }
}
