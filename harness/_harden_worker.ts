/**
 * Worker entry for parallel harden: assembles the agent once, then replays variants on request.
 * Messages: `{type:"init", agentPath, mode, bundleText, overlay?}` → `{type:"ready"}`;
 * `{type:"run", jobs: [{id, spec, seed}]}` → `{type:"done", results: [{id, verdict} | {id, message}]}`.
 *
 * @module
 */
import { type AssembledRun, assembleRun, loadAgentConfig } from "../agent/config.ts";
import { type Bundle, type BundleOverlay, parseBundle } from "./bundle.ts";
import { type ModelMode, replayOffline } from "./offline.ts";
import { makeRng } from "./perturb/rng.ts";
import { judge, perturbationFromSpec } from "./verdict.ts";

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
}
const scope = globalThis as unknown as WorkerScope;

let assembled: AssembledRun | null = null;
let base: Bundle | null = null;
let mode: ModelMode = "script";

async function handle(msg: Record<string, unknown>): Promise<void> {
  if (msg.type === "init") {
    try {
      const config = await loadAgentConfig(String(msg.agentPath));
      assembled = await assembleRun(config);
      base = parseBundle(String(msg.bundleText), "<worker>");
      if (msg.overlay) base.overlay = msg.overlay as BundleOverlay;
      mode = (msg.mode as ModelMode | undefined) ?? "script";
      scope.postMessage({ type: "ready" });
    } catch (e) {
      scope.postMessage({ type: "error", message: e instanceof Error ? e.message : String(e) });
    }
    return;
  }
  if (msg.type === "run") {
    const jobs = msg.jobs as { id: number; spec: string; seed: number }[];
    const results: unknown[] = [];
    for (const job of jobs) {
      try {
        if (assembled === null || base === null) throw new Error("worker not initialised");
        const p = perturbationFromSpec(job.spec);
        const t0 = performance.now();
        const variant = p.apply(base, makeRng(job.seed));
        const out = await replayOffline(assembled, variant, { mode, linkEvents: false });
        results.push({ id: job.id, verdict: judge(p, out, job.seed, performance.now() - t0) });
      } catch (e) {
        results.push({ id: job.id, message: e instanceof Error ? e.message : String(e) });
      }
    }
    scope.postMessage({ type: "done", results });
  }
}

scope.onmessage = (e: MessageEvent) => {
  void handle(e.data as Record<string, unknown>);
};
