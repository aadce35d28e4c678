/**
 * Runs every benchmark in turn, each in its own process, and prints their ratio lines. The Docker
 * and browser benchmarks run only when a daemon answers (and, for the browser, when its image is
 * present); otherwise one line says why they were skipped.
 *
 * Run: `deno task bench` (or `deno run -A bench/run_all.ts [--quick]`).
 *
 * @module
 */
import { dockerAvailable } from "../testing/docker.ts";
import { findPgBinDir } from "../testing/pg_cluster.ts";

const quick = Deno.args.includes("--quick");

async function run(file: string, args: string[] = []): Promise<boolean> {
  console.log(`\n=== ${file} ${args.join(" ")}`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(file, import.meta.url).pathname, ...args],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const { code } = await child.status;
  if (code !== 0) console.log(`${file} exited ${code}`);
  return code === 0;
}

async function imagePresent(ref: string): Promise<boolean> {
  const out = await new Deno.Command("docker", {
    args: ["image", "inspect", ref],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => ({ code: 1 }));
  return out.code === 0;
}

const results: boolean[] = [];
results.push(await run("./sinks_bench.ts", quick ? ["--quick"] : []));
if (findPgBinDir() !== null) {
  results.push(await run("./postgres_bench.ts", quick ? ["--quick"] : []));
} else {
  console.log("\n=== ./postgres_bench.ts skipped: PostgreSQL server binaries are missing");
}
results.push(await run("./harden_bench.ts", quick ? ["--quick"] : []));
results.push(await run("./leaf_mint_bench.ts", quick ? ["--quick"] : []));
results.push(await run("./model_broker_bench.ts", quick ? ["--quick"] : []));
results.push(await run("./intercept_bench.ts", quick ? ["--quick"] : []));
results.push(await run("./clearance_bench.ts", quick ? ["--quick"] : []));
results.push(await run("./clearance_channel_bench.ts", quick ? ["--quick"] : []));
results.push(await run("./git_gate_bench.ts", quick ? ["--quick"] : []));
results.push(await run("./serve_bench.ts", quick ? ["--quick"] : []));
if (await dockerAvailable()) {
  results.push(
    await run("./sandbox_bench.ts", quick ? ["--iterations", "10", "--launches", "3"] : []),
  );
  results.push(await run("./pool_bench.ts", quick ? ["--iterations", "3"] : []));
  results.push(
    await run("./remote_engine_bench.ts", quick ? ["--iterations", "6", "--launches", "3"] : []),
  );
  results.push(
    await run("./ssh_engine_bench.ts", quick ? ["--iterations", "6", "--launches", "3"] : []),
  );
  const version = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)))
    .version as string;
  if (await imagePresent(`zu-browser:${version}`)) {
    results.push(await run("./browser_bench.ts", quick ? ["--runs", "1"] : []));
  } else {
    console.log(
      `\nbrowser bench skipped: image "zu-browser:${version}" is not built (zu sandbox image build --browser)`,
    );
  }
} else {
  console.log("\nsandbox and browser benches skipped: no Docker daemon answers");
}
if (results.some((ok) => !ok)) Deno.exit(1);
