import assert from "node:assert/strict";
import fc from "fast-check";
import { fileURLToPath } from "node:url";
import { assembleRun, loadAgentConfig } from "../../agent/config.ts";
import { bundlePath, readBundle } from "../bundle.ts";
import { replayOffline } from "../offline.ts";
import { makeRng } from "./rng.ts";
import { createPerturbation } from "./registry.ts";

const SHOP = fileURLToPath(new URL("../../fixtures/agents/shop-price", import.meta.url));

Deno.test("value-preserving drift passes on the example agent for any seed (metamorphic)", async () => {
  const config = await loadAgentConfig(SHOP);
  const assembled = await assembleRun(config);
  const bundle = await readBundle(bundlePath(config.agentDir));
  const names = [
    "banner-prefix",
    "renamed-css-classes",
    "reordered-siblings",
    "whitespace-noise",
    "encoding-noise",
    "value-moved-element",
    "duplicated-observation",
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...names),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      async (name, seed) => {
        const p = createPerturbation(name);
        const variant = p.apply(bundle, makeRng(seed));
        assert.deepEqual(variant, p.apply(bundle, makeRng(seed)), "same seed, same variant");
        const out = await replayOffline(assembled, variant);
        assert.equal(out.result.status, "success", `${name} seed ${seed}: ${out.result.reason}`);
      },
    ),
    { numRuns: 60, seed: 7 },
  );
});

Deno.test("value-destroying faults fail on the example agent for any seed", async () => {
  const config = await loadAgentConfig(SHOP);
  const assembled = await assembleRun(config);
  const bundle = await readBundle(bundlePath(config.agentDir));
  const names = [
    "http-5xx",
    "http-429-retry-after",
    "timeout-error",
    "truncated-body",
    "empty-body",
    "stale-data",
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...names),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      async (name, seed) => {
        const out = await replayOffline(
          assembled,
          createPerturbation(name).apply(bundle, makeRng(seed)),
        );
        assert.notEqual(out.result.status, "success", `${name} seed ${seed}`);
      },
    ),
    { numRuns: 30, seed: 11 },
  );
});
