import assert from "node:assert/strict";
import { maskUrlPassword } from "./mask_url.ts";

Deno.test("maskUrlPassword hides the password of every URL and leaves the rest", () => {
  assert.equal(
    maskUrlPassword("a postgres://zu:p%40ss@127.0.0.1:5432/zu b postgresql://u:x@h/d"),
    "a postgres://zu:***@127.0.0.1:5432/zu b postgresql://u:***@h/d",
  );
  assert.equal(maskUrlPassword("postgres://zu@/zu?host=/tmp/s"), "postgres://zu@/zu?host=/tmp/s");
  assert.equal(
    maskUrlPassword("postgres://h/d?user=u&password=pw&x=1"),
    "postgres://h/d?user=u&password=***&x=1",
  );
  assert.equal(maskUrlPassword("/var/zu/events.db"), "/var/zu/events.db");
  // A password holding "@" (unencoded) is masked up to the last "@" before the host.
  assert.ok(!maskUrlPassword("postgres://zu:a@b@h/d").includes("a@b"));
});
