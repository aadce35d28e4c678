import { deepStrictEqual, ok } from "node:assert/strict";
import { verifyChain } from "../core/chain.ts";
import { parseJson, zuJson } from "../core/json.ts";
import type { Event } from "../core/events.ts";
import { runScenario } from "../testing/run_scenario.ts";
import { dirName, loopScenarioDirs } from "./_compat_test_util.ts";

/** Plain JSON (PyFloat -> number) so results compare with expected.json. */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? Number(x) : x)));
}

function shape(events: Event[]) {
  const index = new Map(events.map((e, i) => [e.event_id, i]));
  return events.map((e) => ({
    type: e.type,
    source: e.source,
    parent_index: e.parent_id === null ? null : index.get(e.parent_id) ?? -1,
    payload: plain(e.payload),
  }));
}

const dirs = loopScenarioDirs();

Deno.test("the compat loop vectors are present", () => {
  ok(dirs.length > 0, "no scenario found under the compat loop folder");
});

for (const dir of dirs) {
  const name = dirName(dir);
  Deno.test(`runTask reproduces zu's result and events for compat scenario ${name}`, async () => {
    const expected = parseJson(
      await Deno.readTextFile(new URL("expected.json", dir)),
    ) as Record<string, unknown>;
    const first = await runScenario(dir);
    const second = await runScenario(dir);
    deepStrictEqual(plain(first.result), plain(expected.result));
    deepStrictEqual(first.events.map((e) => e.type), expected.event_types);
    deepStrictEqual(shape(first.events), plain(expected.events));
    deepStrictEqual(second.events.map((e) => e.type), first.events.map((e) => e.type));
    deepStrictEqual(plain(second.result), plain(first.result));
    deepStrictEqual(verifyChain(first.events), []);
  });
}

for (const dir of dirs) {
  const name = dirName(dir);
  Deno.test(`runTask writes payloads byte-identical to zu's events.jsonl for ${name}`, async (t) => {
    let text: string;
    try {
      text = await Deno.readTextFile(new URL("events.jsonl", dir));
    } catch {
      await t.step({ name: "no events.jsonl", ignore: true, fn: () => {} });
      return;
    }
    const theirs = text.split("\n").filter((l) => l !== "").map((l) =>
      zuJson((parseJson(l) as { payload: unknown }).payload)
    );
    const { events } = await runScenario(dir);
    deepStrictEqual(events.map((e) => zuJson(e.payload)), theirs);
  });
}
