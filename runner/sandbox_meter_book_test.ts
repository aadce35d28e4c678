import { deepEqual, equal, ok } from "node:assert/strict";
import { FakeSandboxBackend } from "../testing/fake_sandbox_backend.ts";
import { meterSandboxCost, parseSandboxPrices } from "../core/sandbox_prices.ts";
import type { SandboxCost, SandboxHandle } from "../core/types.ts";
import { meteredBackend, SandboxMeterBook } from "./sandbox_meter_book.ts";

const PRICES = parseSandboxPrices({ vcpu_second: 1, gib_second: 0, launch: 0.5 }, "t");

class MeteredFake extends FakeSandboxBackend {
  metered: string[] = [];
  failFor = new Set<string>();
  meterActual(handle: SandboxHandle): Promise<SandboxCost | null> {
    this.metered.push(handle.id);
    if (this.failFor.has(handle.id)) return Promise.reject(new Error("gone"));
    return Promise.resolve(meterSandboxCost(PRICES, {
      cpuSeconds: 2,
      memoryPeakBytes: null,
      memoryLimitBytes: 2 ** 30,
      cpuLimit: 1,
      wallSeconds: 3,
    }));
  }
  session(_h: SandboxHandle): string {
    return "own session";
  }
}

Deno.test("meteredBackend meters each sandbox once, before its first destroy, and forwards the rest", async () => {
  const inner = new MeteredFake();
  const book = new SandboxMeterBook();
  const backend = meteredBackend(inner, book);
  equal(book.total(), null);
  const a = await backend.launch({ image: "x" });
  const b = await backend.launch({ image: "x" });
  const c = await backend.launch({ image: "x" });
  inner.failFor.add(c.id);
  equal(inner.metered.length, 0, "nothing is metered while the sandboxes run");
  await backend.destroy(a);
  await backend.destroy(a);
  await backend.destroy(b);
  await backend.destroy(c);
  deepEqual(inner.metered, [a.id, b.id, c.id]);
  deepEqual(inner.destroyed, [a.id, b.id, c.id], "destroy still reaches the backend");
  const total = book.total()!;
  equal(total.launches, 2);
  equal(total.usd, 2 * (2 + 0.5));
  equal(total.vcpu_seconds, 4);
  equal(total.unmetered, 1, "a meter that fails is counted, not summed");
  equal((backend as unknown as MeteredFake).session(a), "own session");
  ok(backend.live() === 0);
});
