import { deepEqual, equal } from "node:assert/strict";
import type { PendingSource } from "../../core/types.ts";
import { combinePendingSources, EMPTY_PENDING_SOURCE, parseVerdict } from "./pending_source.ts";

Deno.test("combinePendingSources lists all and routes a verdict to the source that knows the id", async () => {
  const one = (id: string, kind: "clearance" | "approval"): PendingSource => ({
    list: () => Promise.resolve([{ id, kind, run: "r" }]),
    verdict: (got) =>
      Promise.resolve(
        got === id ? { status: 200, body: { by: kind } } : { status: 404, body: null },
      ),
  });
  const both = combinePendingSources([
    one("c", "clearance"),
    one("a", "approval"),
    EMPTY_PENDING_SOURCE,
  ]);
  deepEqual((await both.list()).map((i) => i.id), ["c", "a"]);
  deepEqual(await both.verdict("a", { action: "approve", by: "t" }), {
    status: 200,
    body: { by: "approval" },
  });
  equal((await both.verdict("zz", { action: "deny", by: "t" })).status, 404);
});

Deno.test("parseVerdict accepts the known fields only and sets who decided", () => {
  deepEqual(parseVerdict({ action: "deny", run: "r", reason: "no" }, "serve"), {
    verdict: { action: "deny", run: "r", reason: "no", by: "serve" },
  });
  for (
    const [body, error] of [
      [null, "bad_request"],
      [[], "bad_request"],
      [{}, "bad_action"],
      [{ action: "ALLOW" }, "bad_action"],
      [{ action: "allow", port: 1.5 }, "bad_request"],
      [{ action: "allow", port: 70000 }, "bad_request"],
      [{ action: "allow", reason: "x".repeat(1001) }, "bad_request"],
      [{ action: "allow", extra: 1 }, "bad_request"],
    ] as const
  ) {
    const got = parseVerdict(body, "serve");
    equal("error" in got ? got.error : "ok", error, JSON.stringify(body));
  }
});
