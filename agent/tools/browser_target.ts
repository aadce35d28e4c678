/**
 * Shared by `render_dom` and `browser`: options, target checks (scheme, allowlist, SSRF guard
 * with a single resolution), the sandbox spec (isolated behind the egress proxy, the target
 * allowlisted and pinned), and argument parsing.
 *
 * @module
 */
import { SecurityBlock, UserError } from "../../core/errors.ts";
import { checkHost, type GuardOptions, type Resolver } from "../../core/net_guard.ts";
import { HostAllowlist, urlPort } from "../../core/host_allowlist.ts";
import { parseIpLiteral } from "../../core/host_normalize.ts";
import { DEFAULT_PORTS, netFlagEntry } from "../../core/host_pattern.ts";
import type { RunContext, SandboxBackend, SandboxSpec, SessionHandle } from "../../core/types.ts";
import denoConfig from "../../deno.json" with { type: "json" };
import type { BrowserEgress, EgressLease } from "../../core/types.ts";
import { safeEnv as systemEnv } from "../../core/env.ts";

/** Default tier-2 image: the locally built `zu-browser:<version>`. */
export const DEFAULT_BROWSER_IMAGE: string = `zu-browser:${
  (denoConfig as { version?: string }).version ?? "dev"
}`;

/** Options shared by `RenderDom` and `Browser`. */
export interface BrowserToolOptions {
  /** Where sandboxes run (e.g. `LocalDockerBackend`). Required for a live call. */
  backend?: SandboxBackend;
  /** Puts the egress proxy in front of each sandbox. Without it, see `allowUnrestrictedEgress`. */
  egress?: BrowserEgress;
  /**
   * Without `egress`, launch with unrestricted network instead of refusing. Default false: a
   * call without an egress proxy fails.
   */
  allowUnrestrictedEgress?: boolean;
  /** Image. Default `ZU_RENDER_IMAGE` or `zu-browser:<version>`. */
  image?: string;
  /**
   * Host patterns the tool may reach (core's grammar: `host`, `*.domain` with its apex,
   * `host:port`; no port means 80 and 443). Default: any host.
   */
  allowedDomains?: string[];
  /** Let private and shared addresses through (never loopback or metadata). Default false. */
  allowPrivate?: boolean;
  /** Non-global CIDRs let through (never loopback or metadata). Default none. */
  allowCidrs?: string[];
  /** Resolves the target once. Default the system resolver. */
  resolver?: Resolver;
  /** Exec / per-command timeout in ms. Default 60,000. */
  timeoutMs?: number;
  /** Opens a session (default `backend.openSession`). */
  openSession?: (spec: SandboxSpec) => Promise<SessionHandle>;
  /** Environment seam. Default `Deno.env.get`. */
  env?: (name: string) => string | undefined;
}

/** A checked target. */
export interface CheckedTarget {
  /** The URL as given (normalised by `URL`). */
  url: string;
  /** Lower-case host without brackets. */
  host: string;
  /** The addresses the guard checked (to pin). */
  addresses: string[];
}

/** The resolved tool configuration. */
export class BrowserToolConfig {
  /** Sandbox backend. */
  readonly backend: SandboxBackend | null;
  /** Egress provider. */
  readonly egress: BrowserEgress | null;
  /** Unrestricted opt-in. */
  readonly allowUnrestrictedEgress: boolean;
  /** Image. */
  readonly image: string;
  /** Timeout. */
  readonly timeoutMs: number;
  /** Session opener. */
  readonly openSession: ((spec: SandboxSpec) => Promise<SessionHandle>) | null;
  #allowedDomains: HostAllowlist | null;
  #guard: GuardOptions;

  /** Applies defaults. */
  constructor(options: BrowserToolOptions) {
    const env = options.env ?? systemEnv;
    this.backend = options.backend ?? null;
    this.egress = options.egress ?? null;
    this.allowUnrestrictedEgress = options.allowUnrestrictedEgress ?? false;
    this.image = options.image ?? env("ZU_RENDER_IMAGE") ?? DEFAULT_BROWSER_IMAGE;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    if (!(this.timeoutMs > 0)) throw new RangeError(`Invalid timeoutMs "${this.timeoutMs}"`);
    const backend = this.backend;
    this.openSession = options.openSession ??
      (backend?.openSession ? (spec: SandboxSpec) => backend.openSession!(spec) : null);
    this.#allowedDomains = options.allowedDomains
      ? new HostAllowlist(options.allowedDomains)
      : null;
    this.#guard = {
      allowPrivate: options.allowPrivate ?? false,
      allowCidrs: [...(options.allowCidrs ?? [])],
    };
    if (options.resolver) this.#guard.resolver = options.resolver;
  }

  /** Scheme, allowlist and SSRF checks; resolves once. Throws `TypeError` or `SecurityBlock`. */
  async checkTarget(raw: unknown): Promise<CheckedTarget> {
    if (typeof raw !== "string" || raw.trim() === "") {
      throw new TypeError(`Cannot render: argument "url" must be a non-empty string`);
    }
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      throw new TypeError(`Cannot render "${raw}": not a valid URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new SecurityBlock(`Cannot render "${raw}": only http and https URLs are allowed`, {
        kind: "scheme",
        target: raw,
      });
    }
    if (url.username || url.password) {
      throw new SecurityBlock(`Cannot render "${raw}": URLs with credentials are refused`, {
        kind: "ssrf",
        target: raw,
      });
    }
    const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
    if (this.#allowedDomains && !this.#allowedDomains.allows(host, urlPort(url) ?? 0)) {
      throw new SecurityBlock(`Cannot render "${raw}": host "${host}" is not in allowed_domains`, {
        kind: "off_allowlist",
        target: host,
      });
    }
    const addresses = await checkHost(host, this.#guard);
    return { url: url.href, host, addresses };
  }

  /** The backend, or a one-line error saying what to configure. */
  requireBackend(tool: string): SandboxBackend {
    if (!this.backend) {
      throw new UserError(
        "sandbox_required",
        `Cannot run "${tool}": no sandbox backend is configured (tier 2 runs Chromium in a sandbox)`,
      );
    }
    return this.backend;
  }

  /** Opens the egress lease for `target` (or `null` with the unrestricted opt-in). */
  async lease(tool: string, target: CheckedTarget, runId: string): Promise<EgressLease | null> {
    if (this.egress) {
      const port = nonDefaultPort(target);
      return await this.egress.open({
        host: target.host,
        addresses: target.addresses,
        runId,
        ...(port === null ? {} : { port }),
      });
    }
    if (this.allowUnrestrictedEgress) return null;
    throw new UserError(
      "egress_required",
      `Cannot run "${tool}": no egress proxy is configured and unrestricted egress was not allowed`,
    );
  }

  /** The sandbox spec: isolated behind the lease's proxy, target allowlisted and pinned. */
  spec(
    target: CheckedTarget,
    lease: EgressLease | null,
    runId: string,
    cmd?: string[],
  ): SandboxSpec {
    const extraHosts: Record<string, string> = { ...(lease?.extraHosts ?? {}) };
    const first = target.addresses[0];
    if (parseIpLiteral(target.host) === null && first !== undefined) {
      extraHosts[target.host] = first;
    }
    const spec: SandboxSpec = {
      image: this.image,
      allowlist: [targetEntry(target)],
      extraHosts,
      runId,
      env: { ZU_SANDBOXED: "1" },
      // Chromium needs more than the backend's default; the floor caps it at 1 GiB anyway.
      memoryBytes: 1024 * 1024 * 1024,
    };
    if (cmd) spec.cmd = cmd;
    if (lease) {
      spec.network = "isolated";
      spec.networkName = lease.networkName;
      spec.proxy = lease.proxy;
    } else {
      spec.network = "unrestricted";
      spec.allowUnrestrictedEgress = true;
    }
    return spec;
  }
}

/** The run key of a call: the trace id, else the task id. */
export function runKeyOf(ctx: RunContext | undefined): string {
  return ctx?.trace_id ?? ctx?.spec?.task_id ?? "default";
}

function intIn(
  args: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
): number | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new TypeError(`Invalid argument "${key}": expected an integer from ${min} to ${max}`);
  }
  return v;
}

/** Viewport and wait arguments shared by both tools, validated. */
export function viewArgs(args: Record<string, unknown>): {
  width?: number;
  height?: number;
  waitUntil?: string;
  waitFor?: string;
  waitMs?: number;
  captureNetwork: boolean;
} {
  const out: ReturnType<typeof viewArgs> = { captureNetwork: args["capture_network"] === true };
  const width = intIn(args, "width", 100, 10_000);
  const height = intIn(args, "height", 100, 10_000);
  const waitMs = intIn(args, "wait_ms", 0, 30_000);
  if (width !== undefined) out.width = width;
  if (height !== undefined) out.height = height;
  if (waitMs !== undefined) out.waitMs = waitMs;
  const wu = args["wait_until"];
  if (wu !== undefined && wu !== null) {
    if (
      typeof wu !== "string" || !["load", "domcontentloaded", "networkidle", "commit"].includes(wu)
    ) {
      throw new TypeError(`Invalid argument "wait_until" "${String(wu)}"`);
    }
    out.waitUntil = wu;
  }
  const wf = args["wait_for"];
  if (wf !== undefined && wf !== null) {
    if (typeof wf !== "string" || wf.trim() === "") {
      throw new TypeError(`Invalid argument "wait_for"`);
    }
    out.waitFor = wf;
  }
  return out;
}

/** The target's port when it is not one a bare host covers (80, 443), else null. */
function nonDefaultPort(target: CheckedTarget): number | null {
  const port = urlPort(new URL(target.url));
  return port === null || DEFAULT_PORTS.includes(port) ? null : port;
}

/** The proxy allowlist entry of a checked target: its host, with its port when not 80 or 443. */
function targetEntry(target: CheckedTarget): string {
  return netFlagEntry(target.host, nonDefaultPort(target));
}
