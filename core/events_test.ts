import assert from "node:assert/strict";
import { formatTs, isEventType, newEvent, TASK_STARTED, withFields } from "./events.ts";

Deno.test("newEvent applies zu's defaults and freezes the event", () => {
  const e = newEvent({ task_id: "11111111-1111-4111-8111-111111111111", type: TASK_STARTED });
  assert.equal(e.trace_id, e.task_id);
  assert.equal(e.parent_id, null);
  assert.equal(e.source, "loop");
  assert.deepEqual(e.payload, {});
  assert.equal(e.schema_version, 1);
  assert.equal(e.hash, null);
  assert.match(e.event_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(e.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/);
  assert.ok(Object.isFrozen(e));
  assert.throws(() => {
    (e as { type: string }).type = "data.x";
  }, TypeError);
});

Deno.test("newEvent rejects a type outside harness. and data.", () => {
  for (const type of ["custom.x", "harness.", "Harness.task", "", "data"]) {
    assert.throws(() => newEvent({ task_id: "t", type }), TypeError, type);
  }
  assert.ok(isEventType("data.source.fetched"));
});

Deno.test("newEvent rejects a payload that is not an object", () => {
  assert.throws(
    () =>
      newEvent({
        task_id: "t",
        type: TASK_STARTED,
        payload: [] as unknown as Record<string, unknown>,
      }),
    /payload must be a JSON object/,
  );
});

Deno.test("newEvent uses the injected clock and id seams", () => {
  const e = newEvent({ task_id: "t", type: TASK_STARTED }, {
    now: () => new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678)),
    uuid: () => "00000000-0000-4000-8000-000000000000",
  });
  assert.equal(e.event_id, "00000000-0000-4000-8000-000000000000");
  assert.ok(e.ts.startsWith("2030-01-02T03:04:05.678"));
});

Deno.test("formatTs writes Pydantic's form and omits a zero fraction", () => {
  assert.equal(formatTs(new Date(Date.UTC(2026, 2, 14, 9, 26, 10))), "2026-03-14T09:26:10Z");
  assert.equal(
    formatTs(new Date(Date.UTC(2026, 2, 14, 9, 26, 53, 589)), 589793),
    "2026-03-14T09:26:53.589793Z",
  );
});

Deno.test("timestamps from the default clock strictly increase", () => {
  const ts = Array.from({ length: 50 }, () => newEvent({ task_id: "t", type: TASK_STARTED }).ts);
  for (let i = 1; i < ts.length; i++) assert.ok(ts[i]! > ts[i - 1]!, `${ts[i]} > ${ts[i - 1]}`);
});

Deno.test("withFields returns a frozen copy and leaves the original unchanged", () => {
  const e = newEvent({ task_id: "t", type: TASK_STARTED });
  const linked = withFields(e, { hash: "ab" });
  assert.equal(e.hash, null);
  assert.equal(linked.hash, "ab");
  assert.ok(Object.isFrozen(linked));
});
