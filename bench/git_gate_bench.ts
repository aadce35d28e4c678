/**
 * The git gate's cost, measured in one run on this machine: `git clone` and `git push` of the same
 * repository through the gate (smart HTTP on 127.0.0.1, token check, push policy, run namespace,
 * `git http-backend`) against the same git commands over `file://` to a bare copy (git's own pack
 * transport, no HTTP: the baseline). The ratio is what the gate adds on top of git.
 *
 * Run: `deno run --allow-all bench/git_gate_bench.ts [--iterations 10] [--json]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { addGateRepo, GateTokens, startGateServer } from "../runner/gate/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    iterations: { type: "string", default: "10" },
    json: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
  },
});
const ITER = values.quick ? 3 : Math.min(100, Math.max(3, Number(values.iterations)));

async function git(args: string[], cwd: string, token?: string): Promise<void> {
  const pre = ["-c", "user.email=b@example.test", "-c", "user.name=bench"];
  if (token) pre.push("-c", `http.extraHeader=Authorization: Bearer ${token}`);
  const out = await new Deno.Command("git", {
    args: [...pre, ...args],
    cwd,
    env: { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_TERMINAL_PROMPT: "0" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`git ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const dir = await Deno.makeTempDir({ prefix: "zu-gate-bench-" });
try {
  // A repository of 200 files over 20 commits.
  await git(["init", "-q", "-b", "main", "seed"], dir);
  const seed = join(dir, "seed");
  for (let c = 0; c < 20; c++) {
    for (let f = 0; f < 10; f++) {
      Deno.writeTextFileSync(join(seed, `f${c}_${f}.txt`), `${"line\n".repeat(200)}${c}-${f}\n`);
    }
    await git(["add", "-A"], seed);
    await git(["commit", "-qm", `c${c}`], seed);
  }
  await git(["clone", "-q", "--bare", "seed", "upstream.git"], dir);
  await git(["clone", "-q", "--bare", "seed", "baseline.git"], dir);
  const root = join(dir, "gate");
  await addGateRepo(root, "app", join(dir, "upstream.git"));
  const tokens = new GateTokens();
  await using gate = startGateServer({ root, tokens });
  const token = await tokens.mint("bench-run", {
    name: "app",
    access: "push",
    branches: ["bench/*"],
    force: false,
    main: false,
    tags: false,
  });
  const gateUrl = `${gate.url}/app.git`;
  const baseUrl = `file://${join(dir, "baseline.git")}`;
  const samples = {
    gateClone: [] as number[],
    baseClone: [] as number[],
    gatePush: [] as number[],
    basePush: [] as number[],
  };
  for (let i = 0; i < ITER; i++) {
    for (
      const [name, url, tok] of [["gate", gateUrl, token], ["base", baseUrl, undefined]] as const
    ) {
      const work = join(dir, `${name}${i}`);
      let t = performance.now();
      await git(["clone", "-q", url, work], dir, tok);
      (name === "gate" ? samples.gateClone : samples.baseClone).push(performance.now() - t);
      Deno.writeTextFileSync(join(work, "change.txt"), `change ${i}\n`);
      await git(["add", "change.txt"], work);
      await git(["commit", "-qm", `change ${i}`], work);
      t = performance.now();
      await git(["push", "-q", "origin", `HEAD:refs/heads/bench/b${i}`], work, tok);
      (name === "gate" ? samples.gatePush : samples.basePush).push(performance.now() - t);
      await Deno.remove(work, { recursive: true });
    }
  }
  const result = {
    iterations: ITER,
    clone_ms: { gate: median(samples.gateClone), file: median(samples.baseClone) },
    push_ms: { gate: median(samples.gatePush), file: median(samples.basePush) },
  };
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(
      `git gate clone: ${result.clone_ms.gate.toFixed(1)} ms vs file:// ${
        result.clone_ms.file.toFixed(1)
      } ms (${ratio(result.clone_ms.gate, result.clone_ms.file)}x, p50 of ${ITER})`,
    );
    console.log(
      `git gate push:  ${result.push_ms.gate.toFixed(1)} ms vs file:// ${
        result.push_ms.file.toFixed(1)
      } ms (${ratio(result.push_ms.gate, result.push_ms.file)}x, p50 of ${ITER})`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
