/**
 * The key of a warm pool: sha256 of a canonical form of everything that decides a sandbox's
 * isolation. Two specs share pool members only when their keys are equal, so a change of any
 * hardening field (image id, network mode or network name, egress allowlist, proxy, limits,
 * seccomp profile, environment, command, workdir, extra hosts, host CPUs that cap the quota)
 * is another pool: no cross-policy reuse.
 *
 * The canonical form is the container create options that `hardening.ts` builds for the spec
 * (so a field the floor learns later is keyed without touching this file), with the per-sandbox
 * fields left out (name, labels), the image reference replaced by the image id, and every field
 * of the spec but `runId` next to it. Keys of objects are sorted; arrays keep their order.
 *
 * @example
 * ```ts
 * import { poolKey } from "./pool_key.ts";
 * import { seccompJsonFor } from "./sandbox_floor.ts";
 * const ctx = { imageId: "sha256:abc", seccompJson: seccompJsonFor("default"), hostCpus: 2 };
 * const a = await poolKey({ image: "zu-runtime:0.1.0" }, ctx);
 * const b = await poolKey({ image: "zu-runtime:0.1.0", pidsLimit: 64 }, ctx);
 * console.assert(a !== b && a.length === 64);
 * ```
 * @module
 */
import type { SandboxSpec } from "../../core/types.ts";
import { hardenedCreateOptions } from "./hardening.ts";

/** What the key needs besides the spec. */
export interface PoolKeyContext {
  /** The image id (`sha256:…`) the image reference resolves to now. */
  imageId: string;
  /** The inline seccomp profile JSON the sandboxes get. */
  seccompJson: string;
  /** The host's CPUs (they cap the CPU quota). */
  hostCpus: number;
}

// The network the floor sees; which one it is (name, mode) is keyed as `network` beside it.
const NETWORK_MODES: Record<string, string> = {
  none: "none",
  isolated: "zu-net-pool",
  unrestricted: "bridge",
};

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = canonical(v);
    }
    return out;
  }
  return value;
}

/** The canonical JSON text a pool key hashes (exported for tests and audits). */
export function poolKeyText(spec: SandboxSpec, ctx: PoolKeyContext): string {
  const { runId: _runId, ...rest } = spec;
  const network = `${spec.network ?? "none"}:${spec.networkName ?? ""}`;
  const create: Record<string, unknown> = {
    ...hardenedCreateOptions(rest, {
      name: "pool",
      runId: "pool",
      seccompJson: ctx.seccompJson,
      networkMode: NETWORK_MODES[spec.network ?? "none"] ?? "none",
      ownerPid: 0,
      ownerStart: "",
      createdAt: 0,
      hostCpus: ctx.hostCpus,
    }),
  };
  delete create.name;
  delete create.Labels;
  create.Image = ctx.imageId;
  // The order of the environment does not change the sandbox.
  if (Array.isArray(create.Env)) create.Env = [...create.Env].sort();
  return JSON.stringify(canonical({ v: 1, create, spec: rest, imageId: ctx.imageId, network }));
}

/** The pool key of a spec: 64 hex digits of sha256 over {@linkcode poolKeyText}. */
export async function poolKey(spec: SandboxSpec, ctx: PoolKeyContext): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(poolKeyText(spec, ctx)),
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
