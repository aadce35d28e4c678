// The sandbox conformance suite against the real local daemon, with a price table (so the
// meter answers) and a throwaway snapshot store; plus the cost figures checked against the
// container's own cgroup counters.
import assert from "node:assert/strict";
import { runSandboxBackendConformance } from "../../testing/sandbox_conformance.ts";
import { parseSandboxPrices } from "../../core/sandbox_prices.ts";
import { attackImage, attackTest, testRunId } from "./_test_images.ts";
import { LocalDockerBackend } from "./local_docker_backend.ts";
import { tempStoreBackend, zuLeftovers } from "./_conformance_fixture.ts";

const PRICES = parseSandboxPrices(
  { vcpu_second: 0.00002, gib_second: 0.000003, launch: 0.0001, memory: "use" },
  "the test",
);

runSandboxBackendConformance("LocalDockerBackend", async () => {
  await attackImage();
  return await tempStoreBackend({ prices: PRICES }, "zu-conf-snap-");
}, {
  leftovers: zuLeftovers,
  register: (name, fn) => attackTest(name, fn),
});

attackTest("meterActual's figures are the container's own cgroup counters", async () => {
  await using backend = new LocalDockerBackend({ prices: PRICES });
  await using box = await backend.launch({
    image: await attackImage(),
    runId: testRunId("meter"),
    cpus: 0.5,
    memoryBytes: 64 * 1024 * 1024,
  });
  // Some CPU time and memory to measure.
  await backend.execEntrypoint(box, [
    "sh",
    "-c",
    "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; head -c 4000000 /dev/zero | tail -c 1 >/dev/null",
  ]);
  const before = (await backend.meterActual(box))!;
  const read = await backend.execEntrypoint(box, [
    "cat",
    "/sys/fs/cgroup/cpuacct/cpuacct.usage",
    "/sys/fs/cgroup/memory/memory.max_usage_in_bytes",
    "/sys/fs/cgroup/memory/memory.limit_in_bytes",
  ]);
  const after = (await backend.meterActual(box))!;
  if (read.exitCode !== 0) {
    // cgroup v2 host: the same figures come from cpu.stat and memory.max (no peak in stats).
    console.log(`cgroup v1 counters not found (${read.stderr.trim()}); skipped the comparison`);
    return;
  }
  const [usageNs, maxUsage, limit] = read.stdout.trim().split("\n").map(Number);
  // The counters were read between the two meters: before ≤ counter ≤ after.
  assert.ok(before.cpuSeconds! <= usageNs! / 1e9, `${before.cpuSeconds} > ${usageNs! / 1e9}`);
  assert.ok(usageNs! / 1e9 <= after.cpuSeconds!, `${usageNs! / 1e9} > ${after.cpuSeconds}`);
  assert.ok(before.memoryPeakBytes! <= maxUsage! && maxUsage! <= after.memoryPeakBytes!);
  assert.equal(limit, 64 * 1024 * 1024);
  assert.equal(after.memoryLimitBytes, limit);
  assert.equal(after.cpuLimit, 0.5);
  assert.ok(after.cpuSeconds! > 0 && after.wallSeconds > 0);
  // The price: CPU time, peak memory (memory: use) × wall, one launch.
  const expected = after.cpuSeconds! * 0.00002 +
    (after.memoryPeakBytes! / 2 ** 30) * after.wallSeconds * 0.000003 + 0.0001;
  assert.ok(Math.abs(after.usd - expected) < 1e-12, `${after.usd} vs ${expected}`);
  assert.equal(await new LocalDockerBackend().meterActual(box), null, "no table, no meter");
});
