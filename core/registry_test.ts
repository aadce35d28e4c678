import assert from "node:assert/strict";
import { Registry } from "./registry.ts";

Deno.test("Registry refuses a name registered twice", () => {
  const r = new Registry<number>("tools");
  r.register("a", 1);
  assert.throws(
    () => r.register("a", 2),
    /Cannot register tools "a": the name is already registered/,
  );
  assert.equal(r.get("a"), 1);
});

Deno.test("Registry names the known entries when a lookup misses", () => {
  const r = new Registry<number>("detectors").register("empty", 1).register("error", 2);
  assert.throws(
    () => r.get("emty"),
    /Unknown detectors "emty": known detectors are "empty", "error"/,
  );
  assert.deepEqual(r.names(), ["empty", "error"]);
  assert.ok(r.has("error") && !r.has("x"));
});
