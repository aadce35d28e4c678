import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { GIT_GATE_DROPPED, GIT_GATE_FORWARDED } from "../core/events.ts";
import { openSink } from "../sinks/open_sink.ts";
import { sinkConfigForPath } from "../sinks/open_sink.ts";
import { GitLab, makeGatedRepo } from "../runner/gate/gate_lab_test_util.ts";
import { GateTokens, startGateServer } from "../runner/gate/mod.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("zu gate add, pending, diff, forward and drop review what a run pushed and log the decisions", async () => {
  const lab = new GitLab(await Deno.makeTempDir({ prefix: "zu-gate-cli-" }));
  const root = await makeGatedRepo(lab, []);
  const zu = async (...args: string[]) => {
    const io = captureIo({ cwd: lab.dir, env: { ZU_GATE_DIR: root } });
    const code = await main(args, io);
    return { code, out: io.stdoutText(), err: io.stderrText() };
  };
  const added = await zu("gate", "add", "app", "upstream.git");
  equal(added.code, 0, added.err);
  ok(added.out.includes("default branch main"), added.out);
  equal((await zu("gate", "add", "../x", "upstream.git")).code, 2);
  const marker = join(lab.dir, "EXT_RAN");
  const ext = await zu("gate", "add", "evil", `ext::sh -c touch% ${marker}`);
  equal(ext.code, 2, ext.out + ext.err);
  ok(ext.err.includes("give a repository path or a URL"), ext.err);
  ok(!existsSync(join(root, "repos", "evil.git")), "no mirror is left");
  ok(!existsSync(marker), "no command transport ran");
  const tokens = new GateTokens();
  await using gate = startGateServer({ root, tokens });
  const run = "3f2a6c1e-0000-4000-8000-000000000001";
  const token = await tokens.mint(run, {
    name: "app",
    access: "push",
    branches: ["agent/*"],
    force: false,
    main: false,
    tags: false,
  });
  await lab.ok(["clone", "-q", `${gate.url}/app.git`, "w"], { token });
  lab.write("w/README.md", "hello, fixed\n");
  await lab.ok(["commit", "-qam", "Fix the greeting\u001b]0;owned\u0007"], { cwd: "w" });
  for (const b of ["agent/one", "agent/two"]) {
    await lab.ok(["push", "-q", "origin", `HEAD:refs/heads/${b}`], { cwd: "w", token });
  }
  const pending = await zu("gate", "pending", "--json");
  deepEqual(JSON.parse(pending.out).map((p: { branch: string }) => p.branch), [
    "agent/one",
    "agent/two",
  ]);
  const diff = await zu("gate", "diff", "app", "agent/one");
  ok(diff.out.includes("Fix the greeting") && diff.out.includes("+hello, fixed"), diff.out);
  ok(
    !diff.out.includes("\u001b") && diff.out.includes("\\u{1b}]0;owned"),
    "escapes are shown, not sent",
  );
  const db = join(lab.dir, "events.db");
  equal((await zu("gate", "forward", "app", "agent/one", "--db", db)).code, 0);
  equal((await zu("gate", "drop", "app", "agent/two", "--db", db)).code, 0);
  equal((await zu("gate", "pending")).out, "No branch waits in the gate\n");
  const upstream = await lab.ok([
    "--git-dir",
    join(lab.dir, "upstream.git"),
    "log",
    "-1",
    "--format=%s",
    "agent/one",
  ]);
  ok(upstream.startsWith("Fix the greeting"), upstream);
  ok(
    (await lab.git(["--git-dir", join(lab.dir, "upstream.git"), "rev-parse", "agent/two"])).code !==
      0,
  );
  const sink = await openSink(sinkConfigForPath(db), { dir: lab.dir, mode: "read" });
  try {
    const events = await sink.query({ task_id: run });
    deepEqual(events.map((e) => e.type), [GIT_GATE_FORWARDED, GIT_GATE_DROPPED]);
    equal((events[0]!.payload.refs as Array<{ ref: string }>)[0]!.ref, "refs/heads/agent/one");
  } finally {
    await sink[Symbol.asyncDispose]();
    await Deno.remove(lab.dir, { recursive: true });
  }
});
