import assert from "node:assert/strict";
import { EventBus } from "./bus.ts";
import { type Event, newEvent, TASK_STARTED, withFields } from "./events.ts";
import type { EventFilter, EventSink } from "./types.ts";

/** A minimal sink that records calls, can fail on demand, and "links" by setting hash. */
class RecordingSink implements EventSink {
  calls: string[] = [];
  stored: Event[] = [];
  fail = false;
  closed = 0;
  append(e: Event): Promise<Event> {
    this.calls.push(`append:${e.event_id}`);
    if (this.fail) return Promise.reject(new Error("disk full"));
    const linked = withFields(e, { hash: "h" + this.stored.length });
    this.stored.push(linked);
    return Promise.resolve(linked);
  }
  query(_f?: EventFilter): Promise<Event[]> {
    return Promise.resolve([...this.stored]);
  }
  async *stream(): AsyncIterable<Event> {
    yield* this.stored;
  }
  count(): Promise<number> {
    return Promise.resolve(this.stored.length);
  }
  close(): Promise<void> {
    this.closed++;
    return Promise.resolve();
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

const ev = () => newEvent({ task_id: "t", type: TASK_STARTED });

Deno.test("EventBus appends to the canonical sink before notifying subscribers", async () => {
  const sink = new RecordingSink();
  const bus = new EventBus(sink);
  const order: string[] = [];
  bus.subscribe((e) => {
    order.push(`sub:${e.hash}`);
    assert.equal(sink.stored.length, 1, "the event is stored before the subscriber runs");
  });
  const linked = await bus.publish(ev());
  assert.equal(linked.hash, "h0");
  assert.deepEqual(order, ["sub:h0"]);
});

Deno.test("EventBus propagates a canonical append failure and notifies nobody", async () => {
  const sink = new RecordingSink();
  sink.fail = true;
  const bus = new EventBus(sink);
  let notified = 0;
  bus.subscribe(() => {
    notified++;
  });
  await assert.rejects(bus.publish(ev()), /disk full/);
  assert.equal(notified, 0);
});

Deno.test("EventBus isolates subscriber failures in a bounded ring", async () => {
  const bus = new EventBus(new RecordingSink(), { maxRecordedFailures: 3 });
  const seen: number[] = [];
  bus.subscribe(() => {
    throw new Error("boom");
  });
  bus.subscribe(() => {
    seen.push(1);
  });
  for (let i = 0; i < 5; i++) await bus.publish(ev());
  assert.equal(seen.length, 5, "a failing subscriber does not stop the next one");
  assert.equal(bus.subscriberFailures.length, 3);
  assert.match(bus.subscriberFailures[0]!.error, /Error: boom/);
});

Deno.test("EventBus delivers to secondary sinks and closes everything once", async () => {
  const canonical = new RecordingSink();
  const secondary = new RecordingSink();
  const bus = new EventBus(canonical);
  bus.addDestination(secondary);
  await bus.publish(ev());
  assert.equal(secondary.stored.length, 1);
  assert.equal(secondary.stored[0]!.hash, "h0", "secondaries receive the linked copy");
  await bus.close();
  await bus.close();
  assert.equal(canonical.closed, 1);
  assert.equal(secondary.closed, 1);
  await assert.rejects(bus.publish(ev()), /closed/);
});
