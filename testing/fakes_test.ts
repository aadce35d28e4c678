import assert from "node:assert/strict";
import { FakeClock } from "./fake_clock.ts";
import { SequentialIds } from "./sequential_ids.ts";

Deno.test("FakeClock advances only when told to and refuses going back", async () => {
  const c = new FakeClock(new Date("2030-05-01T00:00:00Z"));
  const t0 = c.now().getTime();
  await c.sleep(250);
  assert.equal(c.now().getTime() - t0, 250);
  assert.equal(c.monotonic(), 250);
  assert.throws(() => c.advance(-1), RangeError);
});

Deno.test("SequentialIds gives distinct uuid4-shaped ids in order", () => {
  const ids = new SequentialIds();
  const a = ids.uuid(), b = ids.uuid();
  assert.notEqual(a, b);
  assert.match(b, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
});
