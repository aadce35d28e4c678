import * as oldC from "/tmp/h13/old_core/canonical_json.ts";
import * as oldJ from "/tmp/h13/old_core/json.ts";
import { newEvent } from "/tmp/h13/old_core/events.ts";
import * as newC from "../core/canonical_json.ts";
import * as newJ from "../core/json.ts";
const payload = { url: "https://example.com/a?b=c", status: 200, headers: { "content-type": "text/html", "x-é": "ü" }, items: [1, 2.5, "x", null, true, { k: "v", "ünï": [1, 2, 3] }], text: "Hello wörld ".repeat(20) };
const ev = newEvent({ task_id: "t1", type: "harness.tool.invoked", payload });
const evs = Array.from({ length: 200 }, (_, i) => ({ ...ev, event_id: `id-${i}`, payload: { ...payload, i } }));
const evText = evs.map((e) => newJ.toZuJson(e as never));
for (const [name, c, j] of [["old", oldC, oldJ], ["new", newC, newJ]] as const) {
  Deno.bench(`${name} canonicalJson`, { group: "canon" }, () => { for (const e of evs) c.canonicalJson(e); });
  Deno.bench(`${name} pythonJsonDumps`, { group: "dumps" }, () => { for (const e of evs) c.pythonJsonDumps(e, { sortKeys: true }); });
  Deno.bench(`${name} toZuJson`, { group: "tozu" }, () => { for (const e of evs) j.toZuJson(e as never); });
  Deno.bench(`${name} zuJson`, { group: "zu" }, () => { for (const e of evs) j.zuJson(e); });
  Deno.bench(`${name} parseEventJson`, { group: "parse" }, () => { for (const t of evText) j.parseEventJson(t); });
}
// equality
for (const e of evs) {
  if (oldC.canonicalJson(e) !== newC.canonicalJson(e)) throw new Error("canon differs");
  if (oldJ.toZuJson(e as never) !== newJ.toZuJson(e as never)) throw new Error("tozu differs");
  if (oldJ.zuJson(e) !== newJ.zuJson(e)) throw new Error("zu differs");
}
