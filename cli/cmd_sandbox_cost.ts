/**
 * `zu sandbox cost [agent]`: what the agent's sandboxes cost. Two answers a user needs before and
 * after running: an **estimate** for one sandbox of the spec the agent's host-run tools launch
 * (its backend's `estimateCost`, `--duration` seconds at the floor's limits), and the **metered**
 * cost of its past runs (the `sandbox_usd` of each `cost.jsonl` line). The price table is the
 * agent's `sandbox_prices:`, or `--prices <file>` (JSON or YAML, the same keys), which wins.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import { parseSandboxPrices } from "../core/sandbox_prices.ts";
import type { SandboxCost, SandboxPrices } from "../core/types.ts";
import { bool, type CommandDef, num, printJson, str } from "./_command.ts";
import { resolve } from "node:path";

/** The metered runs of one ledger. */
export interface MeteredRuns {
  /** Ledger lines read. */
  runs: number;
  /** Lines with a sandbox cost. */
  metered: number;
  /** Their USD, summed. */
  usd: number;
  /** Sandboxes launched in them. */
  launches: number;
  /** The last metered line's time and USD, or null. */
  last: { at: string; usd: number } | null;
}

/** Sums the sandbox cost of a `cost.jsonl` text (lines that do not parse are skipped). */
export function meteredRuns(text: string): MeteredRuns {
  const out: MeteredRuns = { runs: 0, metered: 0, usd: 0, launches: 0, last: null };
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line);
    } catch {
      continue;
    }
    out.runs++;
    if (typeof row.sandbox_usd !== "number") continue;
    out.metered++;
    out.usd += row.sandbox_usd;
    const s = row.sandbox as { launches?: unknown } | null | undefined;
    if (typeof s?.launches === "number") out.launches += s.launches;
    out.last = { at: String(row.at ?? ""), usd: row.sandbox_usd };
  }
  return out;
}

async function pricesFile(path: string): Promise<SandboxPrices> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new UserError(
      "prices_invalid",
      `Cannot use sandbox prices from "${path}": it cannot be read (${
        e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message
      })`,
    );
  }
  let value: unknown;
  try {
    value = path.endsWith(".json") ? JSON.parse(text) : (await import("yaml")).parse(text);
  } catch (e) {
    throw new UserError(
      "prices_invalid",
      `Cannot use sandbox prices from "${path}": it does not parse (${
        (e as Error).message.split("\n")[0]
      })`,
    );
  }
  return parseSandboxPrices(value, `"${path}"`);
}

function usd(n: number): string {
  return `$${n.toFixed(n >= 1 ? 2 : 6)}`;
}

/** `zu sandbox cost`. */
export const sandboxCost: CommandDef = {
  name: "cost",
  summary: "Estimate an agent's sandbox cost and sum what its past runs were metered",
  description:
    `The estimate is one sandbox of the spec the agent's shell/run_code tools launch, at the floor's
limits, for --duration seconds, priced with the agent's sandbox_prices (or --prices). The
metered part sums the sandbox_usd of the agent's cost.jsonl (runs with a price table). See
docs/backends.md.`,
  positionals: [{ name: "agent", description: "Agent directory or file", optional: true }],
  flags: {
    duration: { type: "number", description: "Seconds of the estimate", default: 60 },
    prices: {
      type: "string",
      description: "Price table file (JSON or YAML); wins over the agent's",
    },
    json: { type: "boolean", description: "Print JSON" },
  },
  examples: [
    "zu sandbox cost ./my-agent --duration 300",
    "zu sandbox cost --prices zu.prices.yaml",
  ],
  run: async (ctx) => {
    const duration = num(ctx, "duration") ?? 60;
    if (!Number.isFinite(duration) || duration < 0) {
      throw new UserError("usage", `--duration must be seconds ≥ 0, got ${duration}`);
    }
    const { loadAgent } = await import("./_agent.ts");
    const agent = await loadAgent(ctx.io, ctx.positionals[0]);
    const file = str(ctx, "prices");
    const prices = file ? await pricesFile(resolve(ctx.io.cwd, file)) : agent.config.sandbox_prices;
    const { openSandboxBackend } = await import("../runner/sandbox_registry.ts");
    const { DEFAULT_EXEC_IMAGE } = await import("../agent/tools/sandbox_exec.ts");
    const backend = await openSandboxBackend(agent.config.backend, {
      agentDir: agent.dir,
      env: (k) => ctx.io.env(k),
      prices,
      file: agent.file,
    });
    const image = ctx.io.env("ZU_EXEC_IMAGE") ?? DEFAULT_EXEC_IMAGE;
    let estimate: SandboxCost | null = null;
    try {
      estimate = prices && backend.estimateCost
        ? await backend.estimateCost({ image, network: "none" }, duration)
        : null;
    } finally {
      const d = (backend as Partial<AsyncDisposable>)[Symbol.asyncDispose];
      if (typeof d === "function") await d.call(backend);
    }
    let ledger = "";
    try {
      ledger = await Deno.readTextFile(`${agent.dir}/cost.jsonl`);
    } catch {
      // no runs yet
    }
    const metered = meteredRuns(ledger);
    if (bool(ctx, "json")) {
      printJson(ctx.io, {
        backend: agent.config.backend ?? "local-docker",
        image,
        duration_s: duration,
        prices,
        estimate,
        metered,
      });
      return 0;
    }
    const out = (s: string) => ctx.io.stdout(`${s}\n`);
    if (!prices) {
      out(
        `estimate: none (no price table: add sandbox_prices to ${agent.file} or pass --prices <file>)`,
      );
    } else if (!estimate) {
      out(`estimate: none (backend "${agent.config.backend}" gives no estimate)`);
    } else {
      out(
        `estimate: ${
          usd(estimate.usd)
        } for ${duration} s of one sandbox (${image}, ${estimate.cpuLimit} vCPU, ${
          Math.round(estimate.memoryLimitBytes / 2 ** 20)
        } MiB): ${estimate.vcpuSeconds} vCPU-s, ${estimate.gibSeconds} GiB-s, 1 launch`,
      );
    }
    out(
      metered.metered === 0
        ? `metered:  none of ${metered.runs} run(s) in cost.jsonl carries a sandbox cost`
        : `metered:  ${
          usd(metered.usd)
        } over ${metered.metered} of ${metered.runs} run(s), ${metered.launches} sandbox(es); last ${
          usd(metered.last!.usd)
        } at ${metered.last!.at}`,
    );
    return 0;
  },
};
