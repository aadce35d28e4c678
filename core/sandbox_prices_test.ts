import { equal, ok, throws } from "node:assert/strict";
import { UserError } from "./errors.ts";
import {
  estimateSandboxCost,
  meterSandboxCost,
  parseSandboxPrices,
  sumSandboxCosts,
} from "./sandbox_prices.ts";

const GOOD = { vcpu_second: 0.00002, gib_second: 0.000003, launch: 0.0001 };

Deno.test("a price table with a negative, missing, non-numeric or unknown entry is refused in one line", () => {
  const cases: [unknown, RegExp][] = [
    [{ ...GOOD, vcpu_second: -1 }, /"vcpu_second" is negative \(-1\)/],
    [{ gib_second: 1, launch: 0 }, /"vcpu_second" is missing \(USD per vCPU-second/],
    [{ ...GOOD, launch: null }, /"launch" is missing/],
    [{ ...GOOD, launch: "0.1" }, /"launch" must be a number .*got "0\.1"/],
    [{ ...GOOD, gib_second: Infinity }, /"gib_second" must be a number/],
    [{ ...GOOD, per_hour: 1 }, /"per_hour" is not a price key/],
    [{ ...GOOD, currency: "EUR" }, /currency must be "USD", got "EUR"/],
    [{ ...GOOD, memory: "peak" }, /memory must be "limit" or "use"/],
    [[1, 2], /must be a mapping .*got a list/],
    ["cheap", /must be a mapping .*got "cheap"/],
  ];
  for (const [value, re] of cases) {
    throws(() => parseSandboxPrices(value, "prices.json"), (e: unknown) => {
      ok(e instanceof UserError, String(e));
      equal(e.code, "prices_invalid");
      ok(e.message.startsWith("Cannot use sandbox prices from prices.json: "), e.message);
      ok(re.test(e.message), `${e.message} !~ ${re}`);
      ok(!e.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("an estimate is the limits × the duration; a meter charges CPU time and memory limit or peak", () => {
  const limit = parseSandboxPrices(GOOD, "t");
  equal(limit.memory, "limit");
  const e = estimateSandboxCost(limit, { cpuLimit: 2, memoryLimitBytes: 2 ** 29, durationS: 10 });
  equal(e.vcpuSeconds, 20);
  equal(e.gibSeconds, 5);
  ok(Math.abs(e.usd - (20 * 0.00002 + 5 * 0.000003 + 0.0001)) < 1e-15);
  const usage = {
    cpuSeconds: 3,
    memoryPeakBytes: 2 ** 28,
    memoryLimitBytes: 2 ** 30,
    cpuLimit: 1,
    wallSeconds: 8,
  };
  equal(meterSandboxCost(limit, usage).gibSeconds, 8);
  const use = parseSandboxPrices({ ...GOOD, memory: "use" }, "t");
  const m = meterSandboxCost(use, usage);
  equal(m.gibSeconds, 2);
  equal(m.vcpuSeconds, 3);
  equal(meterSandboxCost(use, { ...usage, memoryPeakBytes: null }).gibSeconds, 8);
  const total = sumSandboxCosts([m, m]);
  equal(total.launches, 2);
  ok(Math.abs(total.usd - 2 * m.usd) < 1e-15);
});
