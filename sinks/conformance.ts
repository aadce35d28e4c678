/**
 * The one conformance suite every {@link EventSink} adapter runs: chain linking, idempotency,
 * filters (columns and ctx fields, SQLite's semantics), `afterSeq`/`limit`, keyset streaming,
 * bad input, concurrency and lifecycle.
 *
 * @example
 * ```ts ignore
 * import { runSinkConformance } from "./conformance.ts";
 * import { MemorySink } from "./memory/mod.ts";
 * runSinkConformance("MemorySink", (ctx) => new MemorySink(ctx));
 * ```
 * @module
 */
import assert from "node:assert/strict";
import { verifyChain } from "../core/chain.ts";
import { type Event, type EventInit, newEvent } from "../core/events.ts";
import { isPyFloat, pyFloat } from "../core/json.ts";
import type { EventSink } from "../core/types.ts";

/** What the suite hands a sink factory. */
export interface ConformanceContext {
  /** A fresh temporary directory, removed after the test. */
  dir: string;
  /** HMAC key, when the test wants signed chains. */
  signKey?: Uint8Array;
  /** ctx fields to register. */
  filterFields?: string[];
}

/** Makes a fresh, empty sink for one test. */
export type SinkFactory = (ctx: ConformanceContext) => EventSink | Promise<EventSink>;

const TASK_A = "11111111-1111-4111-8111-111111111111";
const TASK_B = "22222222-2222-4222-8222-222222222222";

function ev(init: Partial<EventInit> & { type?: string } = {}): Event {
  return newEvent({ task_id: TASK_A, type: "harness.turn.started", ...init });
}

async function withSink(
  make: SinkFactory,
  opts: Omit<ConformanceContext, "dir">,
  fn: (sink: EventSink) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu-sink-" });
  const sink = await make({ dir, ...opts });
  try {
    await fn(sink);
  } finally {
    await sink.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Appends a small mixed log: two traces, a root and children, ctx values of several kinds. */
async function seed(sink: EventSink): Promise<Event[]> {
  const root = await sink.append(ev({ type: "harness.task.started", payload: { q: "é 東京" } }));
  const out = [root];
  const specs: Partial<EventInit>[] = [
    { parent_id: root.event_id, payload: { step: 1 } },
    {
      parent_id: root.event_id,
      type: "harness.tool.invoked",
      payload: { ctx: { grant_id: "g-東京" } },
    },
    { task_id: TASK_B, type: "harness.task.started", source: "pipeline", payload: {} },
    { parent_id: root.event_id, type: "harness.tool.invoked", payload: { ctx: { grant_id: 42 } } },
    { task_id: TASK_B, payload: { ctx: { grant_id: null } } },
    { parent_id: root.event_id, type: "harness.task.completed", payload: { ctx: { other: 1 } } },
  ];
  for (const s of specs) out.push(await sink.append(ev(s)));
  return out;
}

/**
 * Registers the shared sink tests for one adapter under `name`.
 */
export function runSinkConformance(name: string, make: SinkFactory): void {
  const t = (title: string, fn: () => Promise<void>) => Deno.test(`${name} ${title}`, fn);

  t("links each event into its trace's hash chain", async () => {
    await withSink(make, {}, async (sink) => {
      const events = await seed(sink);
      for (const e of events) {
        assert.match(e.hash!, /^[0-9a-f]{64}$/);
        assert.equal(e.sig, null);
        assert.ok(Object.isFrozen(e));
      }
      for (const task of [TASK_A, TASK_B]) {
        const trace = await sink.query({ trace_id: task });
        assert.ok(trace.length >= 2);
        assert.equal(trace[0]!.prev_hash, null);
        assert.deepEqual(verifyChain(trace), []);
      }
    });
  });

  t("signs the chain when given a key", async () => {
    const signKey = new Uint8Array(32).fill(9);
    await withSink(make, { signKey }, async (sink) => {
      await seed(sink);
      const trace = await sink.query({ trace_id: TASK_A });
      assert.match(trace[0]!.sig!, /^[0-9a-f]{64}$/);
      assert.deepEqual(verifyChain(trace, { key: signKey }), []);
      assert.equal(verifyChain(trace, { key: new Uint8Array(32) }).length, trace.length);
    });
  });

  t("returns the stored copy on a repeated append", async () => {
    await withSink(make, {}, async (sink) => {
      const e = ev({ payload: { n: 1 } });
      const first = await sink.append(e);
      const again = await sink.append(e);
      const changed = await sink.append(newEvent({ ...e, payload: { n: 2 } }));
      assert.equal(again.hash, first.hash);
      assert.deepEqual(changed.payload, { n: 1 });
      assert.equal(await sink.count(), 1);
      const [a, b] = await Promise.all([
        sink.append(ev({ event_id: "x-1" })),
        sink.append(ev({ event_id: "x-1" })),
      ]);
      assert.equal(a.hash, b.hash);
      assert.equal(await sink.count(), 2);
    });
  });

  t("stores an already linked event as it is and continues the chain after it", async () => {
    await withSink(make, {}, async (sink) => {
      const first = await sink.append(ev());
      const foreign = Object.freeze({
        ...ev(),
        prev_hash: first.hash,
        hash: "f".repeat(64),
        sig: null,
      });
      const stored = await sink.append(foreign);
      assert.equal(stored.hash, "f".repeat(64));
      const next = await sink.append(ev());
      assert.equal(next.prev_hash, "f".repeat(64));
    });
  });

  t("filters by every allowlisted column, with null meaning IS NULL", async () => {
    await withSink(make, {}, async (sink) => {
      const events = await seed(sink);
      const ids = (list: Event[]) => list.map((e) => e.event_id);
      assert.deepEqual(ids(await sink.query({})), ids(events));
      assert.deepEqual(ids(await sink.query({ event_id: events[2]!.event_id })), [
        events[2]!.event_id,
      ]);
      assert.deepEqual(ids(await sink.query({ task_id: TASK_B })), ids([events[3]!, events[5]!]));
      assert.deepEqual(
        ids(await sink.query({ trace_id: TASK_B, task_id: TASK_B })),
        ids([events[3]!, events[5]!]),
      );
      assert.deepEqual(
        ids(await sink.query({ type: "harness.tool.invoked" })),
        ids([events[2]!, events[4]!]),
      );
      assert.deepEqual(ids(await sink.query({ source: "pipeline" })), [events[3]!.event_id]);
      assert.deepEqual(
        ids(await sink.query({ parent_id: null })),
        ids([events[0]!, events[3]!, events[5]!]),
      );
      assert.deepEqual(
        ids(await sink.query({ parent_id: events[0]!.event_id, type: "harness.task.completed" })),
        [
          events[6]!.event_id,
        ],
      );
      assert.deepEqual(await sink.query({ type: "harness.nothing" }), []);
      assert.deepEqual(await sink.query({ task_id: null }), []);
      assert.equal(await sink.count({ type: "harness.tool.invoked" }), 2);
      assert.equal(await sink.count(), events.length);
    });
  });

  t("filters by a registered ctx field as Python's str()", async () => {
    await withSink(make, { filterFields: ["grant_id"] }, async (sink) => {
      const events = await seed(sink);
      const ids = (list: Event[]) => list.map((e) => e.event_id);
      assert.deepEqual(ids(await sink.query({ grant_id: "g-東京" })), [events[2]!.event_id]);
      assert.deepEqual(ids(await sink.query({ grant_id: "42" })), [events[4]!.event_id]);
      assert.deepEqual(ids(await sink.query({ grant_id: "None" })), [events[5]!.event_id]);
      assert.deepEqual(
        ids(await sink.query({ grant_id: null })),
        ids([events[0]!, events[1]!, events[3]!, events[6]!]),
      );
      assert.equal(await sink.count({ grant_id: null, task_id: TASK_A }), 3);
    });
  });

  t("rejects an unknown filter key and names it", async () => {
    await withSink(make, {}, async (sink) => {
      await seed(sink);
      const bad = { "type; DROP TABLE events": "x" };
      await assert.rejects(
        sink.query(bad),
        (e: unknown) => e instanceof TypeError && e.message.includes('"type; DROP TABLE events"'),
      );
      await assert.rejects(sink.count({ grant_id: "x" }), /unknown filter key "grant_id"/);
      await assert.rejects(async () => {
        for await (const _ of sink.stream({ nope: "x" })) { /* never */ }
      }, /"nope"/);
      assert.equal(await sink.count(), 7);
    });
  });

  t("applies afterSeq exclusively and limit after filtering, in seq order", async () => {
    await withSink(make, {}, async (sink) => {
      const events = await seed(sink);
      const all = await sink.queryWithSeq!({});
      assert.deepEqual(all.map((s) => s.seq), [1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(all.map((s) => s.event.event_id), events.map((e) => e.event_id));
      const after = await sink.queryWithSeq!({ task_id: TASK_A }, { afterSeq: 3, limit: 2 });
      assert.deepEqual(after.map((s) => s.seq), [5, 7]);
      assert.deepEqual(
        (await sink.queryWithSeq!({}, { afterSeq: 2, limit: 1 })).map((s) => s.seq),
        [3],
      );
      assert.deepEqual(await sink.query({}, { limit: 0 }), []);
      assert.deepEqual(await sink.query({}, { afterSeq: 7 }), []);
      await assert.rejects(sink.query({}, { limit: -1 }), RangeError);
    });
  });

  t("streams every matching event page by page", async () => {
    await withSink(make, {}, async (sink) => {
      await Promise.all(Array.from({ length: 23 }, (_, i) => sink.append(ev({ payload: { i } }))));
      await sink.append(ev({ task_id: TASK_B }));
      const seen: Event[] = [];
      for await (const e of sink.stream({ task_id: TASK_A }, { batchSize: 5 })) seen.push(e);
      assert.deepEqual(
        seen.map((e) => e.event_id),
        (await sink.query({ task_id: TASK_A })).map((e) => e.event_id),
      );
      assert.equal(seen.length, 23);
      const tail: Event[] = [];
      for await (const e of sink.stream({}, { batchSize: 4, afterSeq: 20 })) tail.push(e);
      assert.equal(tail.length, 4);
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(async () => {
        for await (const _ of sink.stream({}, { signal: ac.signal })) { /* aborted */ }
      });
    });
  });

  t("refuses an event that is not JSON-serialisable, naming it, and stores nothing", async () => {
    await withSink(make, {}, async (sink) => {
      await sink.append(ev());
      for (const payload of [{ f: () => 1 }, { n: NaN }, { m: new Map() }, { s: Symbol("x") }]) {
        const bad = ev({ payload: payload as Record<string, unknown> });
        await assert.rejects(
          sink.append(bad),
          (e: unknown) => e instanceof TypeError && e.message.includes(bad.event_id),
        );
      }
      assert.equal(await sink.count(), 1);
      const after = await sink.append(ev());
      assert.deepEqual(verifyChain(await sink.query()), []);
      assert.ok(after.prev_hash !== null);
    });
  });

  t("keeps zu's number and text semantics through a round trip", async () => {
    await withSink(make, {}, async (sink) => {
      const payload = {
        ratio: pyFloat(3),
        tiny: 1e-7,
        big: 9007199254740993n,
        huge: pyFloat(1e16),
        text: "ctrl:\b\f\u0001 – 😀 \u2028",
        "ｆ": 1,
        "😀": 2,
        nested: [1, pyFloat(2), null, true, { "ü": [false] }],
      };
      const stored = await sink.append(ev({ payload }));
      const [back] = await sink.query({ event_id: stored.event_id });
      assert.ok(isPyFloat(back!.payload.ratio));
      assert.equal(back!.payload.big, 9007199254740993n);
      assert.equal(back!.payload.text, payload.text);
      assert.equal(back!.hash, stored.hash);
      assert.deepEqual(verifyChain([back!]), []);
    });
  });

  t("stores every one of many concurrent appends, each chain intact", async () => {
    await withSink(make, {}, async (sink) => {
      const tasks = [TASK_A, TASK_B, "33333333-3333-4333-8333-333333333333"];
      const results = await Promise.all(
        Array.from(
          { length: 150 },
          (_, i) => sink.append(ev({ task_id: tasks[i % 3]!, payload: { i } })),
        ),
      );
      assert.equal(new Set(results.map((r) => r.event_id)).size, 150);
      assert.equal(await sink.count(), 150);
      for (const task of tasks) {
        const trace = await sink.query({ trace_id: task });
        assert.equal(trace.length, 50);
        assert.deepEqual(verifyChain(trace), []);
      }
    });
  });

  t("closes idempotently and refuses appends afterwards", async () => {
    const dir = await Deno.makeTempDir({ prefix: "zu-sink-" });
    try {
      const sink = await make({ dir });
      const pending = sink.append(ev());
      await sink.close();
      assert.match((await pending).hash!, /^[0-9a-f]{64}$/);
      await sink.close();
      await sink[Symbol.asyncDispose]();
      await assert.rejects(sink.append(ev()), /closed/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
