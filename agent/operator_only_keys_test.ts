import { equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { UserError } from "../core/errors.ts";
import { OPERATOR_ONLY_KEYS } from "../core/operator_only_keys.ts";
import { loadAgentConfig } from "./config.ts";

const BASE = `provider:
  name: scripted
task:
  query: Find the price
`;

const REASON =
  "is refused: secret bindings come from the operator only (--secret/--bind or the operator config file ~/.config/zu/vault.json), never from an agent file or a bundle";

Deno.test("an agent file that names secrets, bindings, a vault or credentials is refused with one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_agent_" });
  try {
    for (const key of OPERATOR_ONLY_KEYS) {
      for (
        const [name, text] of [
          ["agent.yaml", `${BASE}${key}:\n  GH: env:GITHUB_TOKEN\n`],
          [
            "agent.json",
            JSON.stringify({ provider: { name: "scripted" }, task: { query: "q" }, [key]: [] }),
          ],
        ]
      ) {
        const file = join(dir, name!);
        await Deno.writeTextFile(file, text!);
        await rejects(loadAgentConfig(file), (e: unknown) => {
          ok(e instanceof UserError, String(e));
          equal(e.code, "config_invalid");
          equal(e.message, `Cannot load agent "${file}": ${key} ${REASON}`);
          return true;
        });
      }
    }
    // the same file without the key loads
    await Deno.writeTextFile(join(dir, "agent.yaml"), BASE);
    equal((await loadAgentConfig(join(dir, "agent.yaml"))).provider.name, "scripted");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
