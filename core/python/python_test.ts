import { equal } from "node:assert/strict";
import { pyDumps, pyLen, pyRepr, pyStrScalar, uuid5 } from "./mod.ts";
import { PyFloat } from "../json.ts";

Deno.test("uuid5 matches Python's uuid.uuid5", () => {
  // uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
  equal(
    uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org"),
    "886313e1-3b8a-5372-9b90-0c9aee199e5d",
  );
});

Deno.test("the compat idempotency key of s01 is reproduced", () => {
  const name = `1:lookup:${pyDumps({ q: "café hours" }, { sortKeys: true })}`;
  equal(name, '1:lookup:{"q": "caf\\u00e9 hours"}');
  equal(
    uuid5("9a9478d2-04bb-58e1-8fb1-9c43e19a9f1b", name),
    "a52039ce-abe5-5aec-acab-4e3cd15505ac",
  );
});

Deno.test("pyLen counts code points and pyRepr / pyStrScalar follow Python", () => {
  equal(pyLen("🍵é"), 2);
  equal(pyRepr({ a: [true, null, "it's"] }), `{'a': [True, None, "it's"]}`);
  equal(pyStrScalar(new PyFloat(4)), "4.0");
  equal(pyStrScalar(0.5), "0.5");
  equal(pyStrScalar(true), null);
});

Deno.test("pyReprString escapes what Python does not print", () => {
  equal(pyRepr("a\u2028b\x00\u00a0é"), "'a\\u2028b\\x00\\xa0é'");
  equal(pyRepr('say "hi"'), `'say "hi"'`);
  equal(pyRepr(`it's "x"`), `'it\\'s "x"'`);
});
