/**
 * Computes the Deno permission flags of a jailed agent run: exactly the hosts the agent declared,
 * read on its own directory, write on nothing unless asked, env limited to named keys, and never
 * run, ffi, sys or `-A`.
 *
 * Hosts use core's one grammar (`parseHostPattern`: a pattern without a port is granted as
 * `host:80,host:443`, `*.domain` covers its apex as Deno's wildcard does), and every address that
 * would go into `--allow-net` (a declared literal, or an answer a declared name resolved to)
 * passes core's classifier (`addressRefusal`) first. A refused one is never granted: it is listed
 * in `refused` and in `explain` instead, and the run starts without it.
 *
 * @example
 * ```ts
 * import { computeRunPermissions } from "./permission_flags.ts";
 * const p = computeRunPermissions({
 *   agentDir: "/agents/shop",
 *   tools: [{ name: "http_fetch", egress: ["*"] }],
 *   target: "https://shop.example/item",
 *   provider: { name: "scripted" },
 * }, { mode: "live" });
 * console.assert(p.flags.includes("--allow-net=shop.example:80,shop.example:443"));
 * ```
 * @module
 */
import { cidrContains } from "../../core/address_class.ts";
import type { AddressPolicy } from "../../core/address_policy.ts";
import { isCanonicalLiteral } from "../../core/host_normalize.ts";
import { compareNetEntries, type DeclaredHost, grantNet } from "../../core/net_grant.ts";
import { splitHostPort } from "../../core/host_port.ts";
import { type HostPattern, parseHostPattern } from "../../core/host_pattern.ts";
import type { ProviderEndpoint } from "../../core/types.ts";
import {
  BROKER_WHY,
  type BrokerAddress,
  brokerEntry,
  modelRoutes,
  providerRoute,
  providerUpstream,
} from "./model_routes.ts";

export { BROKER_WHY, type BrokerAddress };

/** A tool as the jail sees it: a name and its declared egress. */
export interface JailTool {
  /** Tool name. */
  name: string;
  /** Hosts it may reach (`host`, `host:port`, `*.domain`, or `*` = "where the task points"). */
  egress?: ReadonlySet<string> | readonly string[];
}

/** The model provider as the jail sees it. */
export interface JailProvider {
  /** Registry name (`scripted`, `openai`, `anthropic`, ...). */
  name: string;
  /** Explicit base URL, if configured. */
  baseUrl?: string | null;
  /** Env variable holding the base URL. */
  baseUrlEnv?: string | null;
  /** Env variable holding the API key. */
  apiKeyEnv?: string | null;
  /**
   * Where the provider talks to by default, as its builder declares it in the provider registry
   * (`base_url`, `base_url_env` and `api_key_env` override it). Default: none, so no host is
   * granted until the agent sets `base_url`.
   */
  endpoint?: ProviderEndpoint | null;
  /** The agent file gives the key itself (`api_key`): the broker adds none. Default false. */
  explicitKey?: boolean;
  /** The tier this provider serves (`providers.<n>`); absent for the agent's provider. */
  tier?: number;
}

/** What the jail needs to know about an agent. */
export interface JailAgent {
  /** Absolute path of the agent directory. */
  agentDir: string;
  /** The run's tools. */
  tools: Iterable<JailTool>;
  /** The task target (URL), if any. */
  target?: string | null;
  /** `allowed_domains` of the agent. */
  allowedDomains?: readonly string[];
  /** The model provider (all tiers). */
  provider?: JailProvider | null;
  /** Providers of other tiers. */
  extraProviders?: readonly JailProvider[];
  /**
   * The address policy the agent's navigation tools run with (their `allow_cidrs` and
   * `allow_private`, and agent.yaml's `local_origins`), applied to the addresses the jail grants,
   * so the jail and `http_fetch` agree. A tool with open egress is granted every local origin
   * (a loopback address on its one port); otherwise loopback, metadata and unspecified
   * addresses never pass it. Default closed.
   */
  addressPolicy?: Omit<AddressPolicy, "declaredLiteral">;
}

/** Options of {@link computeRunPermissions}. */
export interface RunPermissionOptions {
  /** `live` grants the declared hosts; `offline` (replay, harden) grants no net at all. */
  mode: "live" | "offline";
  /** Extra paths the child may read (default none). */
  readPaths?: readonly string[];
  /** Paths the child may write (default none: the host process writes the event log). */
  writePaths?: readonly string[];
  /** Extra env keys the child may read (default none besides the provider's). */
  envKeys?: readonly string[];
  /** Reads the host's environment (to resolve `base_url_env`). Default: none set. */
  env?: (name: string) => string | undefined;
  /**
   * Addresses the host resolved for declared names (`{"shop.example": ["93.184.216.34"]}`). Tools
   * that dial the checked address (http_fetch pins its connection) need these granted too; the
   * child is handed the same answers so it never resolves a name itself.
   */
  resolved?: Readonly<Record<string, readonly string[]>>;
  /**
   * The run's model broker (live runs whose providers call an API): the providers' hosts are
   * not granted and their key and base-URL variables are not readable; the broker's address is
   * granted instead. `"planned"` when its port is not chosen yet (`explain-permissions`).
   * Default none: the providers' hosts and variables are granted directly.
   */
  broker?: BrokerAddress | "planned";
}

/** One granted (or refused) thing and why. */
export interface PermissionReason {
  /** The flag it belongs to (`--allow-net`, `--deny-net`, ...). */
  flag: string;
  /** The value inside the flag (a host, a path, a key), or `""` for the flag as a whole. */
  value: string;
  /** Why. */
  why: string;
}

/** The computed permissions. */
export interface RunPermissions {
  /** The exact `deno run` permission flags, in a stable order. */
  flags: string[];
  /** One line per grant or refusal. */
  explain: PermissionReason[];
  /** Hosts granted (`--allow-net`), each as `host:port`. */
  net: string[];
  /**
   * Declared hosts, literals and resolved addresses the host policy refused: never granted, each
   * with the reason (also in {@link RunPermissions.explain}).
   */
  refused: PermissionReason[];
  /** Addresses denied (`--deny-net`). */
  denyNet: string[];
  /** Paths readable. */
  read: string[];
  /** Paths writable. */
  write: string[];
  /** Env keys readable. */
  env: string[];
}

/** The ranges a live child may never reach, even through a name that resolves into them. */
export const DENY_RANGES: readonly { range: string; why: string; droppable: boolean }[] = [
  { range: "0.0.0.0/8", why: '"this network": 0.0.0.0 reaches the host itself', droppable: false },
  { range: "10.0.0.0/8", why: "private network (RFC 1918)", droppable: true },
  {
    range: "100.64.0.0/10",
    why: "shared address space (CGNAT; holds 100.100.100.200 metadata)",
    droppable: false,
  },
  { range: "127.0.0.0/8", why: "loopback: services on this machine", droppable: true },
  {
    range: "169.254.0.0/16",
    why: "link-local, holds the cloud metadata service 169.254.169.254",
    droppable: false,
  },
  { range: "172.16.0.0/12", why: "private network (RFC 1918)", droppable: true },
  { range: "192.168.0.0/16", why: "private network (RFC 1918)", droppable: true },
  { range: "168.63.129.16", why: "Azure WireServer (metadata)", droppable: false },
  {
    range: "192.0.0.0/24",
    why: "IETF assignments; holds Oracle's metadata 192.0.0.192",
    droppable: false,
  },
  { range: "224.0.0.0/4", why: "multicast", droppable: false },
  { range: "240.0.0.0/4", why: "reserved, and the broadcast address", droppable: false },
  { range: "[::1]", why: "IPv6 loopback", droppable: true },
  { range: "[::]", why: "IPv6 unspecified: reaches the host itself", droppable: false },
  { range: "[fd00:ec2::254]", why: "IPv6 cloud metadata service", droppable: false },
  {
    range: "[fd00:ec2::23]",
    why: "IPv6 cloud metadata service (EKS pod identity)",
    droppable: false,
  },
];

/**
 * Env keys every child may read: npm:yaml checks its `LOG_TOKENS`/`LOG_STREAM` debug switches
 * while parsing agent.yaml. The child's environment is cleared, so they are unset there.
 */
export const PARSER_ENV_KEYS: readonly string[] = ["LOG_STREAM", "LOG_TOKENS"];

/** `host` or `host:port` of a URL as Deno's `--allow-net` writes it; `null` when not a URL. */
export function netEntryOfUrl(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (!u.hostname) return null;
  return u.port ? `${u.hostname}:${u.port}` : u.hostname;
}

/** A declared entry: `host`, `host:port`, `*.domain`, or a URL (its host and port). */
function patternText(raw: string): string {
  const e = raw.trim();
  return e.includes("://") ? netEntryOfUrl(e) ?? e : e;
}

/**
 * Computes the run's permission flags. A tool that declares `*` egress (like `http_fetch`)
 * contributes the task target's host and the `allowed_domains`, never a blanket `--allow-net`.
 */
export function computeRunPermissions(
  agent: JailAgent,
  options: RunPermissionOptions,
): RunPermissions {
  const env = options.env ?? (() => undefined);
  const explain: PermissionReason[] = [];
  const declared: DeclaredHost[] = [];
  const refused: PermissionReason[] = [];
  const refuse = (value: string, why: string): void => {
    refused.push({ flag: "--allow-net", value, why: `refused, never granted: ${why}` });
  };
  const addEntry = (entry: string | null, why: string, explicit: boolean): void => {
    if (!entry || entry.trim() === "*") return;
    const text = patternText(entry);
    let pattern: HostPattern;
    try {
      pattern = parseHostPattern(text);
    } catch (e) {
      refuse(text, `${why}: ${(e as Error).message}`);
      return;
    }
    const rawHost = splitHostPort(text).host;
    declared.push({ pattern, why, declaredLiteral: explicit && isCanonicalLiteral(rawHost) });
  };
  const add = (entry: string | null, why: string): void => addEntry(entry, why, false);
  const addExplicit = (entry: string | null, why: string): void => addEntry(entry, why, true);
  const envKeys = new Map<string, string>();
  const live = options.mode === "live";
  const target = agent.target ? netEntryOfUrl(agent.target) : null;
  const domains = (agent.allowedDomains ?? []).map((d) => d.trim()).filter((d) => d.length > 0);

  for (const tool of agent.tools) {
    const egress = [...(tool.egress ?? [])];
    for (const e of egress) {
      if (e === "*") {
        if (target) add(target, `tool "${tool.name}" declares open egress: the task target`);
        for (const d of domains) {
          add(d, `tool "${tool.name}" declares open egress: allowed_domains`);
        }
        for (const o of agent.addressPolicy?.localOrigins ?? []) {
          add(o, `tool "${tool.name}" declares open egress: local_origins`);
        }
        if (!target && domains.length === 0) {
          explain.push({
            flag: "--allow-net",
            value: "",
            why:
              `tool "${tool.name}" declares open egress but the agent names no target or allowed_domains, so it gets no host`,
          });
        }
      } else {
        addExplicit(e, `tool "${tool.name}" declared egress`);
      }
    }
  }
  const routed = options.broker !== undefined && live && modelRoutes(agent, env).length > 0;
  for (const p of [agent.provider, ...(agent.extraProviders ?? [])]) {
    if (!p) continue;
    const r = providerUpstream(p, env);
    const entry = r.url ? netEntryOfUrl(r.url) : null;
    if (routed && entry && providerRoute(p, "x", env)) {
      explain.push({
        flag: "--allow-net",
        value: "",
        why: `${r.why}: "${entry}" is not granted, the model broker on the host talks to it`,
      });
      continue;
    }
    addExplicit(entry, r.why);
    if (!entry) explain.push({ flag: "--allow-net", value: "", why: r.why });
    if (routed) continue;
    if (r.keyEnv) envKeys.set(r.keyEnv, `provider "${p.name}" API key`);
    if (r.baseEnv) envKeys.set(r.baseEnv, `provider "${p.name}" base URL`);
  }
  for (const k of PARSER_ENV_KEYS) {
    envKeys.set(
      k,
      "read by npm:yaml while parsing agent.yaml (a debug switch; unset in the child)",
    );
  }
  for (const k of options.envKeys ?? []) {
    if (!envKeys.has(k)) envKeys.set(k, "requested by the command");
  }

  const flags = ["--no-prompt", "--cached-only"];
  const netList: string[] = [];
  const denyNet: string[] = [];
  if (live) {
    const grants = grantNet(declared, {
      resolved: options.resolved ?? {},
      policy: agent.addressPolicy ?? {},
    });
    const { net } = grants;
    const lifted = [...grants.lifted];
    for (const r of grants.refused) refuse(r.value, r.why);
    if (routed && options.broker !== undefined) {
      const b = brokerEntry(options.broker);
      const when = options.broker === "planned" ? " (its port is chosen when the run starts)" : "";
      net.set(b.entry, `${BROKER_WHY}${when}`);
      if (isCanonicalLiteral(b.hostname)) lifted.push(b.hostname);
    }
    netList.push(...[...net.keys()].sort(compareNetEntries));
    if (netList.length) {
      flags.push(`--allow-net=${netList.join(",")}`);
      for (const h of netList) {
        explain.push({ flag: "--allow-net", value: h, why: net.get(h) ?? "" });
      }
    } else {
      explain.push({
        flag: "--allow-net",
        value: "",
        why: "nothing declared: the child gets no network at all",
      });
    }
    explain.push(...refused);
    for (const d of DENY_RANGES) {
      const inside = lifted.find((ip) =>
        d.range.startsWith("[")
          ? `[${ip}]` === d.range
          : !ip.includes(":") && cidrContains(d.range, ip)
      );
      if (inside && d.droppable) {
        explain.push({
          flag: "--deny-net",
          value: d.range,
          why:
            `not denied: the granted address "${inside}" lies in it (only its declared ports are allowed)`,
        });
        continue;
      }
      explain.push({
        flag: "--deny-net",
        value: d.range,
        why: `${d.why}; also applied to resolved addresses`,
      });
      denyNet.push(d.range);
    }
    flags.push(`--deny-net=${denyNet.join(",")}`);
  } else {
    explain.push({
      flag: "--allow-net",
      value: "",
      why:
        "offline replay and harden: no network at all, the model and tools replay from the bundle",
    });
  }

  const read = [agent.agentDir, ...(options.readPaths ?? [])];
  const readList = [...new Set(read)];
  flags.push(`--allow-read=${readList.join(",")}`);
  explain.push({
    flag: "--allow-read",
    value: agent.agentDir,
    why: "the agent directory: agent.yaml, its pages, fixtures and tools",
  });
  for (const p of readList.slice(1)) {
    explain.push({ flag: "--allow-read", value: p, why: "requested by the command" });
  }
  explain.push({
    flag: "--allow-read",
    value: "",
    why: "zu's own modules and node_modules are loaded by the runtime and need no read grant",
  });

  const write = [...new Set(options.writePaths ?? [])];
  if (write.length) {
    flags.push(`--allow-write=${write.join(",")}`);
    for (const p of write) {
      explain.push({ flag: "--allow-write", value: p, why: "an output of this run" });
    }
  } else {
    explain.push({
      flag: "--allow-write",
      value: "",
      why: "none: events stream to the host process, which alone writes the event log and bundles",
    });
  }

  const envList = [...envKeys.keys()].sort();
  if (envList.length) {
    flags.push(`--allow-env=${envList.join(",")}`);
    for (const k of envList) {
      explain.push({ flag: "--allow-env", value: k, why: envKeys.get(k) ?? "" });
    }
  } else {
    explain.push({
      flag: "--allow-env",
      value: "",
      why: "none: the child reads no environment variable",
    });
  }
  explain.push({
    flag: "--allow-run",
    value: "",
    why: "never: a child process would not be sandboxed",
  });
  explain.push({
    flag: "--allow-ffi",
    value: "",
    why: "never: native code bypasses every Deno permission",
  });
  explain.push({ flag: "--allow-sys", value: "", why: "never: not needed by an agent" });
  explain.push({
    flag: "--cached-only",
    value: "",
    why: "no module may be downloaded at run time (npm included)",
  });
  return {
    flags,
    explain,
    net: netList,
    refused: live ? refused : [],
    denyNet,
    read: readList,
    write,
    env: envList,
  };
}
