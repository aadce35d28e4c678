import { deepEqual, equal, match } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const SHOP = new URL("../fixtures/agents/shop-price", import.meta.url).pathname;
const KINDS = "goal-fetch,goal-exfil-allowed-host,lookalike-recipe";

Deno.test("zu harden --model oracle --defence-matrix reports which defence stopped each family", async () => {
  const io = captureIo();
  const code = await main(
    ["harden", SHOP, "--model", "oracle", "--perturb", KINDS, "--defence-matrix", "--json"],
    io,
  );
  equal(code, 1, io.stderrText());
  const report = JSON.parse(io.stdoutText());
  equal(report.mode, "oracle");
  equal(report.attacks.by_family.fetch.asr_all.text, "0/1");
  equal(
    report.attacks.by_family.exfil.asr_all.text,
    "1/1",
    "the allowed host passes the allow-list",
  );
  equal(report.attacks.false_positive_rate.text, "0/1");
  deepEqual(report.defences.matrix.held_by.fetch, ["allowed-domains"]);
});

Deno.test("zu harden --defence-off switches a defence off, and names the known ones on a typo", async () => {
  const io = captureIo();
  const args = ["harden", SHOP, "--model", "oracle", "--perturb", "goal-fetch", "--json"];
  equal(await main([...args, "--defence-off", "allowed-domains"], io), 1, io.stderrText());
  const report = JSON.parse(io.stdoutText());
  deepEqual(report.defences.off, ["allowed-domains"]);
  equal(report.variants[0].attack.outcome, "succeeded");
  const bad = captureIo();
  equal(await main([...args, "--defence-off", "firewall"], bad), 2);
  match(bad.stderrText(), /known: detectors, boundary, gates, allowed-domains, validators/);
});
