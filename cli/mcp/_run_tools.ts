/**
 * The tools that run an agent: `run` (live, in the jail, as `zu run`), `replay` (the capture
 * offline, as `zu replay`) and `harden` (every perturbed variant offline, as `zu harden`).
 *
 * @module
 */
import type { Event } from "../../core/events.ts";
import { cliJson, flagArgs, type McpTool, pathArg, strArg } from "./_tool.ts";

const AGENT = {
  type: "string",
  description: "Agent directory or agent.yaml, relative to the server's working directory",
} as const;
const DB = {
  type: "string",
  description: "Event log to append to (default: the server's --db, else the agent's event_sink)",
} as const;

/** The summary of a finished live run. */
function runSummary(
  run: { result: { status: string; value: unknown; reason: string | null }; events: Event[] },
  db: string | null,
): Record<string, unknown> {
  const first = run.events[0];
  const blocked = run.events.filter((e) => e.type === "harness.defense.blocked");
  const out: Record<string, unknown> = {
    ok: run.result.status === "success",
    status: run.result.status,
    value: run.result.value,
    reason: run.result.reason,
    run: first?.task_id ?? null,
    trace_id: first?.trace_id ?? null,
    events: run.events.length,
    db,
    blocked: blocked.length,
    blocked_first: blocked.slice(0, 10).map((e) => e.payload),
  };
  if (run.result.status === "paused") {
    out.next =
      'The run waits for a human: call "pending", then "verdict" with action approve or reject';
  }
  return out;
}

/** `run`: one live run in the Deno permission jail, exactly as `zu run`. */
export const runTool: McpTool = {
  name: "run",
  description:
    "Run a zu agent live, exactly as `zu run` does: in a child process jailed by Deno's permissions, events appended to the event log. Returns the outcome (status, value, reason), the run id (task id) and how many events it wrote; read them with the `events` tool. With a progress token, each stored event is one progress notification (its type).",
  args: {
    properties: {
      agent: AGENT,
      query: {
        type: "string",
        description: "The task's query for this run instead of the agent's",
      },
      db: DB,
    },
    required: ["agent"],
  },
  call: async (args, ctx) => {
    const query = strArg(args, "query");
    const db = strArg(args, "db") ?? ctx.doors.db;
    const progress = ctx.progress;
    let stored = 0;
    const run = await ctx.doors.run({
      agent: strArg(args, "agent")!,
      ...(query !== undefined ? { query } : {}),
      ...(db !== undefined ? { db } : {}),
      // One progress notification per stored event: its type (zu's own name, never payload).
      ...(progress ? { onEvent: (e: Event) => progress(++stored, e.type) } : {}),
    }, ctx.signal);
    return runSummary(run, run.db);
  },
};

/** `replay`: the agent's capture bundle replayed offline, as `zu replay`. */
export const replayTool: McpTool = {
  name: "replay",
  description:
    "Replay an agent's captured bundle offline, as `zu replay` does: no model, no network, $0. Returns the outcome, the trace id and what of the bundle went unused.",
  args: {
    properties: {
      agent: AGENT,
      bundle: {
        type: "string",
        description: "Bundle to replay (default: <agent>/fixtures/capture.json)",
      },
      model: {
        type: "string",
        description: "Who decides the moves: the recorded script, or a hijacked worst case",
        enum: ["script", "hijacked"],
      },
      db: DB,
    },
    required: ["agent"],
  },
  call: (args, ctx) =>
    cliJson(ctx, [
      "replay",
      pathArg(strArg(args, "agent")!),
      ...flagArgs({
        bundle: strArg(args, "bundle"),
        model: strArg(args, "model"),
        db: strArg(args, "db") ?? ctx.doors.db,
      }),
    ]),
};

interface HardenReport {
  agent?: unknown;
  bundle_hash?: unknown;
  mode?: unknown;
  seed?: unknown;
  resilience?: unknown;
  min_score?: unknown;
  rates?: Record<string, { text?: unknown }>;
  verdict?: { passed?: unknown; summary?: unknown; baseline_failed?: unknown; misses?: unknown };
  findings?: unknown[];
  variants?: { name?: unknown; kind?: unknown; expect?: unknown; ok?: unknown; reason?: unknown }[];
  exit_code?: unknown;
}

/** `harden`: the capture perturbed and every variant replayed offline, as `zu harden`. */
export const hardenTool: McpTool = {
  name: "harden",
  description:
    "Harden an agent offline, as `zu harden` does: perturb its capture bundle (cosmetic drift, faults, injected instructions, dropped values) and replay every variant with no network. Returns the verdict, resilience, rates, findings and each variant's outcome.",
  args: {
    properties: {
      agent: AGENT,
      perturb: {
        type: "string",
        description: "Comma-separated variants to run (a+b composes; sets: all, zu, drop-value)",
      },
      seed: { type: "integer", description: "Base seed of every variant", minimum: 0 },
      min_score: {
        type: "number",
        description: "Lowest acceptable resilience, 0..1",
        minimum: 0,
        maximum: 1,
      },
      model: {
        type: "string",
        description: "Who decides: the recorded script or a hijacked worst case",
        enum: ["script", "hijacked"],
      },
      bundle: {
        type: "string",
        description: "Bundle to harden (default: <agent>/fixtures/capture.json)",
      },
    },
    required: ["agent"],
  },
  call: async (args, ctx) => {
    const num = (k: string) => typeof args[k] === "number" ? args[k] as number : undefined;
    const r = await cliJson(ctx, [
      "harden",
      pathArg(strArg(args, "agent")!),
      ...flagArgs({
        perturb: strArg(args, "perturb"),
        seed: num("seed"),
        "min-score": num("min_score"),
        model: strArg(args, "model"),
        bundle: strArg(args, "bundle"),
      }),
    ]) as HardenReport;
    return {
      passed: r.verdict?.passed ?? false,
      summary: r.verdict?.summary ?? null,
      baseline_failed: r.verdict?.baseline_failed ?? null,
      misses: r.verdict?.misses ?? [],
      agent: r.agent,
      bundle_hash: r.bundle_hash,
      mode: r.mode,
      seed: r.seed,
      resilience: r.resilience,
      min_score: r.min_score,
      rates: Object.fromEntries(
        Object.entries(r.rates ?? {}).map(([k, v]) => [k, v?.text ?? null]),
      ),
      findings: (r.findings ?? []).slice(0, 50),
      variants: (r.variants ?? []).slice(0, 200).map((v) => ({
        name: v.name,
        kind: v.kind,
        expect: v.expect,
        ok: v.ok,
        reason: v.reason,
      })),
      exit_code: r.exit_code,
    };
  },
};
