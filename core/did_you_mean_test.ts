import { equal } from "node:assert/strict";
import { closestName, didYouMean, editDistance } from "./did_you_mean.ts";

Deno.test("editDistance counts a swap of neighbours as one edit", () => {
  equal(editDistance("rnu", "run"), 1);
  equal(editDistance("jsno", "json"), 1);
  equal(editDistance("", "abc"), 3);
  equal(editDistance("kitten", "sitting"), 3);
  equal(editDistance("same", "same"), 0);
});

Deno.test("closestName suggests a near key and stays silent for a far one", () => {
  const keys = ["provider", "budget", "task", "plugins", "max_context_chars"];
  equal(closestName("budgt", keys), "budget");
  equal(closestName("Provder", keys), "provider");
  equal(closestName("max_contex_chars", keys), "max_context_chars");
  equal(closestName("tsak", keys), "task");
  equal(closestName("colour", keys), null);
  equal(closestName("x", keys), null);
  equal(closestName("", keys), null);
});

Deno.test("didYouMean formats the suggestion with its prefix, or nothing", () => {
  equal(didYouMean("jsno", ["json", "db"], "--"), ' (did you mean "--json"?)');
  equal(didYouMean("zzzz", ["json", "db"], "--"), "");
});
