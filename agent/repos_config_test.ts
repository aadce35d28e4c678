import { deepEqual, rejects } from "node:assert/strict";
import { join } from "node:path";
import { UserError } from "../core/errors.ts";
import { loadAgentConfig } from "./config.ts";

const BASE = "provider:\n  name: scripted\n";

async function load(extra: string) {
  const dir = await Deno.makeTempDir({ prefix: "zu_repos_" });
  try {
    await Deno.writeTextFile(join(dir, "agent.yaml"), BASE + extra);
    return await loadAgentConfig(join(dir, "agent.yaml"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("agent.yaml repos: reads each grant with its defaults", async () => {
  const cfg = await load(
    "repos:\n  - {name: app, access: push, branches: [agent/*]}\n  - {name: docs}\n",
  );
  deepEqual(cfg.repos, [
    { name: "app", access: "push", branches: ["agent/*"], force: false, main: false, tags: false },
    { name: "docs", access: "read", branches: [], force: false, main: false, tags: false },
  ]);
  deepEqual((await load("")).repos, []);
});

Deno.test("agent.yaml repos: refuses each mistake in one line naming the key", async () => {
  for (
    const [yaml, msg] of [
      ["repos: {name: app}\n", /repos must be a list/],
      ["repos: [{name: ../etc}]\n", /repos\[0\]\.name "\.\.\/etc" is not a repository name/],
      ["repos: [{name: app, access: write}]\n", /repos\[0\]\.access must be one of/],
      ["repos: [{name: app, access: push}]\n", /repos\[0\]\.branches is required/],
      ["repos: [{name: app, branches: [refs/heads/x]}]\n", /repos\[0\]\.branches\[0\]/],
      ["repos: [{name: app, forse: true}]\n", /repos\[0\]\.forse is not a repos key/],
      ["repos: [{name: app}, {name: app}]\n", /listed twice/],
      ["repos: [{name: app, force: yes-please}]\n", /repos\[0\]\.force must be true or false/],
    ] as const
  ) {
    await rejects(load(yaml), (e: unknown) => e instanceof UserError && msg.test(e.message));
  }
});
