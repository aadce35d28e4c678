import { deepEqual, equal, ok } from "node:assert/strict";
import { PlaceholderSet } from "./placeholder.ts";
import {
  decodeBasic,
  findInHeaders,
  findPlaceholders,
  PlaceholderStreamScanner,
} from "./placeholder_scan.ts";

function setup() {
  const set = new PlaceholderSet();
  const a = set.add("A", 40);
  const b = set.add("B");
  return { set, a, b };
}

const forms = (hits: { form: string }[]) => hits.map((h) => h.form).sort();

Deno.test("findPlaceholders finds raw, percent (any case, partial, twice) and JSON-escaped forms", () => {
  const { set, a } = setup();
  deepEqual(forms(findPlaceholders(`x${a}y`, set)), ["raw"]);
  equal(findPlaceholders(a.replaceAll("_", "%5f"), set)[0]!.form, "percent");
  equal(findPlaceholders(a.replaceAll("_", "%5F").replace("u", "%75"), set)[0]!.form, "percent");
  equal(
    findPlaceholders(a.replaceAll("_", "%255F"), set).some((h) => h.form === "percent+percent"),
    true,
  );
  equal(findPlaceholders(a.replaceAll("_", "\\u005F"), set)[0]!.form, "json");
  equal(findPlaceholders(a.replaceAll("_", "%5Cu005f"), set)[0]!.form, "percent+json");
  equal(findPlaceholders(a.replaceAll("_", "\\u00255f"), set)[0]!.form, "json+percent");
  equal(findPlaceholders(a.replaceAll("_", "-"), set).length, 0);
});

Deno.test("findPlaceholders finds base64 in any alignment and either alphabet", () => {
  const { set, a } = setup();
  for (const pre of ["", "x", "xy"]) {
    const b64 = btoa(`${pre}${a}!?>`);
    ok(findPlaceholders(b64, set).some((h) => h.form === "base64"), pre);
    const url = b64.replaceAll("+", "-").replaceAll("/", "_");
    ok(findPlaceholders(url, set).some((h) => h.form === "base64"), pre);
  }
});

Deno.test("findPlaceholders reports each secret once per form and nothing in unrelated text", () => {
  const { set, a, b } = setup();
  const hits = findPlaceholders(`${a} ${a} ${b}`, set);
  deepEqual(hits.map((h) => h.secret).sort(), ["A", "B"]);
  equal(findPlaceholders("zu_ph_A_notarealone and more", set).length, 0);
  equal(findPlaceholders(new TextEncoder().encode(`..${b}..`), set)[0]!.secret, "B");
});

Deno.test("findInHeaders decodes a Basic credential (standard or url-safe)", () => {
  const { set, a } = setup();
  const hits = findInHeaders([["Authorization", `Basic ${btoa(`user:${a}`)}`]], set);
  ok(hits.some((h) => h.form === "basic" && h.secret === "A"));
  equal(decodeBasic("basic  dTpw"), "u:p");
  equal(decodeBasic("Bearer x"), null);
});

Deno.test("PlaceholderStreamScanner finds a placeholder split at every byte, in every form", () => {
  const { set, a } = setup();
  const enc = new TextEncoder();
  for (const text of [a, a.replaceAll("_", "%5F"), a.replaceAll("_", "\\u005f")]) {
    const bytes = enc.encode(`{"k":"${text}"}`);
    for (let cut = 1; cut < bytes.length; cut++) {
      const s = new PlaceholderStreamScanner(set);
      const first = s.push(bytes.subarray(0, cut));
      const second = s.push(bytes.subarray(cut));
      equal(first.length + second.length, 1, `cut ${cut}`);
    }
  }
  // three pieces, and a long gap of filler between
  const s = new PlaceholderStreamScanner(set);
  s.push(enc.encode("x".repeat(5000) + a.slice(0, 3)));
  s.push(enc.encode(a.slice(3, 10)));
  equal(s.push(enc.encode(a.slice(10))).length, 1);
  equal(s.hits.length, 1);
});
