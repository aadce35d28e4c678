import assert from "node:assert/strict";

// Pins the public surface: adding or removing an export must be a deliberate edit of this list.
const EXPECTED: readonly string[] = [
  "FakeAgentLauncher",
  "FakeBrowserEgress",
  "FakeClock",
  "FakeExecSession",
  "FakeSandboxBackend",
  "MemorySink",
  "ScriptedProvider",
  "SequentialIds",
  "loadScenario",
  "runSandboxBackendConformance",
  "runScenario",
  "runSinkConformance",
  "scenarioSpec",
  "scenarioTool",
];

Deno.test("testing/mod.ts exports exactly the documented names", async () => {
  const names = Object.keys(await import("./mod.ts")).sort();
  assert.deepEqual(names, EXPECTED);
});
