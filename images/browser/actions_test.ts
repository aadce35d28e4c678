import assert from "node:assert/strict";
import { actionToWire, InvalidActionError, MAX_ACTIONS, validateActions } from "./actions.ts";

Deno.test("validateActions accepts every verb with value and near, and wait_ms", () => {
  const wire = [
    { click: "text=Buy", near: "Widget" },
    { fill: "#q", value: "shoes" },
    { select: "select#size", value: "L" },
    { wait_for: ".done" },
    { wait_ms: 250 },
  ];
  const actions = validateActions(wire);
  assert.deepEqual(actions[0], { verb: "click", selector: "text=Buy", near: "Widget" });
  assert.deepEqual(actions[4], { verb: "wait_ms", ms: 250 });
  assert.deepEqual(actions.map(actionToWire), wire);
  assert.deepEqual(validateActions(undefined), []);
  assert.deepEqual(validateActions(null), []);
});

Deno.test("validateActions rejects stray keys, two verbs, bad types and too many actions", () => {
  const bad: unknown[] = [
    "click",
    [{ click: "#a", onclick: "x" }],
    [{ click: "#a", fill: "#b" }],
    [{ wait_ms: 5, click: "#a" }],
    [{ wait_ms: -1 }],
    [{ wait_ms: 1e9 }],
    [{ click: "" }],
    [{ click: 3 }],
    [{ fill: "#a" }],
    [{ click: "#a", value: 3 }],
    [{}],
    [null],
    Array.from({ length: MAX_ACTIONS + 1 }, () => ({ wait_ms: 1 })),
  ];
  for (const value of bad) {
    assert.throws(
      () => validateActions(value),
      InvalidActionError,
      JSON.stringify(value)?.slice(0, 60),
    );
  }
  try {
    validateActions([{ click: "#a", script: "alert(1)" }]);
  } catch (e) {
    assert.equal((e as InvalidActionError).blocked, "invalid_action");
    assert.match((e as Error).message, /unexpected key "script"/);
  }
});
