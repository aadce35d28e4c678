import { equal, ok } from "node:assert/strict";
import { Interrupted, ProviderUnavailable, UserError } from "./errors.ts";
import { newEvent, TASK_COMPLETED, TASK_STARTED, TASK_TERMINAL, TURN_STARTED } from "./events.ts";
import { failureEvent } from "./failure_event.ts";

const start = (task: string) => newEvent({ task_id: task, type: TASK_STARTED, payload: {} });

Deno.test("failureEvent ends the last started run with the error's code and message", () => {
  const first = start("t1");
  const done = newEvent({ task_id: "t1", type: TASK_COMPLETED, payload: {} });
  const second = start("t2");
  const turn = newEvent({ task_id: "t2", type: TURN_STARTED, payload: { step: 1 } });
  const end = failureEvent([first, done, second, turn], new ProviderUnavailable("Cannot: down"));
  ok(end !== null);
  equal(end.type, TASK_TERMINAL);
  equal(end.task_id, "t2");
  equal(end.trace_id, second.trace_id);
  equal(end.parent_id, second.event_id);
  equal(end.payload.reason, "error:provider_unavailable");
  equal(end.payload.error, "Cannot: down");
  equal(
    failureEvent([start("t3")], new UserError("key_missing", "x"))?.payload.reason,
    "error:key_missing",
  );
});

Deno.test("failureEvent writes nothing for a bug, a run that ended, or no run", () => {
  const s = start("t1");
  equal(failureEvent([s], new TypeError("bug")), null);
  equal(
    failureEvent(
      [s, newEvent({ task_id: "t1", type: TASK_TERMINAL, payload: {} })],
      new Interrupted(),
    ),
    null,
  );
  equal(
    failureEvent(
      [s, newEvent({ task_id: "t1", type: TASK_COMPLETED, payload: {} })],
      new Interrupted(),
    ),
    null,
  );
  equal(failureEvent([], new Interrupted()), null);
});
