import { equal, ok, throws } from "node:assert/strict";
import { UserError } from "../core/errors.ts";
import { OPERATOR_ONLY_KEYS } from "../core/operator_only_keys.ts";
import { parseBundle } from "./bundle.ts";

Deno.test("a bundle carrying secrets, bindings, a vault or credentials is refused", () => {
  for (const key of OPERATOR_ONLY_KEYS) {
    const text = JSON.stringify({
      task: "q",
      model: null,
      moves: [],
      observations: {},
      [key]: { GH: "env:GITHUB_TOKEN" },
    });
    throws(() => parseBundle(text, "capture.json"), (e: unknown) => {
      ok(e instanceof UserError, String(e));
      equal(e.code, "bundle_invalid");
      equal(
        e.message,
        `Cannot load bundle "capture.json": "${key}" is refused: secret bindings come from the operator only (--secret/--bind or the operator config file ~/.config/zu/vault.json), never from an agent file or a bundle`,
      );
      return true;
    });
  }
  equal(parseBundle('{"task": "q", "model": null, "moves": [], "observations": {}}').task, "q");
});
