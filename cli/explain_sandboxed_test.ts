import { equal, ok } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const AGENT = `provider:
  name: scripted
tiers:
  1:
    - http_fetch
plugins:
  detectors: []
  validators: []
task:
  query: Fetch the shop
  target: https://shop.example/
  max_tier: 1
`;

type Out = {
  sandboxed?: {
    jail: { flags: string[]; explain: { flag: string; value: string; why: string }[] };
    sidecar: { flags: string[]; explain: { flag: string; why: string }[]; allowlist: string[] };
    clearance: { hold_ms: number; widened: boolean; socket: string | null };
  };
};

Deno.test("zu explain-permissions --sandboxed shows the sidecar's and the in-box jail's widened --allow-net under clearance, and nothing widened with --clearance-hold off", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_explain_sbx_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT);
    const on = captureIo({ cwd: dir, env: {} });
    equal(
      await main(["explain-permissions", dir, "--sandboxed", "--json"], on),
      0,
      on.stderrText(),
    );
    const x = (JSON.parse(on.stdoutText()) as Out).sandboxed!;
    equal(x.clearance.hold_ms, 25_000);
    ok(x.clearance.widened);
    equal(x.clearance.socket, "/zu/vault/clearance.sock");
    equal(x.sidecar.flags[0], "--allow-net");
    ok(x.sidecar.flags.includes("--allow-read=/zu/vault/clearance.sock"));
    ok(x.sidecar.explain.some((e) => e.flag === "--allow-net" && /live clearance/.test(e.why)));
    ok(x.sidecar.allowlist.some((e) => e.startsWith("shop.example")), x.sidecar.allowlist.join());
    ok(x.jail.flags.includes("--allow-net"));
    ok(x.jail.explain.some((e) => e.flag === "--allow-net" && /live clearance/.test(e.why)));

    const off = captureIo({ cwd: dir, env: {} });
    const args = ["explain-permissions", dir, "--sandboxed", "--clearance-hold", "off", "--json"];
    equal(await main(args, off), 0, off.stderrText());
    const y = (JSON.parse(off.stdoutText()) as Out).sandboxed!;
    ok(!y.clearance.widened);
    equal(y.clearance.socket, null);
    ok(y.sidecar.flags[0]!.startsWith("--allow-net=0.0.0.0:8080,shop.example"), y.sidecar.flags[0]);
    ok(!y.sidecar.flags.some((f) => f.startsWith("--allow-read")));
    ok(y.jail.flags.some((f) => f.startsWith("--allow-net=shop.example")));
    ok(!y.jail.flags.includes("--allow-net"));

    const text = captureIo({ cwd: dir, env: { ZU_CLEARANCE_HOLD: "10" } });
    equal(await main(["explain-permissions", dir, "--sandboxed"], text), 0, text.stderrText());
    ok(text.stdoutText().includes("live clearance on (hold 10000 ms)"), text.stdoutText());
    ok(text.stdoutText().includes("any other host is held for an operator"));
    // Without --sandboxed the output has no sandboxed part.
    const plain = captureIo({ cwd: dir, env: {} });
    equal(await main(["explain-permissions", dir, "--json"], plain), 0, plain.stderrText());
    equal((JSON.parse(plain.stdoutText()) as Out).sandboxed, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
