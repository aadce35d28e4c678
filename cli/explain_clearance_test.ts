import { deepEqual, equal, match, ok } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const TOOL = `
export class Shop {
  name = "shop";
  tier = 1;
  egress = new Set(["shop.example"]);
  schema = { name: "shop", description: "Shop", parameters: { type: "object", properties: {} } };
  async call() { return {}; }
}
`;

async function agentDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "zu_explain_clear_" });
  await Deno.mkdir(`${dir}/tools`);
  await Deno.writeTextFile(`${dir}/tools/shop.ts`, TOOL);
  await Deno.writeTextFile(
    `${dir}/agent.yaml`,
    `provider:\n  name: scripted\ntiers:\n  1:\n    - ref: ./tools/shop.ts#Shop\nplugins:\n  detectors: []\n  validators: []\ntask:\n  query: Shop\n  max_tier: 1\n`,
  );
  return dir;
}

Deno.test("zu explain-permissions shows the run's clearance: the hold, the host relay, --allow-net unchanged", async () => {
  const dir = await agentDir();
  try {
    const run = async (args: string[], env: Record<string, string> = {}) => {
      const io = captureIo({ cwd: dir, env });
      equal(await main(["explain-permissions", dir, ...args], io), 0, io.stderrText());
      return io.stdoutText();
    };
    const on = JSON.parse(await run(["--json"]));
    deepEqual(
      { hold: on.clearance.hold, hold_ms: on.clearance.hold_ms, relay: on.clearance.relay },
      { hold: "25s", hold_ms: 25_000, relay: true },
    );
    equal(on.clearance.allow_net_unchanged, true);
    match(on.clearance.how, /relayed to the host .* egress proxy/);
    const off = JSON.parse(await run(["--json", "--clearance-hold", "off"]));
    deepEqual([off.clearance.hold, off.clearance.relay], ["off", false]);
    // The flags are the same whatever the hold: clearance never widens --allow-net.
    deepEqual(off.flags, on.flags);
    ok(on.flags.some((f: string) => f.startsWith("--allow-net=shop.example")), on.flags.join(" "));
    const env = JSON.parse(await run(["--json"], { ZU_CLEARANCE_HOLD: "3" }));
    equal(env.clearance.hold_ms, 3_000);
    const offline = JSON.parse(await run(["--json", "--mode", "offline"]));
    equal(offline.clearance.relay, false);
    const text = await run(["--clearance-hold", "7"]);
    match(text, /Clearance:\n {2}hold 7s\n/);
    match(text, /--allow-net stays exactly as above/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
