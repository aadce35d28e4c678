// A custom sandbox backend for `backend: <this file>#makeBackend`: the in-memory fake, which
// answers every command with a fixed `wc -l` output, plus a meter that reports fixed figures
// priced with the agent's table. It logs each launch, exec and destroy to
// `<agentDir>/backend_used.jsonl` so a test can see it was used.
import { FakeSandboxBackend } from "../../../testing/fake_sandbox_backend.ts";
import { meterSandboxCost } from "../../../core/sandbox_prices.ts";
import type { SandboxBackendContext } from "../../../runner/sandbox_registry.ts";
import type { SandboxCost, SandboxHandle } from "../../../core/types.ts";

/** The fixed figures the meter reports. */
export const USAGE = {
  cpuSeconds: 1.5,
  memoryPeakBytes: 64 * 1024 * 1024,
  memoryLimitBytes: 512 * 1024 * 1024,
  cpuLimit: 1,
  wallSeconds: 4,
};

class LoggedFake extends FakeSandboxBackend {
  #ctx: SandboxBackendContext;
  constructor(ctx: SandboxBackendContext) {
    super({ onExec: () => ({ exitCode: 0, stdout: "42 data.csv\n", stderr: "" }) });
    this.#ctx = ctx;
  }
  #log(what: string, detail: unknown): void {
    Deno.writeTextFileSync(
      `${this.#ctx.agentDir}/backend_used.jsonl`,
      JSON.stringify({ what, detail }) + "\n",
      { append: true },
    );
  }
  override async launch(spec: Parameters<FakeSandboxBackend["launch"]>[0]) {
    const h = await super.launch(spec);
    this.#log("launch", spec.image);
    return h;
  }
  override async execEntrypoint(
    ...args: Parameters<FakeSandboxBackend["execEntrypoint"]>
  ) {
    this.#log("exec", args[1]);
    return await super.execEntrypoint(...args);
  }
  override async destroy(handle: SandboxHandle) {
    this.#log("destroy", handle.id);
    return await super.destroy(handle);
  }
  meterActual(_handle: SandboxHandle): Promise<SandboxCost | null> {
    const prices = this.#ctx.prices;
    return Promise.resolve(prices ? meterSandboxCost(prices, USAGE) : null);
  }
}

/** The factory `backend:` names. */
export function makeBackend(ctx: SandboxBackendContext): FakeSandboxBackend {
  return new LoggedFake(ctx);
}

/** Not a backend: lacks exec, execEntrypoint and destroy. */
export const halfBackend = { launch: () => Promise.resolve({ id: "x", name: "x", runId: "" }) };
