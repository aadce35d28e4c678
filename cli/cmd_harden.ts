/**
 * `zu harden [agent]`: the static audit plus every perturbed variant of the capture bundle
 * replayed offline (in a jailed child with no network), judged and reported. Exit 0 when the
 * verdict passes; 1 when the baseline fails or any variant misses its expectation (beyond the
 * benign misses `--min-score` tolerates); 2 for bad input.
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
import { jailFor, permissionsFor, runJailed } from "../runner/jailed.ts";
import { type RunSecrets, startRunBroker } from "../runner/run_broker.ts";
import { CLEARANCE_FLAGS } from "./_clearance_flags.ts";
import { SECRET_FLAGS, secretSettingsOf } from "./_secret_flags.ts";
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

/** `--perturb` words that are not perturbation specs: sets of them. */
const PERTURB_SETS = ["all", "zu", "none", "drop-value", "attacks"];

/**
 * Re-joins `--perturb` items the comma split broke inside a `drop-value:<v>` value (a repro of
 * `drop-value:€3,50` is one spec): an item that names no perturbation continues the one before.
 */
export async function joinPerturbSpecs(items: readonly string[]): Promise<string[]> {
  const { perturbationRegistry } = await import("../harness/perturb/mod.ts");
  const registry = perturbationRegistry();
  const out: string[] = [];
  for (const item of items) {
    const head = item.split(/[:+]/)[0] ?? "";
    const prev = out.at(-1);
    if (prev?.startsWith("drop-value:") && !registry.has(head) && !PERTURB_SETS.includes(item)) {
      out[out.length - 1] = `${prev},${item}`;
    } else {
      out.push(item);
    }
  }
  return out;
}

/** Checks `--perturb` names against the registry; a `UserError` names the valid ones. */
export async function checkPerturbations(specs: readonly string[], command: string): Promise<void> {
  const { perturbationFromSpec } = await import("../harness/verdict.ts");
  const { perturbationRegistry } = await import("../harness/perturb/mod.ts");
  for (const spec of specs) {
    if (PERTURB_SETS.includes(spec)) continue;
    try {
      perturbationFromSpec(spec);
    } catch {
      const names = perturbationRegistry().names().join(", ");
      throw new UserError(
        "usage",
        `Unknown perturbation "${spec}" (known: ${names}; sets: all, zu, attacks; join with + to compose); see "${command} --help"`,
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
  /** The operator's secrets (`--model live`: the broker resolves the provider's key with them). */
  secrets?: RunSecrets;
  /** Bundle path flag. */
  bundle: string | undefined;
  /** Defences switched off (`--defence-off`). */
  defencesOff?: string[];
  /** Replay attacks per defence off (`--defence-matrix`). */
  defenceMatrix?: boolean;
  /** `script`, `hijacked`, `oracle` or `live`. */
  model: string;
  /** Perturbation specs (empty = all). */
  perturb: string[];
  /** Base seed of every variant's random stream. */
  seed: number;
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
  const jail = live ? await jailFor(io, agent, { providerOnly: true }) : undefined;
  // A live model is reached through the host's model broker: the key stays in this process.
  await using broker = jail
    ? await startRunBroker(io, jail, req.secrets ? { secrets: req.secrets } : {})
    : null;
  const { perms } = await permissionsFor(
    io,
    agent,
    jail
      ? { mode: "live", providerOnly: true, jail, broker: broker ? broker.address : "none" }
      : { mode: "offline" },
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
        perturb: req.perturb.length ? req.perturb : "all", // hardenSuite's default too (DEFAULT_PERTURB)
        minScore: req.minScore,
        seed: req.seed,
        ...(req.workers !== undefined ? { workers: req.workers } : {}),
        ...(req.defencesOff?.length ? { defencesOff: req.defencesOff } : {}),
        ...(req.defenceMatrix ? { defenceMatrix: true } : {}),
      },
      onProgress: (done, total) => {
        progress.setTotal(total);
        progress.tick(done - progress.done);
      },
      ...(broker ? { broker } : {}),
    });
    const report = run.result.report;
    // The child read the bundle from stdin: name a non-default one so repro commands find it.
    if (req.bundle !== undefined) report.bundle_path = path;
    return report;
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
  const seed = num(ctx, "seed") ?? 0;
  if (!(Number.isSafeInteger(seed) && seed >= 0)) {
    throw new UserError(
      "usage",
      `flag "--seed" needs a whole number of 0 or more, got "${seed}"; see "${command} --help"`,
    );
  }
  const defencesOff = list(ctx, "defence-off");
  const { isDefence, DEFENCES } = await import("../harness/defences.ts");
  for (const d of defencesOff) {
    if (!isDefence(d)) {
      throw new UserError(
        "usage",
        `flag "--defence-off" got "${d}" (known: ${DEFENCES.join(", ")}); see "${command} --help"`,
      );
    }
  }
  const perturb = await joinPerturbSpecs(list(ctx, "perturb"));
  await checkPerturbations(perturb, command);
  return {
    bundle: str(ctx, "bundle"),
    model: str(ctx, "model") ?? "script",
    perturb,
    seed,
    minScore,
    workers,
    defencesOff,
    defenceMatrix: bool(ctx, "defence-matrix") ?? false,
  };
}

/** Flags shared by `harden`, `build` and `demo`. */
export const HARDEN_FLAGS: Record<string, FlagDef> = {
  "min-score": {
    type: "number",
    description:
      "Lowest acceptable resilience, 0..1; benign misses are tolerated above it, no other miss is",
    default: 1,
  },
  perturb: {
    type: "list",
    placeholder: "name,...",
    description:
      "Run exactly these variants (a+b composes; sets: all, zu, drop-value, attacks; default: all)",
  },
  seed: {
    type: "number",
    description: "Base seed of every variant's random stream (repro commands print it)",
    default: 0,
  },
  model: {
    type: "string",
    description:
      "Who decides: the recorded script, a hijacked worst case, an oracle attacker that obeys every planted attack it reads, or the live model",
    choices: ["script", "hijacked", "oracle", "live"],
    default: "script",
  },
  report: {
    type: "string",
    placeholder: "out.html|out.json|out.xml|out.md",
    description: "Write the report; the format follows the extension",
  },
  workers: { type: "number", description: "Variants replayed in parallel (default: CPU count)" },
  "defence-off": {
    type: "list",
    placeholder: "name,...",
    description:
      "Switch these defences off for the run: detectors, boundary, gates, allowed-domains, validators",
  },
  "defence-matrix": {
    type: "boolean",
    description:
      "Replay the attacks once more per defence, with it off, and report which defence stopped each family",
  },
  bundle: {
    type: "string",
    placeholder: "path",
    description: "Bundle to harden (default: <agent>/fixtures/capture.json)",
  },
};

/** `zu harden`. */
export const hardenCommand: CommandDef = {
  name: "harden",
  summary:
    "Perturb the capture bundle and replay every variant offline; exit 1 when any variant misses",
  description:
    `Runs zu's static audit, replays the unperturbed capture (the baseline), then every variant
(cosmetic drift, transport faults, injected instructions, dropped values) against the agent's real
detectors and validators, with no network. Benign variants must pass, dropped values and faults
must fail, attacks must be blocked. Exit 0: every variant met its expectation (benign misses are
tolerated while resilience stays at or above --min-score). Exit 1: the baseline failed ("baseline
failed", no variant is run) or a variant missed; each is listed with why, what to change and a
repro command. Exit 2: bad input.`,
  positionals: [{ ...AGENT_ARG }],
  flags: {
    ...HARDEN_FLAGS,
    ...SECRET_FLAGS,
    ...CLEARANCE_FLAGS,
    json: { type: "boolean", description: "Print the report as JSON" },
  },
  examples: [
    "zu harden my-agent",
    "zu harden my-agent --perturb banner-prefix,promo-suffix --report report.html",
    "zu harden my-agent --model hijacked --min-score 0.9",
    "zu harden my-agent --model oracle --perturb attacks --defence-matrix",
    "zu harden my-agent --model script --perturb drop-value --seed 0",
  ],
  run: async (ctx) => {
    const req = await hardenRequest(ctx);
    // --model live reaches the model through the broker, with the operator's secrets.
    await using secrets = req.model === "live" ? await secretSettingsOf(ctx) : null;
    if (secrets) {
      await secrets.verify();
      req.secrets = secrets;
    }
    const reportPath = str(ctx, "report");
    const format = reportPath ? reportFormat(reportPath, ctx.path.join(" ")) : null;
    const agent = await loadAgent(ctx.io, ctx.positionals[0]);
    const report = await hardenJailed(ctx.io, agent, req);
    if (reportPath && format) {
      await writeReport(report, resolvePath(ctx.io.cwd, reportPath), format);
    }
    const { hardenVerdict } = await import("../harness/harden_verdict.ts");
    const verdict = hardenVerdict(report);
    if (bool(ctx, "json")) {
      printJson(ctx.io, { ...report, verdict, exit_code: verdict.exit_code });
    } else {
      const { reportText } = await import("../harness/report/text.ts");
      for (const l of reportText(report)) {
        (l.stream === "stderr" ? ctx.io.stderr : ctx.io.stdout)(`${l.text}\n`);
      }
      if (reportPath) ctx.io.stdout(`report: ${reportPath}\n`);
    }
    return verdict.exit_code;
  },
};
