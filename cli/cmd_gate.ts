/**
 * `zu gate`: the operator's git gate — add and fetch mirrors, then review what runs pushed
 * (pending, diff) and forward it upstream with the host's credentials, or drop it. Forwards and
 * drops are written to the event log on the pushing run's task id.
 *
 * @module
 */
import { resolve } from "node:path";
import { GIT_GATE_DROPPED, GIT_GATE_FORWARDED, newEvent } from "../core/events.ts";
import type { Payload } from "../core/events.ts";
import {
  bool,
  type CommandContext,
  type CommandDef,
  type FlagDef,
  printJson,
  str,
} from "./_command.ts";
import { openRunLog } from "./_event_log.ts";
import { printable } from "./_printable.ts";

/** Pushed text (commit messages, file contents) made harmless for the terminal, lines and tabs kept. */
function safeLines(text: string): string {
  return text.split("\n").map((line) =>
    line.split("\t").map((part) => printable(part, Number.POSITIVE_INFINITY)).join("\t")
  ).join("\n");
}

const GATE_DIR: FlagDef = {
  type: "string",
  placeholder: "dir",
  description:
    "The gate directory (default: $ZU_GATE_DIR, else $XDG_STATE_HOME/zu/gate, else ~/.local/state/zu/gate)",
};
const RUN: FlagDef = {
  type: "string",
  placeholder: "run",
  description: "The run whose push is meant, when several runs pushed the same branch",
};
const DB: FlagDef = {
  type: "string",
  placeholder: "path",
  description: "Event log the decision is written to (default: .zu/events.db)",
};
const JSON_FLAG: FlagDef = { type: "boolean", description: "Print JSON instead of text" };

const NAME = { name: "name", description: "Gated repository name ([a-z0-9][a-z0-9._-]*)" };
const BRANCH = { name: "branch", description: "The pushed branch (without refs/heads/)" };

async function gate() {
  return await import("../runner/gate/gate_repos.ts");
}

async function rootOf(ctx: CommandContext): Promise<string> {
  const flag = str(ctx, "gate-dir");
  if (flag !== undefined) return resolve(ctx.io.cwd, flag);
  const { defaultGateDir } = await import("../runner/gate/gate_dir.ts");
  return resolve(ctx.io.cwd, defaultGateDir((n) => ctx.io.env(n)));
}

function runOf(ctx: CommandContext): string | undefined {
  return str(ctx, "run");
}

async function logDecision(ctx: CommandContext, type: string, run: string, payload: Payload) {
  const log = await openRunLog(ctx.io, null, str(ctx, "db"));
  try {
    await log.sink.append(newEvent({ task_id: run, type, source: "zu gate", payload }));
  } finally {
    await log.sink[Symbol.asyncDispose]();
  }
}

const add: CommandDef = {
  name: "add",
  summary: "Mirror a repository into the gate (a path or a URL the host can reach)",
  positionals: [NAME, { name: "upstream", description: "Path or URL of the upstream repository" }],
  flags: { "gate-dir": GATE_DIR },
  examples: ["zu gate add app ~/src/app", "zu gate add lib https://git.example.com/team/lib.git"],
  run: async (ctx) => {
    const root = await rootOf(ctx);
    const r = await (await gate()).addGateRepo(root, ctx.positionals[0]!, ctx.positionals[1]!, {
      cwd: ctx.io.cwd,
    });
    ctx.io.stdout(
      `Gated "${ctx.positionals[0]}" from ${r.upstream} at ${r.path}${
        r.head ? ` (default branch ${r.head.replace("refs/heads/", "")})` : ""
      }\n`,
    );
    return 0;
  },
};

const fetchCmd: CommandDef = {
  name: "fetch",
  summary: "Refresh a gated mirror from its upstream (branches and tags)",
  positionals: [NAME],
  flags: { "gate-dir": GATE_DIR },
  run: async (ctx) => {
    await (await gate()).fetchGateRepo(await rootOf(ctx), ctx.positionals[0]!);
    ctx.io.stdout(`Fetched "${ctx.positionals[0]}"\n`);
    return 0;
  },
};

const pending: CommandDef = {
  name: "pending",
  summary: "List the branches runs pushed that wait for review",
  positionals: [{ ...NAME, optional: true }],
  flags: { "gate-dir": GATE_DIR, json: JSON_FLAG },
  run: async (ctx) => {
    const all = await (await gate()).listPending(await rootOf(ctx), ctx.positionals[0]);
    if (bool(ctx, "json")) {
      printJson(ctx.io, all);
      return 0;
    }
    if (all.length === 0) {
      ctx.io.stdout("No branch waits in the gate\n");
      return 0;
    }
    for (const p of all) {
      ctx.io.stdout(
        `${p.repo}  ${p.branch}  ${p.id.slice(0, 12)}  ${p.ahead} commit(s) ahead  run ${p.run}\n`,
      );
    }
    return 0;
  },
};

const diff: CommandDef = {
  name: "diff",
  summary: "Show the commits and the diff of a pending branch against the mirror's default branch",
  positionals: [NAME, BRANCH],
  flags: { "gate-dir": GATE_DIR, run: RUN },
  run: async (ctx) => {
    const d = await (await gate()).diffPending(
      await rootOf(ctx),
      ctx.positionals[0]!,
      ctx.positionals[1]!,
      runOf(ctx),
    );
    ctx.io.stdout(
      `${d.pending.repo} ${d.pending.branch} from run ${d.pending.run}\n${safeLines(d.log)}\n${
        safeLines(d.diff)
      }`,
    );
    return 0;
  },
};

const forward: CommandDef = {
  name: "forward",
  summary: "Push a pending branch upstream with the host's credentials (never forced)",
  positionals: [NAME, BRANCH],
  flags: { "gate-dir": GATE_DIR, run: RUN, db: DB },
  run: async (ctx) => {
    const r = await (await gate()).forwardPending(
      await rootOf(ctx),
      ctx.positionals[0]!,
      ctx.positionals[1]!,
      runOf(ctx),
    );
    await logDecision(ctx, GIT_GATE_FORWARDED, r.pending.run, {
      run: r.pending.run,
      repo: r.pending.repo,
      upstream: r.upstream,
      refs: [{ ref: `refs/heads/${r.pending.branch}`, old: r.old, new: r.new }],
      by: "operator",
    });
    ctx.io.stdout(
      `Forwarded ${r.pending.repo} ${r.pending.branch} (${r.new.slice(0, 12)}) to ${r.upstream}\n`,
    );
    return 0;
  },
};

const drop: CommandDef = {
  name: "drop",
  summary: "Discard a pending branch",
  positionals: [NAME, BRANCH],
  flags: { "gate-dir": GATE_DIR, run: RUN, db: DB },
  run: async (ctx) => {
    const p = await (await gate()).dropPending(
      await rootOf(ctx),
      ctx.positionals[0]!,
      ctx.positionals[1]!,
      runOf(ctx),
    );
    await logDecision(ctx, GIT_GATE_DROPPED, p.run, {
      run: p.run,
      repo: p.repo,
      refs: [{ ref: `refs/heads/${p.branch}`, old: p.id, new: null }],
      by: "operator",
    });
    ctx.io.stdout(`Dropped ${p.repo} ${p.branch} (${p.id.slice(0, 12)}) from run ${p.run}\n`);
    return 0;
  },
};

/** `zu gate`. */
export const gateCommand: CommandDef = {
  name: "gate",
  summary: "The git gate: mirror repositories, review what runs pushed, forward or drop it",
  description:
    `A run that declares "repos:" in agent.yaml clones from and pushes to gated mirrors with a token of its own; its pushes wait under the run's namespace until the operator forwards them upstream with the host's credentials. See docs/git-gate.md.`,
  subcommands: [add, fetchCmd, pending, diff, forward, drop],
};
