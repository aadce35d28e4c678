/**
 * `zu harden [agent]`: the static audit plus every perturbed variant of the capture bundle
 * replayed offline (in a jailed child with no network), judged and reported.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import type { HardenReport } from "../harness/harden.ts";
import {
  bool,
  type CommandContext,
  type CommandDef,
  type FlagDef,
  list,
  num,
  printJson,
  str,
} from "./_command.ts";
import { loadAgent, type LoadedAgent } from "./_agent.ts";
import { loadBundle } from "./_bundle.ts";
import { resolvePath } from "./_event_log.ts";
import type { CliIo } from "./_io.ts";
import { permissionsFor, runJailed } from "../runner/jailed.ts";
import { Progress } from "./_progress.ts";
import { AGENT_ARG } from "./cmd_run.ts";

const REPORT_FORMATS: Record<string, string> = {
  ".html": "html",
  ".json": "json",
  ".xml": "junit",
  ".md": "markdown",
};

/** The report format of a path by its extension; a `UserError` for any other. */
export function reportFormat(path: string, command: string): string {
  const ext = path.slice(path.lastIndexOf(".")).toLowerCase();
  const f = REPORT_FORMATS[ext];
  if (!f) {
    throw new UserError(
      "usage",
      `Cannot write report "${path}": use a .html, .json, .xml (JUnit) or .md file name; see "${command} --help"`,
    );
  }
  return f;
}

/** Checks `--perturb` names against the registry; a `UserError` names the valid ones. */
export async function checkPerturbations(specs: readonly string[], command: string): Promise<void> {
  const { perturbationFromSpec } = await import("../harness/verdict.ts");
  const { perturbationRegistry } = await import("../harness/perturb/mod.ts");
  for (const spec of specs) {
    if (spec === "all" || spec === "none") continue;
    try {
      perturbationFromSpec(spec);
    } catch {
      const names = perturbationRegistry().names().join(", ");
      throw new UserError(
        "usage",
        `Unknown perturbation "${spec}" (known: ${names}; join with + to compose); see "${command} --help"`,
      );
    }
  }
}

/** Writes `report` to `path` in the format its extension names. */
export async function writeReport(
  report: HardenReport,
  path: string,
  format: string,
): Promise<void> {
  const r = await import("../harness/report/mod.ts");
  const text = format === "html"
    ? r.reportHtml(report)
    : format === "json"
    ? r.reportJson(report)
    : format === "junit"
    ? r.reportJunit(report)
    : r.reportMarkdown(report);
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (dir) await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, text);
}

/** What a harden run needs besides the agent. */
export interface HardenRequest {
  /** Bundle path flag. */
  bundle: string | undefined;
  /** `script`, `hijacked` or `live`. */
  model: string;
  /** Perturbation specs (empty = all). */
  perturb: string[];
  /** Gate. */
  minScore: number;
  /** Workers, when given. */
  workers: number | undefined;
}

/** Hardens `agent` in a jailed child (no network unless `--model live`), with progress. */
export async function hardenJailed(
  io: CliIo,
  agent: LoadedAgent,
  req: HardenRequest,
): Promise<HardenReport> {
  const { bundle, path } = await loadBundle(io, agent, req.bundle);
  const live = req.model === "live";
  const { perms } = await permissionsFor(
    io,
    agent,
    live ? { mode: "live", providerOnly: true } : { mode: "offline" },
  );
  const { serializeBundle } = await import("../harness/bundle.ts");
  const progress = new Progress(io, "harden", 0);
  try {
    const run = await runJailed(io, agent, {
      mode: "harden",
      perms,
      sink: null,
      input: serializeBundle(bundle),
      childOptions: {
        bundlePath: path,
        model: req.model,
        perturb: req.perturb.length ? req.perturb : "all",
        minScore: req.minScore,
        ...(req.workers !== undefined ? { workers: req.workers } : {}),
      },
      onProgress: (done, total) => {
        progress.setTotal(total);
        progress.tick(done - progress.done);
      },
    });
    return run.result.report;
  } finally {
    progress.finish();
  }
}

/** Parses the harden flags of `ctx`. */
export async function hardenRequest(ctx: CommandContext): Promise<HardenRequest> {
  const command = ctx.path.join(" ");
  const minScore = num(ctx, "min-score") ?? 1;
  if (!(minScore >= 0 && minScore <= 1)) {
    throw new UserError(
      "usage",
      `flag "--min-score" needs a number from 0 to 1, got "${minScore}"; see "${command} --help"`,
    );
  }
  const workers = num(ctx, "workers");
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0 && workers <= 64)) {
    throw new UserError(
      "usage",
      `flag "--workers" needs a whole number from 0 to 64, got "${workers}"; see "${command} --help"`,
    );
  }
  const perturb = list(ctx, "perturb");
  await checkPerturbations(perturb, command);
  return {
    bundle: str(ctx, "bundle"),
    model: str(ctx, "model") ?? "script",
    perturb,
    minScore,
    workers,
  };
}

/** Flags shared by `harden`, `build` and `demo`. */
export const HARDEN_FLAGS: Record<string, FlagDef> = {
  "min-score": {
    type: "number",
    description: "Lowest acceptable resilience (share of benign variants absorbed), 0..1",
    default: 1,
  },
  perturb: {
    type: "list",
    placeholder: "name,...",
    description: "Only these perturbations (see the list in the report; default: all)",
  },
  model: {
    type: "string",
    description: "Who decides: the recorded script, a hijacked worst case, or the live model",
    choices: ["script", "hijacked", "live"],
    default: "script",
  },
  report: {
    type: "string",
    placeholder: "out.html|out.json|out.xml|out.md",
    description: "Write the report; the format follows the extension",
  },
  workers: { type: "number", description: "Variants replayed in parallel (default: CPU count)" },
  bundle: {
    type: "string",
    placeholder: "path",
    description: "Bundle to harden (default: <agent>/fixtures/capture.json)",
  },
};

/** `zu harden`. */
export const hardenCommand: CommandDef = {
  name: "harden",
  summary: "Perturb the capture bundle and replay every variant offline; exit 1 below --min-score",
  description:
    `Runs zu's static audit, then every variant (cosmetic drift, transport faults, injected
instructions, dropped values) against the agent's real detectors and validators, with no network.
Benign variants must pass, dropped values must fail, attacks must be blocked.`,
  positionals: [{ ...AGENT_ARG }],
  flags: { ...HARDEN_FLAGS, json: { type: "boolean", description: "Print the report as JSON" } },
  examples: [
    "zu harden my-agent",
    "zu harden my-agent --perturb banner-prefix,promo-suffix --report report.html",
    "zu harden my-agent --model hijacked --min-score 0.9",
  ],
  run: async (ctx) => {
    const req = await hardenRequest(ctx);
    const reportPath = str(ctx, "report");
    const format = reportPath ? reportFormat(reportPath, ctx.path.join(" ")) : null;
    const agent = await loadAgent(ctx.io, ctx.positionals[0]);
    const report = await hardenJailed(ctx.io, agent, req);
    if (reportPath && format) {
      await writeReport(report, resolvePath(ctx.io.cwd, reportPath), format);
    }
    if (bool(ctx, "json")) {
      printJson(ctx.io, report);
    } else {
      for (const l of report.lines) {
        (l.stream === "stderr" ? ctx.io.stderr : ctx.io.stdout)(`${l.text}\n`);
      }
      const r = report.rates;
      ctx.io.stdout(
        `variants: ${report.variants.length} (${r.ok.n}/${r.ok.total} as expected), attack success ${r.attack_success.n}/${r.attack_success.total}, ${report.timing.variants_per_s} variants/s\n`,
      );
      if (reportPath) ctx.io.stdout(`report: ${reportPath}\n`);
    }
    return report.exit_code;
  },
};
