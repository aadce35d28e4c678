/**
 * Per-run git gate tokens: minted at run start for one run, one repository and its grant; held
 * only in this process's memory (keyed by their SHA-256, never the token); revoked at run end and
 * expiring on their own, so a crashed run's tokens die with its process or their time.
 *
 * @example
 * ```ts
 * import { GateTokens } from "./gate_tokens.ts";
 * const tokens = new GateTokens();
 * const grant = { name: "app", access: "read" as const, branches: [], force: false, main: false, tags: false };
 * const t = await tokens.mint("run-1", grant);
 * console.assert((await tokens.check(t))?.run === "run-1");
 * tokens.revokeRun("run-1");
 * console.assert(await tokens.check(t) === null);
 * ```
 * @module
 */
import type { RepoGrant } from "../../core/repo_grant.ts";

/** What a token stands for. */
export interface GateToken {
  /** The run it was minted for (also its push namespace). */
  run: string;
  /** The repository and what the run may do there. */
  grant: RepoGrant;
  /** A short public id for the log (a prefix of the token's SHA-256). */
  id: string;
  /** Epoch ms after which it is refused. */
  expires: number;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** True when `run` can name a push namespace. */
export function isGateRunId(run: string): boolean {
  return RUN_ID.test(run);
}

async function digest(token: string): Promise<string> {
  const bytes = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)),
  );
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The in-memory token table of one gate server. */
export class GateTokens {
  #byDigest = new Map<string, GateToken>();
  #now: () => number;
  #ttlMs: number;

  /** `ttlMs` (default 12 h) bounds a token's life even if its run never ends cleanly. */
  constructor(options: { ttlMs?: number; now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? 12 * 3600_000;
    this.#now = options.now ?? Date.now;
  }

  /** Mints a fresh 256-bit token `zugate_<64 hex>` for `run` and `grant`. */
  async mint(run: string, grant: RepoGrant, options: { ttlMs?: number } = {}): Promise<string> {
    if (!isGateRunId(run)) throw new TypeError(`Cannot mint a gate token: bad run id "${run}"`);
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const token = `zugate_${Array.from(raw, (b) => b.toString(16).padStart(2, "0")).join("")}`;
    const d = await digest(token);
    this.#byDigest.set(d, {
      run,
      grant: structuredClone(grant),
      id: d.slice(0, 12),
      expires: this.#now() + (options.ttlMs ?? this.#ttlMs),
    });
    return token;
  }

  /** The live token's binding, or null (unknown, revoked or expired). */
  async check(token: string): Promise<GateToken | null> {
    if (!/^zugate_[0-9a-f]{64}$/.test(token)) return null;
    const d = await digest(token);
    const t = this.#byDigest.get(d);
    if (t === undefined) return null;
    if (this.#now() >= t.expires) {
      this.#byDigest.delete(d);
      return null;
    }
    return t;
  }

  /** Revokes every token of `run`; returns how many. */
  revokeRun(run: string): number {
    let n = 0;
    for (const [d, t] of this.#byDigest) {
      if (t.run === run) {
        this.#byDigest.delete(d);
        n++;
      }
    }
    return n;
  }

  /** Revokes everything. */
  clear(): void {
    this.#byDigest.clear();
  }
}
