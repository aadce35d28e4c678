import { deepEqual, equal, throws } from "node:assert/strict";
import { Fanout, type FanoutFrame } from "./fanout.ts";

async function drain<T>(it: AsyncIterable<FanoutFrame<T>>): Promise<FanoutFrame<T>[]> {
  const out: FanoutFrame<T>[] = [];
  for await (const f of it) out.push(f);
  return out;
}

Deno.test("Fanout drops a full subscriber with one overflow frame and keeps the others", async () => {
  const hub = new Fanout<number>();
  const slow = hub.subscribe({ limit: 3 });
  const roomy = hub.subscribe({ limit: 100 });
  for (let i = 1; i <= 10; i++) hub.publish(i);
  equal(hub.size, 1);
  equal(slow.overflowed, true);
  deepEqual(await drain(slow), [{ kind: "overflow" }]);
  hub.close();
  deepEqual((await drain(roomy)).map((f) => f.kind === "item" ? f.value : -1), [
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
  ]);
});

Deno.test("Fanout delivers to a waiting reader, ends on close, and detaches on return", async () => {
  const hub = new Fanout<string>();
  const sub = hub.subscribe();
  const it = sub[Symbol.asyncIterator]();
  const next = it.next();
  hub.publish("a");
  deepEqual((await next).value, { kind: "item", value: "a" });
  await it.return(undefined);
  equal(hub.size, 0, "a reader that stops is unsubscribed");
  hub.close();
  deepEqual(await drain(hub.subscribe()), [], "after close, subscribers end at once");
  throws(() => hub.subscribe({ limit: 0 }), RangeError);
});
