// `zu sandbox cost`: the estimate from the agent's price table (or --prices), the metered sum of
// cost.jsonl, and a bad table refused in one line. No Docker: estimating asks no daemon.
import { equal, match, ok } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";
import { meteredRuns } from "./cmd_sandbox_cost.ts";

const AGENT = `provider:
  name: scripted
sandbox_prices:
  vcpu_second: 0.00002
  gib_second: 0.000004
  launch: 0.001
task:
  query: q
`;

const LEDGER = [
  { at: "2026-01-01T00:00:00.000Z", status: "success", sandbox_usd: null, sandbox: null },
  {
    at: "2026-01-02T00:00:00.000Z",
    status: "success",
    sandbox_usd: 0.0125,
    sandbox: { launches: 2 },
  },
  {
    at: "2026-01-03T00:00:00.000Z",
    status: "success",
    sandbox_usd: 0.0025,
    sandbox: { launches: 1 },
  },
].map((l) => JSON.stringify(l)).join("\n") + "\n";

async function withAgent(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu_sandbox_cost_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT);
    await Deno.writeTextFile(`${dir}/cost.jsonl`, LEDGER);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("zu sandbox cost estimates at the floor's default limits and sums the metered runs", async () => {
  await withAgent(async (dir) => {
    const io = captureIo({ cwd: dir, env: { DOCKER_HOST: "unix:///nonexistent.sock" } });
    equal(
      await main(["sandbox", "cost", ".", "--duration", "100", "--json"], io),
      0,
      io.stderrText(),
    );
    const out = JSON.parse(io.stdoutText());
    // 1 vCPU and 512 MiB (the floor's defaults) for 100 s, one launch.
    const usd = 100 * 0.00002 + 0.5 * 100 * 0.000004 + 0.001;
    ok(Math.abs(out.estimate.usd - usd) < 1e-12, JSON.stringify(out.estimate));
    equal(out.estimate.vcpuSeconds, 100);
    equal(out.estimate.gibSeconds, 50);
    equal(out.metered.runs, 3);
    equal(out.metered.metered, 2);
    equal(out.metered.launches, 3);
    ok(Math.abs(out.metered.usd - 0.015) < 1e-12);
    const text = captureIo({ cwd: dir, env: { DOCKER_HOST: "unix:///nonexistent.sock" } });
    equal(await main(["sandbox", "cost"], text), 0, text.stderrText());
    match(
      text.stdoutText(),
      /^estimate: \$0\.002320 for 60 s of one sandbox \(zu-runtime:[^,]+, 1 vCPU, 512 MiB\)/m,
    );
    match(text.stdoutText(), /^metered: {2}\$0\.015000 over 2 of 3 run\(s\), 3 sandbox\(es\)/m);
  });
});

Deno.test("zu sandbox cost --prices: a file wins; a negative or missing price is one line and exit 2", async () => {
  await withAgent(async (dir) => {
    await Deno.writeTextFile(`${dir}/p.yaml`, "vcpu_second: 1\ngib_second: 0\nlaunch: 0\n");
    const io = captureIo({ cwd: dir });
    equal(await main(["sandbox", "cost", "--prices", "p.yaml", "--json"], io), 0, io.stderrText());
    equal(JSON.parse(io.stdoutText()).estimate.usd, 60);
    for (
      const [body, re] of [
        ['{"vcpu_second": -0.1, "gib_second": 0, "launch": 0}', /"vcpu_second" is negative/],
        ['{"vcpu_second": 0.1, "launch": 0}', /"gib_second" is missing/],
      ] as const
    ) {
      await Deno.writeTextFile(`${dir}/bad.json`, body);
      const bad = captureIo({ cwd: dir });
      equal(await main(["sandbox", "cost", "--prices", "bad.json"], bad), 2);
      match(bad.stderrText(), /^error: Cannot use sandbox prices from ".*bad\.json": /);
      match(bad.stderrText(), re);
      equal(bad.stderrText().trim().split("\n").length, 1, bad.stderrText());
    }
    await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT.replace("launch: 0.001", "launch: -1"));
    const inYaml = captureIo({ cwd: dir });
    equal(await main(["sandbox", "cost"], inYaml), 2);
    match(inYaml.stderrText(), /sandbox_prices: "launch" is negative \(-1\)/);
  });
});

Deno.test("meteredRuns skips lines that do not parse and lines without a sandbox cost", () => {
  const m = meteredRuns('not json\n{"sandbox_usd": null}\n{"at":"t","sandbox_usd":0.5}\n');
  equal(m.runs, 2);
  equal(m.metered, 1);
  equal(m.last?.usd, 0.5);
});
