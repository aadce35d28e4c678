/**
 * What metering a sandbox costs, measured in one run on this machine: `meterActual` (one
 * one-shot stats call and one inspect) against the baselines a user would otherwise use: the
 * `docker stats --no-stream` CLI for the same container (which waits for a second sample), and one
 * `execEntrypoint(["true"])` into it (a meter runs once per sandbox, before its teardown). Also
 * times `teardown` (with its report) against a plain `destroy`.
 *
 * Prints p50 per series and the ratios. Bounded: about 20–40 s.
 *
 * Run: `deno run --allow-all bench/sandbox_meter_bench.ts [--iterations 20]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { LocalDockerBackend } from "../backends/docker/local_docker_backend.ts";
import { buildAttackImage } from "../backends/docker/image_build.ts";
import { parseSandboxPrices } from "../core/sandbox_prices.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { iterations: { type: "string", default: "20" } },
});
const ITER = Math.min(100, Math.max(3, Number(values.iterations)));
const RUN = `bench-meter-${crypto.randomUUID().slice(0, 8)}`;

function p50(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const { tag: image } = await buildAttackImage();
const prices = parseSandboxPrices(
  { vcpu_second: 0.00001, gib_second: 0.000001, launch: 0 },
  "bench",
);
await using backend = new LocalDockerBackend({ prices });
const box = await backend.launch({ image, runId: RUN });
const meter: number[] = [];
const cli: number[] = [];
const exec: number[] = [];
for (let i = 0; i < ITER; i++) {
  meter.push(await time(() => backend.meterActual(box)));
  exec.push(await time(() => backend.execEntrypoint(box, ["true"])));
  cli.push(
    await time(() =>
      new Deno.Command("docker", {
        args: ["stats", "--no-stream", "--format", "{{.CPUPerc}}", box.id],
        stdout: "null",
        stderr: "null",
      }).output()
    ),
  );
}
await backend.destroy(box);
const teardown: number[] = [];
const destroy: number[] = [];
for (let i = 0; i < Math.min(ITER, 8); i++) {
  const a = await backend.launch({ image, runId: RUN });
  teardown.push(await time(() => backend.teardown(a)));
  const b = await backend.launch({ image, runId: RUN });
  destroy.push(await time(() => backend.destroy(b)));
}
const r = (a: number[], b: number[]) => (p50(a) / p50(b)).toFixed(2);
console.log(`iterations ${ITER}`);
console.log(`meterActual               p50 ${p50(meter).toFixed(1)} ms`);
console.log(`docker stats --no-stream  p50 ${p50(cli).toFixed(1)} ms   meter/cli ${r(meter, cli)}`);
console.log(
  `execEntrypoint(true)      p50 ${p50(exec).toFixed(1)} ms   meter/exec ${r(meter, exec)}`,
);
console.log(
  `teardown (report)         p50 ${p50(teardown).toFixed(1)} ms   vs destroy p50 ${
    p50(destroy).toFixed(1)
  } ms, ratio ${r(teardown, destroy)}`,
);
