// A live `zu run` on the real local daemon with `sandbox_prices`: its shell call's sandbox is
// metered at teardown and the run's cost.jsonl line carries the cost next to the tokens.
import { equal, ok } from "node:assert/strict";
import { dockerTest } from "../testing/docker.ts";
import { buildAttackImage } from "../backends/docker/image_build.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const AGENT = `provider:
  name: scripted
  script:
    - tool: shell
      args: { argv: ["sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo 42"] }
    - text: '{"lines": "42"}'
sandbox_prices:
  vcpu_second: 0.5
  gib_second: 0.001
  launch: 0.01
tiers:
  1:
    - shell
plugins:
  validators: [schema]
task:
  query: Count. Return JSON {"lines"}.
  max_tier: 1
  output_schema:
    type: object
    properties: { lines: { type: string } }
    required: [lines]
`;

dockerTest("zu run meters its sandbox on the local daemon and books it in cost.jsonl", async () => {
  const { tag } = await buildAttackImage();
  const dir = await Deno.makeTempDir({ prefix: "zu_sandbox_cost_live_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT);
    const io = captureIo({ cwd: dir, env: { ZU_EXEC_IMAGE: tag } });
    equal(await main(["run", ".", "--no-track"], io), 0, io.stderrText());
    const line = JSON.parse((await Deno.readTextFile(`${dir}/cost.jsonl`)).trim());
    equal(line.status, "success");
    equal(line.sandbox.launches, 1);
    equal(line.sandbox.unmetered, 0);
    ok(line.sandbox.vcpu_seconds > 0, JSON.stringify(line.sandbox));
    ok(line.sandbox.wall_seconds > 0, JSON.stringify(line.sandbox));
    // 512 MiB (the floor's default) × wall, CPU time, one launch.
    const usd = line.sandbox.vcpu_seconds * 0.5 + 0.5 * line.sandbox.wall_seconds * 0.001 + 0.01;
    ok(Math.abs(line.sandbox_usd - usd) < 1e-5, `${line.sandbox_usd} vs ${usd}`);
    equal(line.input_tokens, 0, "the tokens stay beside it");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
