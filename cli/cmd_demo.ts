/**
 * `zu demo`: the offline tour: replay the example agent, harden it, write the events to SQLite
 * and the HTML report, print where they are and what to try next. With a Docker daemon and the
 * runtime image it also runs one tool call in a hardened sandbox.
 *
 * The demo runs in this process: `deno task demo` starts it with no network permission (only
 * the Docker socket) and write access to `.zu/` only, so the process's own flags are the jail.
 *
 * @module
 */
import type { Event } from "../core/events.ts";
import { UserError } from "../core/errors.ts";
import { bool, type CommandDef, printJson, str } from "./_command.ts";
import { exists, openEventLog, resolvePath } from "./_event_log.ts";
import type { CliIo } from "./_io.ts";
import { Progress } from "./_progress.ts";

/** The example agents the demo tries, in order (the first with a capture bundle wins). */
export const DEMO_AGENTS: readonly string[] = ["shop-price", "cafe-hours"];

/** The example agent directory the demo uses. */
export function demoAgentDir(): string {
  for (const name of DEMO_AGENTS) {
    const dir = new URL(`../fixtures/agents/${name}`, import.meta.url).pathname;
    if (exists(`${dir}/fixtures/capture.json`)) return dir;
  }
  throw new UserError(
    "demo_agent_missing",
    `Cannot run the demo: no example agent with a capture bundle under fixtures/agents (looked for ${
      DEMO_AGENTS.join(", ")
    }); restore the repository's fixtures`,
  );
}

/** What the sandbox step did. */
export interface SandboxStep {
  /** A tool call ran in a hardened container. */
  ran: boolean;
  /** Why not, or what it did. */
  detail: string;
}

async function sandboxStep(
  io: CliIo,
  pageHtml: string,
  signal?: AbortSignal,
): Promise<SandboxStep> {
  let docker: typeof import("./_docker.ts");
  try {
    docker = await import("./_docker.ts");
  } catch (err) {
    return { ran: false, detail: `skipped (the Docker backend could not load: ${String(err)})` };
  }
  return await docker.demoSandboxCall(io, pageHtml, signal);
}

function relative(cwd: string, path: string): string {
  const base = cwd.endsWith("/") ? cwd : `${cwd}/`;
  return path.startsWith(base) ? path.slice(base.length) : path;
}

/** `zu demo`. */
export const demoCommand: CommandDef = {
  name: "demo",
  summary: "Replay and harden the example agent offline; no network, no Docker, no key needed",
  description: `Replays the example agent's capture bundle with its real detectors and validators,
hardens it against every perturbation, writes the events to an SQLite log and an HTML report,
and prints the next commands to try. With a Docker daemon and the zu-runtime image it also runs
one tool call in a hardened, network-less sandbox.`,
  flags: {
    out: {
      type: "string",
      placeholder: "dir",
      description: "Output directory",
      default: ".zu/demo",
    },
    "no-sandbox": { type: "boolean", description: "Skip the Docker sandbox step" },
    json: { type: "boolean", description: "Print the outcome as JSON" },
  },
  examples: ["zu demo", "zu demo --out /tmp/zu-demo --json"],
  run: async (ctx) => {
    const io = ctx.io;
    const json = bool(ctx, "json");
    const say = (text: string): void => {
      if (!json) io.stdout(`${text}\n`);
    };
    const agentDir = demoAgentDir();
    const outDir = resolvePath(io.cwd, str(ctx, "out") ?? ".zu/demo");
    const dbPath = `${outDir}/events.db`;
    const reportPath = `${outDir}/harden-report.html`;
    const { loadAgentConfig } = await import("../agent/config.ts");
    const { bundlePath, readBundle } = await import("../harness/bundle.ts");
    const { replayOffline } = await import("../harness/offline.ts");
    const { harden } = await import("../harness/harden.ts");
    const { reportHtml } = await import("../harness/report/mod.ts");

    const env = (k: string) => io.env(k);
    const config = await loadAgentConfig(agentDir, { env });
    const bundle = await readBundle(bundlePath(agentDir), { env: io.envWithPrefix("ZU_") });
    say(`zu demo: agent "${relative(io.cwd, agentDir)}", offline (no model, no network, $0)`);

    // 1. Offline replay, events into the SQLite log.
    const replay = await replayOffline(config, bundle, {
      env,
      ...(io.signal ? { signal: io.signal } : {}),
    });
    await Deno.mkdir(outDir, { recursive: true });
    const sink = await openEventLog(io, dbPath, { mustExist: false });
    let stored: Event[] = [];
    try {
      for (const e of replay.events) stored.push(await sink.append(e));
    } finally {
      await sink.close();
    }
    const trace = stored[0]?.trace_id ?? "";
    say(
      `1. replay:  ${replay.result.status}, ${stored.length} events -> ${
        relative(io.cwd, dbPath)
      } (trace ${trace.slice(0, 8)})`,
    );
    if (replay.result.value) say(`            answer ${JSON.stringify(replay.result.value)}`);

    // 2. Harden: every variant, offline.
    const progress = new Progress(io, "harden", 0);
    const report = await harden(agentDir, {
      bundle,
      perturb: "all",
      ...(io.signal ? { signal: io.signal } : {}),
      onProgress: (done, total) => {
        progress.setTotal(total);
        progress.tick(done - progress.done);
      },
    });
    progress.finish();
    await Deno.writeTextFile(reportPath, reportHtml(report));
    const r = report.rates;
    say(
      `2. harden:  ${report.variants.length} variants, ${r.ok.n}/${r.ok.total} as expected; resilience ${
        Math.round(report.resilience * 100)
      }%, grounding ${
        report.grounding_load_bearing ? "load-bearing" : "NOT load-bearing"
      }, attacks succeeded ${r.attack_success.text}`,
    );
    say(`            report -> ${relative(io.cwd, reportPath)}`);

    // 3. One tool call in a hardened sandbox, when Docker is here.
    const page = ((bundle.observations.http_fetch ?? [])[0]?.html as string | undefined) ??
      "<p>zu</p>";
    const sandbox: SandboxStep = bool(ctx, "no-sandbox")
      ? { ran: false, detail: "skipped (--no-sandbox)" }
      : await sandboxStep(io, page, io.signal);
    say(`3. sandbox: ${sandbox.detail}`);

    const agentArg = relative(io.cwd, agentDir);
    const dbArg = relative(io.cwd, dbPath);
    const next = [
      `zu events list --db ${dbArg}`,
      `zu explain-permissions ${agentArg}`,
      `zu init my-agent && zu harden my-agent --report my-agent/report.html`,
    ];
    const ok = replay.result.status === "success" && report.exit_code === 0;
    if (json) {
      printJson(io, {
        ok,
        agent: agentDir,
        db: dbPath,
        report: reportPath,
        replay: {
          status: replay.result.status,
          value: replay.result.value,
          events: stored.length,
          trace_id: trace,
        },
        harden: {
          variants: report.variants.length,
          as_expected: r.ok.text,
          resilience: report.resilience,
          grounding_load_bearing: report.grounding_load_bearing,
          attack_success: r.attack_success.text,
          exit_code: report.exit_code,
        },
        sandbox,
        next,
      });
    } else {
      say("");
      say(`Events:  ${dbPath}`);
      say(`Report:  ${reportPath}`);
      say("");
      say("Next, try:");
      for (const n of next) say(`  ${n}`);
      say('(zu is "deno task zu" in this checkout, or install it: see docs/cli.md)');
    }
    stored = [];
    return ok ? 0 : 1;
  },
};
