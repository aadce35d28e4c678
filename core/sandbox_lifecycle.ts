/**
 * The sandbox lifecycle contract over any {@link SandboxBackend}: `provision`, `waitReady`,
 * `teardown` (with a report) where the backend has them, else made from `launch` and `destroy`;
 * and the port check that names what a custom backend lacks.
 *
 * @example
 * ```ts
 * import { missingSandboxMethods, sandboxLifecycle } from "./sandbox_lifecycle.ts";
 * console.assert(missingSandboxMethods({ launch() {} }).join() === "exec,execEntrypoint,destroy");
 * const backend = {
 *   launch: () => Promise.resolve({ id: "a", name: "a", runId: "r" }),
 *   exec: () => Promise.resolve({}),
 *   execEntrypoint: () => Promise.reject(new Error("unused")),
 *   destroy: () => Promise.resolve(),
 *   [Symbol.asyncDispose]: () => Promise.resolve(),
 * };
 * const life = sandboxLifecycle(backend);
 * const box = await life.provision({ image: "x" });
 * console.assert((await life.waitReady(box)).exec === true);
 * console.assert((await life.teardown(box)).containers.join() === "a");
 * ```
 * @module
 */
import type {
  SandboxBackend,
  SandboxHandle,
  SandboxReach,
  SandboxSpec,
  TeardownReport,
} from "./types.ts";

/** The methods every backend must have (the rest of the port is optional capabilities). */
export const REQUIRED_SANDBOX_METHODS: readonly string[] = Object.freeze([
  "launch",
  "exec",
  "execEntrypoint",
  "destroy",
]);

/** Required methods `value` lacks (empty when it implements the port). */
export function missingSandboxMethods(value: unknown): string[] {
  if (typeof value !== "object" || value === null) return [...REQUIRED_SANDBOX_METHODS];
  const v = value as Record<string, unknown>;
  return REQUIRED_SANDBOX_METHODS.filter((m) => typeof v[m] !== "function");
}

/** The lifecycle of one backend, every step present. */
export interface SandboxLifecycle {
  /** Creates and starts a sandbox. */
  provision(spec: SandboxSpec): Promise<SandboxHandle>;
  /** Resolves once it answers; how to reach it. */
  waitReady(handle: SandboxHandle): Promise<SandboxReach>;
  /** Removes it; what went and what did not. */
  teardown(handle: SandboxHandle): Promise<TeardownReport>;
  /** Whether `snapshot`/`restore` work. */
  supportsSnapshots(): boolean;
}

/** An empty report for `handle` (nothing removed, nothing failed). */
export function emptyTeardownReport(handle: SandboxHandle): TeardownReport {
  return {
    sandbox: handle.id,
    containers: [],
    volumes: [],
    networks: [],
    snapshots: [],
    failed: [],
  };
}

/**
 * The lifecycle of `backend`: its own steps where it has them; otherwise `provision` is `launch`
 * (which waits), `waitReady` says only that it execs, and `teardown` is `destroy` reporting the
 * sandbox as its one container (or a failure).
 */
export function sandboxLifecycle(backend: SandboxBackend): SandboxLifecycle {
  return {
    provision: (spec) => backend.provision ? backend.provision(spec) : backend.launch(spec),
    waitReady: (handle) =>
      backend.waitReady ? backend.waitReady(handle) : Promise.resolve({
        exec: true,
        session: false,
        networks: [],
        addresses: [],
        ports: [],
      }),
    teardown: async (handle) => {
      if (backend.teardown) return await backend.teardown(handle);
      const report = emptyTeardownReport(handle);
      try {
        await backend.destroy(handle);
        report.containers.push(handle.id);
      } catch (e) {
        report.failed.push({
          kind: "container",
          name: handle.id,
          error: e instanceof Error ? e.message : String(e),
        });
      }
      return report;
    },
    supportsSnapshots: () =>
      typeof backend.supportsSnapshots === "function" ? backend.supportsSnapshots() : false,
  };
}
