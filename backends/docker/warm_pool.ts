/**
 * `WarmPool`: hardened sandboxes started ahead of the runs that will use them.
 *
 * - **Keyed** by the image id and the full hardening spec (`pool_key.ts`): one pool serves one
 *   spec, so nothing crosses policies. Members carry `zu.pool=<key>` and the owner labels of
 *   every sandbox (`hardening.ts`), so the reaper removes them when their owner process dies.
 * - **Nothing per-run at create time**: a member is launched from the pool's spec only, as run
 *   `pool-<key12>`. What a run needs (its env, its files) goes over the exec or the session
 *   after the claim.
 * - **Exactly once**: `claim()` takes a member off the ready list before its first `await`, so
 *   concurrent claims in one process never share one; it then renames the container through its
 *   ready name (`zu-pool-…` → `zu-claim-<run>-…`), which the daemon does once, so a second
 *   process holding the same member loses that race and takes the next. Docker labels cannot be
 *   changed after create: the name is the `ready|claimed` state (`pool_members.ts`).
 * - **Never reused**: a claimed member leaves the pool for good; `release()` (or `await using`)
 *   destroys it. The pool refills in the background, at most `refillConcurrency` launches at once.
 * - **Empty pool**: `onEmpty: "cold"` (default) launches a cold sandbox for the claim (`warm:
 *   false`); `"refuse"` throws `RunFailure("pool_empty")` at once.
 * - **Idle**: with `pauseIdle`, members wait frozen (`docker pause`, nothing runs) and are unpaused
 *   on claim; members idle longer than `maxIdleMs` are replaced.
 * - **Session**: with an opener (default: the backend's `session(handle)` when it has one) each
 *   member gets its session before it is ready, and the claim hands it over.
 *
 * @example
 * ```ts ignore
 * import { LocalDockerBackend } from "./local_docker_backend.ts";
 * import { WarmPool } from "./warm_pool.ts";
 * await using backend = new LocalDockerBackend();
 * await using pool = new WarmPool(backend, { image: "zu-attack:0.1.0" }, { size: 2 });
 * await pool.start();
 * await using claim = await pool.claim("run-1");
 * const r = await backend.execEntrypoint(claim.handle, ["echo", "hi"]);
 * console.log(claim.warm, r.stdout);
 * ```
 * @module
 */
import { RunFailure } from "../../core/errors.ts";
import type { ExecSession, SandboxHandle, SandboxSpec } from "../../core/types.ts";
import { statusOf } from "./_client.ts";
import type { DockerSandboxHandle, LocalDockerBackend } from "./local_docker_backend.ts";
import { poolKey } from "./pool_key.ts";
import { CLAIMED_PREFIX, POOL_LABEL, READY_PREFIX } from "./pool_members.ts";
import { seccompJsonFor } from "./sandbox_floor.ts";

/** Opens the exec session of a sandbox. */
export type SessionOpener = (handle: SandboxHandle) => Promise<ExecSession>;

/** Options of {@linkcode WarmPool}. */
export interface WarmPoolOptions {
  /** Ready members to keep. Default 2. */
  size?: number;
  /** A member idle longer than this is replaced. Default 600 000 ms. */
  maxIdleMs?: number;
  /** Pause idle members (`docker pause`); unpaused on claim. Members with a session are never paused (see `#startOne`). Default false. */
  pauseIdle?: boolean;
  /** Launches in flight at once when refilling. Default 2. */
  refillConcurrency?: number;
  /** What a claim does when no member is ready: a cold launch, or `RunFailure("pool_empty")`. Default `cold`. */
  onEmpty?: "cold" | "refuse";
  /** Opens a member's session ahead. Default: `backend.session` when it exists, else none (ready = running). `null`: none. */
  openSession?: SessionOpener | null;
  /** Told of background failures (refills, idle replacement, cleanup). Default: ignored. */
  onError?: (error: unknown) => void;
  /** Clock (ms). Default `Date.now`. */
  now?: () => number;
  /**
   * When the claim renames the member `zu-claim-…`: `await` (before `claim()` resolves; the
   * rename is also the cross-process guard) or `background` (after; one daemon call less on the
   * claim path, exactly once within this process only, `release()` waits for it). Default `await`.
   */
  markClaimed?: "await" | "background";
}

/** A sandbox handed to one run. */
export interface PoolClaim extends AsyncDisposable {
  /** The sandbox (its `runId` is the claiming run). */
  readonly handle: SandboxHandle;
  /** Its session, open, when the pool has an opener. */
  readonly session: ExecSession | null;
  /** True when it came from the pool, false for a cold launch. */
  readonly warm: boolean;
  /** Closes the session and destroys the sandbox. Idempotent. */
  release(): Promise<void>;
}

/** Counts of a pool. */
export interface WarmPoolStats {
  /** Ready members. */
  ready: number;
  /** Launches in flight. */
  starting: number;
  /** Claims not yet released. */
  claimed: number;
  /** Claims served by a ready member, since start. */
  warmClaims: number;
  /** Claims served by a cold launch, since start. */
  coldClaims: number;
}

interface Member {
  handle: DockerSandboxHandle;
  session: ExecSession | null;
  paused: boolean;
  readyAt: number;
}

const MAX_REFILL_FAILURES = 3;

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 32) || "run";
}

function defaultOpener(backend: LocalDockerBackend): SessionOpener | null {
  const session = (backend as unknown as { session?: SessionOpener }).session;
  return typeof session === "function" ? (h) => session.call(backend, h) : null;
}

/** A pool of warm, hardened sandboxes for one spec. */
export class WarmPool implements AsyncDisposable {
  #backend: LocalDockerBackend;
  #spec: SandboxSpec;
  #size: number;
  #maxIdleMs: number;
  #pauseIdle: boolean;
  #concurrency: number;
  #onEmpty: "cold" | "refuse";
  #markInBackground: boolean;
  #opener: SessionOpener | null;
  #onError: (error: unknown) => void;
  #now: () => number;
  #key: string | null = null;
  #ready: Member[] = [];
  #starting = 0;
  #pending = new Set<Promise<void>>();
  #claims = new Set<PoolClaim>();
  #failures = 0;
  #lastError: unknown = null;
  #closed = false;
  #sweep: ReturnType<typeof setInterval> | undefined;
  #warmClaims = 0;
  #coldClaims = 0;

  /** Creates the pool; nothing starts before {@linkcode WarmPool.start}. */
  constructor(backend: LocalDockerBackend, spec: SandboxSpec, options: WarmPoolOptions = {}) {
    this.#backend = backend;
    this.#spec = { ...spec };
    delete this.#spec.runId;
    this.#size = Math.max(0, Math.floor(options.size ?? 2));
    this.#maxIdleMs = options.maxIdleMs ?? 600_000;
    this.#pauseIdle = options.pauseIdle ?? false;
    this.#concurrency = Math.max(1, Math.floor(options.refillConcurrency ?? 2));
    this.#onEmpty = options.onEmpty ?? "cold";
    this.#markInBackground = options.markClaimed === "background";
    this.#opener = options.openSession === undefined ? defaultOpener(backend) : options.openSession;
    this.#onError = options.onError ?? (() => {});
    this.#now = options.now ?? Date.now;
  }

  /** The pool key (64 hex digits); known after `start()`. */
  get key(): string {
    if (this.#key === null) throw new TypeError("The warm pool has no key before start()");
    return this.#key;
  }

  /** Counts of ready, starting and claimed members. */
  stats(): WarmPoolStats {
    return {
      ready: this.#ready.length,
      starting: this.#starting,
      claimed: this.#claims.size,
      warmClaims: this.#warmClaims,
      coldClaims: this.#coldClaims,
    };
  }

  /** Handles of the ready members (a copy). */
  readyMembers(): SandboxHandle[] {
    return this.#ready.map((m) => m.handle);
  }

  /** Computes the key and fills the pool; resolves when `size` members are ready. */
  async start(): Promise<void> {
    if (this.#closed) throw new TypeError("Cannot start a closed warm pool");
    if (this.#key === null) {
      const docker = await this.#backend.client();
      const info = await docker.getImage(this.#spec.image).inspect();
      this.#key = await poolKey(this.#spec, {
        imageId: info.Id,
        seccompJson: seccompJsonFor(this.#spec.seccomp ?? "default"),
        hostCpus: navigator.hardwareConcurrency || 1,
      });
    }
    this.#failures = 0;
    this.#refill();
    for (let i = 0; i < 1000 && this.#pending.size > 0; i++) {
      await Promise.all([...this.#pending]);
    }
    if (this.#ready.length < this.#size && this.#lastError !== null) throw this.#lastError;
    if (this.#sweep === undefined && Number.isFinite(this.#maxIdleMs)) {
      const sweep = setInterval(() => this.#expire(), Math.max(1000, this.#maxIdleMs / 2));
      Deno.unrefTimer(sweep);
      this.#sweep = sweep;
    }
  }

  /**
   * Hands one sandbox to run `runId`, exactly once: a ready member (unpaused, renamed
   * `zu-claim-…`), else a cold launch or `RunFailure("pool_empty")` (see `onEmpty`).
   */
  async claim(runId: string): Promise<PoolClaim> {
    if (this.#closed) throw new TypeError("Cannot claim from a closed warm pool");
    if (this.#key === null) throw new TypeError("Cannot claim from a warm pool before start()");
    for (let i = 0; i < 10_000; i++) {
      const member = this.#ready.shift(); // before any await: one claim per member
      if (member === undefined) break;
      this.#refill();
      if (this.#now() - member.readyAt > this.#maxIdleMs) {
        this.#discard(member);
        continue;
      }
      try {
        const claim = await this.#take(member, runId);
        this.#warmClaims++;
        return claim;
      } catch (error) {
        this.#onError(error);
        if (error instanceof RunFailure && error.code === "sandbox_gone") {
          // Another claimer renamed it first: it is theirs now, so only our session goes.
          member.session?.close().catch(() => {});
        } else {
          this.#discard(member);
        }
      }
    }
    if (this.#onEmpty === "refuse") {
      throw new RunFailure(
        "pool_empty",
        `Cannot claim a sandbox for run "${runId}": the warm pool "${
          this.key.slice(0, 12)
        }" has no ready member (${this.#starting} starting)`,
      );
    }
    const handle = await this.#backend.launch({ ...this.#spec, runId }, {
      labels: { [POOL_LABEL]: this.key, "zu.pool.launch": "cold" },
    });
    let session: ExecSession | null = null;
    try {
      if (this.#opener) session = await this.#opener(handle);
    } catch (error) {
      await this.#backend.destroy(handle).catch(() => {});
      throw error;
    }
    this.#coldClaims++;
    return this.#claimOf(handle, session, false);
  }

  async #take(member: Member, runId: string): Promise<PoolClaim> {
    const docker = await this.#backend.client();
    const suffix = member.handle.name.slice(member.handle.name.lastIndexOf("-") + 1);
    const name = `${CLAIMED_PREFIX}${safeName(runId)}-${suffix}`;
    const renamed = docker.getContainer(member.handle.name).rename({ name }).catch(
      (error: unknown) => {
        const s = statusOf(error);
        if (s === 404 || s === 409) {
          throw new RunFailure(
            "sandbox_gone",
            `Cannot claim pool sandbox "${member.handle.name}": another claim took it`,
            { cause: error },
          );
        }
        throw error;
      },
    );
    const unpaused = member.paused
      ? docker.getContainer(member.handle.id).unpause()
      : Promise.resolve();
    const handle: SandboxHandle = { id: member.handle.id, name, runId };
    if (this.#markInBackground) {
      const marked = renamed.catch((error) => this.#onError(error));
      await unpaused;
      return this.#claimOf(handle, member.session, true, marked);
    }
    await Promise.all([renamed, unpaused]);
    return this.#claimOf(handle, member.session, true);
  }

  #claimOf(
    handle: SandboxHandle,
    session: ExecSession | null,
    warm: boolean,
    marked: Promise<void> = Promise.resolve(),
  ): PoolClaim {
    let released: Promise<void> | null = null;
    const claim: PoolClaim = {
      handle,
      session,
      warm,
      release: () => {
        released ??= (async () => {
          this.#claims.delete(claim);
          if (session) await session.close().catch(() => {});
          await marked;
          await this.#backend.destroy(handle);
        })();
        return released;
      },
      [Symbol.asyncDispose]: () => claim.release(),
    };
    this.#claims.add(claim);
    return claim;
  }

  #refill(): void {
    while (
      !this.#closed && this.#failures < MAX_REFILL_FAILURES &&
      this.#ready.length + this.#starting < this.#size && this.#starting < this.#concurrency
    ) {
      this.#starting++;
      const p: Promise<void> = this.#startOne().then(
        (member) => {
          this.#failures = 0;
          if (this.#closed) this.#discard(member);
          else this.#ready.push(member);
        },
        (error) => {
          this.#failures++;
          this.#lastError = error;
          this.#onError(error);
        },
      ).finally(() => {
        this.#starting--;
        this.#pending.delete(p);
        this.#refill();
      });
      this.#pending.add(p);
    }
  }

  async #startOne(): Promise<Member> {
    const key = this.key;
    const handle = await this.#backend.launch(
      { ...this.#spec, runId: `pool-${key.slice(0, 12)}` },
      { labels: { [POOL_LABEL]: key } },
    );
    try {
      if (!handle.name.startsWith(READY_PREFIX)) {
        throw new TypeError(`Pool sandbox "${handle.name}" lacks the "${READY_PREFIX}" prefix`);
      }
      const session = this.#opener ? await this.#opener(handle) : null;
      // A member with an attached session is never paused: on this host's Docker 20.10 a paused
      // container with an open attached exec left its cgroup FROZEN and hung unpause and rm -f.
      const pause = this.#pauseIdle && session === null;
      if (pause) await (await this.#backend.client()).getContainer(handle.id).pause();
      return { handle, session, paused: pause, readyAt: this.#now() };
    } catch (error) {
      await this.#backend.destroy(handle).catch(() => {});
      throw error;
    }
  }

  #discard(member: Member): void {
    const p: Promise<void> = (async () => {
      if (member.session) await member.session.close().catch(() => {});
      if (member.paused) {
        await (await this.#backend.client()).getContainer(member.handle.id).unpause()
          .catch(() => {});
      }
      await this.#backend.destroy(member.handle);
    })().catch((error) => this.#onError(error)).finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  #expire(): void {
    const now = this.#now();
    const stale = this.#ready.filter((m) => now - m.readyAt > this.#maxIdleMs);
    if (stale.length === 0) return;
    this.#ready = this.#ready.filter((m) => !stale.includes(m));
    for (const m of stale) this.#discard(m);
    this.#refill();
  }

  /** Stops refilling and destroys every member: ready, starting and claimed. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    this.#sweep = undefined;
    for (let i = 0; i < 1000 && this.#pending.size > 0; i++) {
      await Promise.all([...this.#pending]);
    }
    const ready = this.#ready.splice(0);
    for (const m of ready) this.#discard(m);
    const claims = [...this.#claims];
    await Promise.all(claims.map((c) => c.release().catch((e) => this.#onError(e))));
    for (let i = 0; i < 1000 && this.#pending.size > 0; i++) {
      await Promise.all([...this.#pending]);
    }
  }

  /** Same as {@linkcode WarmPool.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
