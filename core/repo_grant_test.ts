import { equal, ok } from "node:assert/strict";
import { branchAllowed, checkBranchPattern, checkRepoName } from "./repo_grant.ts";

Deno.test("checkRepoName accepts plain names and refuses path tricks", () => {
  for (const good of ["app", "app.core", "a-b_c", "0x"]) equal(checkRepoName(good), null, good);
  for (
    const bad of [
      "",
      "../app",
      "a/b",
      "a..b",
      ".app",
      "-app",
      "App",
      "app.git",
      "x.lock",
      "a b",
      "a%2fb",
      "a\0",
      "a".repeat(65),
      7,
    ]
  ) ok(checkRepoName(bad) !== null, String(bad));
});

Deno.test("branchAllowed matches * within a segment and ** across, and nothing malformed", () => {
  ok(branchAllowed(["agent/*"], "agent/fix"));
  ok(!branchAllowed(["agent/*"], "agent/a/b"));
  ok(branchAllowed(["agent/**"], "agent/a/b"));
  ok(!branchAllowed(["agent/*"], "main"));
  ok(!branchAllowed(["*"], "../main"));
  ok(!branchAllowed(["a.b"], "axb"), "a dot is literal");
  ok(!branchAllowed(["*"], "*"));
  ok(checkBranchPattern("refs/heads/x") !== null);
  ok(checkBranchPattern("a/../b") !== null);
  equal(checkBranchPattern("fix/*"), null);
});
