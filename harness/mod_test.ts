import assert from "node:assert/strict";
import * as harness from "./mod.ts";

Deno.test("harness/mod.ts exports the public harness API", () => {
  const names = Object.keys(harness).sort();
  for (
    const n of [
      "captureBundle",
      "compose",
      "contentHash",
      "createPerturbation",
      "harden",
      "hardenSuite",
      "perturbationRegistry",
      "readBundle",
      "replayOffline",
      "serializeBundle",
      "writeBundle",
      "writeReports",
      "HijackedProvider",
      "FixtureState",
    ]
  ) assert.ok(names.includes(n), n);
  assert.ok(!names.some((n) => n.startsWith("_")));
});
