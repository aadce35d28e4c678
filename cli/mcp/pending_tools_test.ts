// The pending/verdict tools against pending sources (the seam the clearance and approval doors
// fill): listing, hostile text made harmless, 404 falls through, other refusals are one line.
import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import type { PendingItem, PendingSource, PendingVerdict } from "../../core/types.ts";
import { boundedJson } from "./_bounded.ts";
import { pendingTool, verdictTool } from "./_pending_tools.ts";
import { ToolError } from "./_tool.ts";
import { checkArgs } from "./_tool_args.ts";
import type { McpDoors } from "./doors.ts";

const HOSTILE = "evil\u001b[31m.example\u202e\u0000.com";

function source(items: PendingItem[], seen: [string, PendingVerdict][]): PendingSource {
  return {
    list: () => Promise.resolve(items),
    verdict: (id, body) => {
      seen.push([id, body]);
      const item = items.find((i) => i.id === id);
      if (!item) return Promise.resolve({ status: 404, body: { error: "unknown_request" } });
      if (body.host !== item.host || body.port !== item.port || body.run !== item.run) {
        return Promise.resolve({
          status: 409,
          body: { error: "tuple_mismatch", message: "the run, host or port differs\nsecond line" },
        });
      }
      return Promise.resolve({ status: 200, body: { decided: body.action } });
    },
  };
}

function doors(sources: PendingSource[]): McpDoors {
  return {
    // No event log: zu pending's answer when .zu/events.db does not exist.
    cli: () =>
      Promise.resolve({
        code: 2,
        stdout: JSON.stringify({
          ok: false,
          status: "error",
          error: { message: 'Cannot open event log ".zu/events.db": the file does not exist' },
        }),
        stderr: "",
      }),
    run: () => Promise.reject(new Error("not used")),
    openLog: () => Promise.reject(new Error("not used")),
    pendingSources: () => Promise.resolve(sources),
  };
}

const ITEM: PendingItem = {
  id: "req-1",
  kind: "clearance",
  run: "run-1",
  host: HOSTILE,
  port: 443,
  summary: `run-1 asks for ${HOSTILE}:443`,
};

Deno.test("pending lists each source's items once, with the verdicts they take, harmless", async () => {
  const seen: [string, PendingVerdict][] = [];
  const ctx = {
    doors: doors([source([ITEM], seen), source([ITEM], seen)]),
    signal: new AbortController().signal,
  };
  const out = await pendingTool.call({}, ctx) as { pending: Record<string, unknown>[] };
  equal(out.pending.length, 1);
  deepStrictEqual(out.pending[0]!.verdicts, ["allow", "deny"]);
  const text = boundedJson(out);
  const raw = [...text].filter((c) => {
    const n = c.codePointAt(0)!;
    return (n < 0x20 && c !== "\n") || n === 0x202e;
  });
  deepStrictEqual(raw, [], text);
  ok(text.includes("evil\\\\u{1b}[31m.example"), text);
});

Deno.test("verdict goes to the source that issued the id; a mismatch is one line", async () => {
  const seen: [string, PendingVerdict][] = [];
  const other = source([], seen);
  const ctx = { doors: doors([other, source([ITEM], seen)]), signal: new AbortController().signal };
  const args = checkArgs("verdict", verdictTool.args, {
    id: "req-1",
    action: "allow",
    run: "run-1",
    host: HOSTILE,
    port: 443,
    scope: "run",
  });
  ok(args.ok);
  const r = await verdictTool.call(args.args, ctx) as Record<string, unknown>;
  equal(r.applied, true);
  deepStrictEqual(r.answer, { decided: "allow" });
  equal(seen.length, 2); // the first source said 404, the second applied it
  deepStrictEqual(seen[1]![1], {
    action: "allow",
    by: "mcp",
    run: "run-1",
    host: HOSTILE,
    port: 443,
    scope: "run",
  });
  await rejects(
    verdictTool.call({ id: "req-1", action: "allow", run: "run-1", host: "x", port: 443 }, ctx),
    (err) => err instanceof ToolError && err.message === "verdict: the run, host or port differs",
  );
  await rejects(
    verdictTool.call({ id: "nobody", action: "deny" }, ctx),
    (err) =>
      err instanceof ToolError &&
      /^verdict: no pending clearance has id "nobody"$/.test(err.message),
  );
  await rejects(
    verdictTool.call({ id: "nobody", action: "approve" }, ctx),
    (err) =>
      err instanceof ToolError &&
      /^verdict: no pending approval has id "nobody"$/.test(err.message),
  );
});

Deno.test("arguments: types, enums, bounds and unknown names are one line each", () => {
  const bad = (raw: unknown) => {
    const r = checkArgs("verdict", verdictTool.args, raw);
    ok(!r.ok);
    return r.message;
  };
  equal(bad([]), "verdict: arguments must be an object");
  equal(bad({ action: "allow" }), 'verdict: missing argument "id"');
  equal(bad({ id: "a", action: "allow", port: 0 }), 'verdict: argument "port" must be at least 1');
  equal(
    bad({ id: "a", action: "allow", port: 1.5 }),
    'verdict: argument "port" must be an integer',
  );
  equal(
    bad({ id: "a", action: "allow", scope: "ever" }),
    'verdict: argument "scope" must be one of: once, run, persist',
  );
  equal(
    bad({ id: "x".repeat(201), action: "allow" }),
    'verdict: argument "id" is longer than 200 characters',
  );
  const hostile = bad({ id: "a", action: "allow", ["\u001b".repeat(1000)]: 1 });
  ok(hostile.startsWith("verdict: unknown argument"), hostile);
  ok(hostile.length < 600 && !hostile.includes("\u001b"), hostile);
});
