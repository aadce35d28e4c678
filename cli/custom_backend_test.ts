// `backend:` in agent.yaml: a custom module runs a live `zu run`'s shell tool (and its meter
// lands in cost.jsonl), an unknown name and a module that does not implement the port are one
// line and exit 2. No Docker: the custom backend is the in-memory fake.
import { equal, match, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const MODULE = fileURLToPath(new URL("./testdata/custom_backend/my_backend.ts", import.meta.url));

function agentYaml(backend: string): string {
  return `provider:
  name: scripted
  script:
    - tool: shell
      args: { argv: ["wc", "-l", "data.csv"] }
    - text: '{"lines": "42"}'
backend: "${backend}"
sandbox_prices:
  vcpu_second: 0.001
  gib_second: 0.0005
  launch: 0.01
tiers:
  1:
    - shell
plugins:
  validators: [schema]
task:
  query: Count the lines of data.csv. Return JSON {"lines"}.
  max_tier: 1
  output_schema:
    type: object
    properties: { lines: { type: string } }
    required: [lines]
`;
}

async function withAgent(backend: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu_custom_backend_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, agentYaml(backend));
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("zu run uses the custom backend agent.yaml names, and books its metered cost", async () => {
  await withAgent(`${MODULE}#makeBackend`, async (dir) => {
    const io = captureIo({ cwd: dir, env: { DOCKER_HOST: "unix:///nonexistent.sock" } });
    equal(await main(["run", ".", "--no-track"], io), 0, io.stderrText());
    ok(io.stdoutText().includes("42"), io.stdoutText());
    const log = (await Deno.readTextFile(`${dir}/backend_used.jsonl`)).trim().split("\n")
      .map((l) => JSON.parse(l).what);
    equal(log[0], "launch");
    ok(log.includes("exec"), log.join());
    equal(log.at(-1), "destroy");
    const ledger = JSON.parse((await Deno.readTextFile(`${dir}/cost.jsonl`)).trim());
    // The fixture's meter: 1.5 CPU-s, 512 MiB limit × 4 s, one launch.
    const usd = 1.5 * 0.001 + 0.5 * 4 * 0.0005 + 0.01;
    ok(Math.abs(ledger.sandbox_usd - usd) < 1e-9, JSON.stringify(ledger));
    equal(ledger.sandbox.launches, 1);
    equal(ledger.sandbox.vcpu_seconds, 1.5);
    equal(ledger.status, "success");
  });
});

Deno.test("an unknown backend name and a module that is not a backend are one line and exit 2", async () => {
  const cases: [string, RegExp][] = [
    ["lokal-docker", /"lokal-docker": it is not a known backend \(known: "local-docker"/],
    [
      `${MODULE}#halfBackend`,
      /does not implement the SandboxBackend port \(missing: exec, execEntrypoint, destroy\)/,
    ],
    [`${MODULE}#nothing`, /does not export "nothing"/],
  ];
  for (const [ref, re] of cases) {
    await withAgent(ref, async (dir) => {
      const io = captureIo({ cwd: dir });
      equal(await main(["run", ".", "--no-track"], io), 2, `${ref}: ${io.stderrText()}`);
      match(io.stderrText(), re);
      equal(io.stderrText().split("\n").filter((l) => l.startsWith("error:")).length, 1);
      ok(!io.stderrText().includes("    at "), io.stderrText());
    });
  }
});
