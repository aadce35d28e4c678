/**
 * The sandbox backend registry: which backends exist by name, and how `backend:` in agent.yaml
 * picks one. A name is looked up here (`local-docker`, loaded lazily: nothing imports dockerode
 * until it is opened); a module reference `./my_backend.ts#makeBackend` (relative to the agent
 * directory, the same rule as plugin references) loads a custom one. The export may be a class
 * (constructed with the context), a factory (called, may be async) or a ready object. What it
 * gives must implement the port (`launch`, `exec`, `execEntrypoint`, `destroy`), else one line
 * names the missing methods (`backend_invalid`). A custom backend is trusted code, like a plugin:
 * it runs in the zu process on the host.
 *
 * @example
 * ```ts
 * import { openSandboxBackend, sandboxBackendNames } from "./sandbox_registry.ts";
 * console.assert(sandboxBackendNames().join() === "local-docker");
 * const backend = await openSandboxBackend(null, { agentDir: ".", env: () => undefined, prices: null });
 * await (backend as unknown as AsyncDisposable)[Symbol.asyncDispose]();
 * ```
 * @module
 */
import { Registry } from "../core/registry.ts";
import { UserError } from "../core/errors.ts";
import { missingSandboxMethods } from "../core/sandbox_lifecycle.ts";
import type { SandboxBackend, SandboxPrices } from "../core/types.ts";

/** What a backend is opened with. */
export interface SandboxBackendContext {
  /** The agent directory (module references are relative to it). */
  agentDir: string;
  /** The host's environment (`DOCKER_HOST`, ...). */
  env: (name: string) => string | undefined;
  /** The operator's price table, or null (the cost methods then answer null). */
  prices: SandboxPrices | null;
  /** The agent file, for messages. Default `agent.yaml` in `agentDir`. */
  file?: string;
}

/** Opens a backend. */
export type SandboxBackendFactory = (
  ctx: SandboxBackendContext,
) => SandboxBackend | Promise<SandboxBackend>;

/** The name used when an agent names no backend. */
export const DEFAULT_SANDBOX_BACKEND = "local-docker";

const registry = new Registry<SandboxBackendFactory>("sandbox backends");
registry.register("local-docker", async (ctx) => {
  const { LocalDockerBackend } = await import("../backends/docker/local_docker_backend.ts");
  const { parseDockerEndpoint } = await import("../backends/docker/docker_endpoint.ts");
  return new LocalDockerBackend({
    endpoint: parseDockerEndpoint(ctx.env),
    ...(ctx.prices ? { prices: ctx.prices } : {}),
  });
});

/**
 * Names the Python zu writes in agent.yaml that mean "the default" here. Its `oop-launcher` runs
 * plugins in a subprocess; zu for Deno always runs a run's tools out of process (the Deno jail),
 * and its code tools in the default sandbox backend, so an agent file written for the Python zu
 * keeps working.
 */
const DEFAULT_ALIASES: ReadonlySet<string> = new Set(["oop-launcher"]);

/** Registers a backend under `name` (a library caller's own); throws when the name is taken. */
export function registerSandboxBackend(name: string, factory: SandboxBackendFactory): void {
  registry.register(name, factory);
}

/** Registered backend names, sorted. */
export function sandboxBackendNames(): string[] {
  return registry.names();
}

/** True when `ref` is the default backend (none named, or `local-docker`). */
export function isDefaultSandboxBackend(ref: string | null | undefined): boolean {
  return ref === null || ref === undefined || ref === "" || ref === DEFAULT_SANDBOX_BACKEND ||
    DEFAULT_ALIASES.has(ref);
}

/**
 * Opens the backend `ref` names (null: `local-docker`). Throws a one-line `UserError`: an unknown
 * name lists the known ones; a module that does not load or export the name says so
 * (`config_invalid`); an export that does not implement the port names the missing methods.
 */
export async function openSandboxBackend(
  ref: string | null,
  ctx: SandboxBackendContext,
): Promise<SandboxBackend> {
  const name = !ref || DEFAULT_ALIASES.has(ref) ? DEFAULT_SANDBOX_BACKEND : ref;
  const { isModuleRef } = await import("../agent/module_ref.ts");
  let made: unknown;
  if (!isModuleRef(name)) {
    if (!registry.has(name)) {
      throw new UserError(
        "backend_invalid",
        `Cannot use sandbox backend "${name}": it is not a known backend (known: ${
          sandboxBackendNames().map((n) => `"${n}"`).join(", ")
        }; or name a module, "./my_backend.ts#makeBackend")`,
      );
    }
    made = await registry.get(name)(ctx);
  } else {
    const { resolveRef, isClass } = await import("../agent/module_ref.ts");
    const { Registry: R } = await import("../core/registry.ts");
    const resolved = await resolveRef(name, "tool", new R<unknown>("sandbox backends"), {
      file: ctx.file ?? `${ctx.agentDir}/agent.yaml`,
      key: "backend",
      agentDir: ctx.agentDir,
    });
    const value = resolved.source === "module" ? resolved.value : undefined;
    try {
      made = isClass(value)
        ? new value(ctx)
        : typeof value === "function"
        ? await (value as SandboxBackendFactory)(ctx)
        : value;
    } catch (e) {
      throw new UserError(
        "backend_invalid",
        `Cannot use sandbox backend "${name}": it failed to open: ${
          (e instanceof Error ? e.message : String(e)).split("\n")[0]
        }`,
      );
    }
  }
  const missing = missingSandboxMethods(made);
  if (missing.length > 0) {
    throw new UserError(
      "backend_invalid",
      `Cannot use sandbox backend "${name}": it does not implement the SandboxBackend port (missing: ${
        missing.join(", ")
      }); see docs/backends.md`,
    );
  }
  return made as SandboxBackend;
}
