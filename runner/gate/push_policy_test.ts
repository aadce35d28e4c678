import { deepEqual, equal, ok } from "node:assert/strict";
import type { RepoGrant } from "../../core/repo_grant.ts";
import { parsePushCommands } from "./push_commands.ts";
import { judgePush } from "./push_policy.ts";

const Z = "0".repeat(40);
const A = "a".repeat(40);
const B = "b".repeat(40);
const GRANT: RepoGrant = {
  name: "app",
  access: "push",
  branches: ["agent/*", "main"],
  force: false,
  main: false,
  tags: false,
};

function pkt(line: string): string {
  return (new TextEncoder().encode(line).length + 4).toString(16).padStart(4, "0") + line;
}

Deno.test("parsePushCommands reads every ref update and refuses what is not one", () => {
  const body = pkt(`${Z} ${A} refs/heads/agent/x\0report-status\n`) +
    pkt(`${A} ${B} refs/heads/agent/y\n`) + "0000PACK...";
  const r = parsePushCommands(new TextEncoder().encode(body));
  ok("commands" in r);
  deepEqual(r.commands.map((c) => c.ref), ["refs/heads/agent/x", "refs/heads/agent/y"]);
  deepEqual(r.capabilities, ["report-status"]);
  for (
    const bad of [
      "",
      "0000",
      "zzzz",
      pkt("push-cert\0x\n") + "0000",
      pkt(`${Z} ${A} HEAD\n`) + "0000",
    ]
  ) {
    ok("error" in parsePushCommands(new TextEncoder().encode(bad)), JSON.stringify(bad));
  }
});

Deno.test("judgePush refuses main, tags, deletions, other refs and branches outside the grant", () => {
  equal(judgePush(GRANT, { old: Z, new: A, ref: "refs/heads/agent/x" }), null);
  ok(judgePush(GRANT, { old: Z, new: A, ref: "refs/heads/main" })?.includes("main: true"));
  equal(judgePush({ ...GRANT, main: true }, { old: Z, new: A, ref: "refs/heads/main" }), null);
  ok(judgePush(GRANT, { old: Z, new: A, ref: "refs/tags/v1" })?.includes("tags: true"));
  ok(judgePush(GRANT, { old: A, new: Z, ref: "refs/heads/agent/x" })?.includes("force: true"));
  equal(judgePush({ ...GRANT, force: true }, { old: A, new: Z, ref: "refs/heads/agent/x" }), null);
  ok(judgePush(GRANT, { old: Z, new: A, ref: "refs/notes/x" }) !== null);
  ok(judgePush(GRANT, { old: Z, new: A, ref: "refs/heads/feature" })?.includes("outside"));
  ok(judgePush({ ...GRANT, access: "read" }, { old: Z, new: A, ref: "refs/heads/agent/x" }));
});
