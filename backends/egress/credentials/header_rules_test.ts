import { deepEqual, equal, throws } from "node:assert/strict";
import {
  applyInject,
  dropHopHeaders,
  parseInjectTemplate,
  renderTemplate,
  substituteHeaders,
} from "./header_rules.ts";
import { PlaceholderSet } from "./placeholder.ts";

Deno.test("parseInjectTemplate reads the name, the value and the secrets it names", () => {
  const t = parseInjectTemplate("Authorization: Bearer {{secret:GH}}");
  equal(t.name, "Authorization");
  equal(t.value, "Bearer {{secret:GH}}");
  deepEqual(t.secrets, ["GH"]);
  deepEqual(parseInjectTemplate("x-key: {{ secret:K }}-{{secret:K}}").secrets, ["K"]);
});

Deno.test("parseInjectTemplate refuses templates that name no secret or an unsettable header", () => {
  throws(() => parseInjectTemplate("Authorization: Bearer abc"), SyntaxError);
  throws(() => parseInjectTemplate("no colon {{secret:A}}"), SyntaxError);
  throws(() => parseInjectTemplate("Host: {{secret:A}}"), SyntaxError);
  throws(() => parseInjectTemplate("Proxy-Authorization: {{secret:A}}"), SyntaxError);
});

Deno.test("applyInject replaces every same-named header case-insensitively, in the first one's place", () => {
  const t = parseInjectTemplate("Authorization: Bearer {{secret:GH}}");
  const out = applyInject(
    [["accept", "*/*"], ["AUTHORIZATION", "a"], ["x", "1"], ["authorization", "b"]],
    [t],
    new Map([["GH", "v"]]),
  );
  deepEqual(out, [["accept", "*/*"], ["Authorization", "Bearer v"], ["x", "1"]]);
  deepEqual(applyInject([], [t], new Map([["GH", "v"]])), [["Authorization", "Bearer v"]]);
});

Deno.test("renderTemplate refuses a value with a line break (header injection)", () => {
  const t = parseInjectTemplate("X-Key: {{secret:K}}");
  throws(() => renderTemplate(t, new Map([["K", "a\r\nEvil: 1"]])), RangeError);
  throws(() => renderTemplate(t, new Map()), RangeError);
});

Deno.test("substituteHeaders swaps only the given secrets' placeholders, in values and Basic", () => {
  const set = new PlaceholderSet();
  const a = set.add("A");
  const b = set.add("B");
  const r = substituteHeaders(
    [
      ["Authorization", `Basic ${btoa(`user:${a}`)}`],
      ["X-A", `token ${a}`],
      ["X-B", b],
    ],
    set,
    new Map([["A", "real-a"]]),
  );
  deepEqual(r.headers, [
    ["Authorization", `Basic ${btoa("user:real-a")}`],
    ["X-A", "token real-a"],
    ["X-B", b],
  ]);
  deepEqual([...r.used], ["A"]);
});

Deno.test("dropHopHeaders removes proxy and hop-by-hop headers and those Connection names", () => {
  deepEqual(
    dropHopHeaders([
      ["Proxy-Authorization", "Basic x"],
      ["Connection", "keep-alive, X-Drop"],
      ["x-drop", "1"],
      ["Transfer-Encoding", "chunked"],
      ["Accept", "a"],
    ]),
    [["Accept", "a"]],
  );
});
