// Attacks on the git gate with real git and real HTTP on 127.0.0.1: every step tries the attack
// and shows it fails (and what the canonical log says), against one shared fixture.
import { deepEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { join } from "node:path";
import { GIT_GATE_PUSHED, GIT_GATE_REFUSED } from "../../core/events.ts";
import type { RepoGrant } from "../../core/repo_grant.ts";
import { GitLab, makeGatedRepo } from "./gate_lab_test_util.ts";
import { forwardPending, listPending } from "./gate_repos.ts";
import { startGateServer } from "./gate_server.ts";
import { GateTokens } from "./gate_tokens.ts";

function assertStringIncludes(text: string, part: string): void {
  assert(text.includes(part), `expected ${JSON.stringify(part)} in: ${text}`);
}

const PUSH: RepoGrant = {
  name: "app",
  access: "push",
  branches: ["agent/*"],
  force: false,
  main: false,
  tags: false,
};

Deno.test("the git gate refuses every attack on tokens, refs, hooks, submodules, names and size", async (t) => {
  const lab = new GitLab(await Deno.makeTempDir({ prefix: "zu-gate-" }));
  const root = await makeGatedRepo(lab, ["app", "other"]);
  const events: Array<{ type: string; payload: Record<string, unknown> }> = [];
  const tokens = new GateTokens();
  const gate = startGateServer({
    root,
    tokens,
    onEvent: (type, payload) => events.push({ type, payload }),
    maxRequestBytes: 512 * 1024,
  });
  const url = (name: string) => `${gate.url}/${name}.git`;
  const mirror = join(root, "repos", "app.git");
  const refsOf = async () =>
    (await lab.ok(["--git-dir", mirror, "for-each-ref", "--format=%(refname) %(objectname)"]))
      .trim();
  // A trap: any request here means someone followed a URL planted in pushed content.
  let trapHits = 0;
  const trap = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    trapHits++;
    return new Response("no", { status: 404 });
  });
  const trapUrl = `http://127.0.0.1:${(trap.addr as Deno.NetAddr).port}/evil.git`;
  const run1 = await tokens.mint("run-one", PUSH);
  let run2 = "";
  const headsBefore = await lab.ok(["--git-dir", mirror, "rev-parse", "refs/heads/main"]);

  try {
    await t.step(
      "a run clones with its token and pushes an allowed branch into its namespace only",
      async () => {
        await lab.ok(["clone", "-q", url("app"), "w1"], { token: run1 });
        lab.write("w1/README.md", "hello, fixed\n");
        await lab.ok(["commit", "-qam", "fix readme"], { cwd: "w1" });
        const r = await lab.git(["push", "origin", "HEAD:refs/heads/agent/fix"], {
          cwd: "w1",
          token: run1,
        });
        assertEquals(r.code, 0, r.out);
        const refs = await refsOf();
        assertMatch(refs, /^refs\/namespaces\/run-one\/refs\/heads\/agent\/fix /m);
        assert(!/^refs\/heads\/agent\/fix/m.test(refs), "the mirror's own branches are untouched");
        assertEquals(
          await lab.ok(["--git-dir", mirror, "rev-parse", "refs/heads/main"]),
          headsBefore,
        );
        const pushed = events.find((e) => e.type === GIT_GATE_PUSHED);
        assertEquals(pushed?.payload.run, "run-one");
        assertEquals(
          (pushed?.payload.refs as Array<{ ref: string }>)[0]?.ref,
          "refs/heads/agent/fix",
        );
      },
    );

    await t.step("no token, or a token that was never minted, gets nothing", async () => {
      assert((await lab.git(["ls-remote", url("app")])).code !== 0);
      const forged = `zugate_${"ab".repeat(32)}`;
      const r = await lab.git(["ls-remote", url("app")], { token: forged });
      assert(r.code !== 0);
      const e = events.findLast((e) => e.type === GIT_GATE_REFUSED);
      assertStringIncludes(String(e?.payload.reason), "unknown");
    });

    await t.step("the token used against another repository is refused", async () => {
      const r = await lab.git(["clone", "-q", url("other"), "stolen"], { token: run1 });
      assert(r.code !== 0, r.out);
      assertStringIncludes(r.out, "403");
      const e = events.findLast((e) => e.type === GIT_GATE_REFUSED);
      assertEquals(e?.payload.repo, "other");
      assertEquals(e?.payload.run, "run-one");
    });

    await t.step(
      "pushes outside the allowed branches, to main, of tags, or deleting are refused before git",
      async () => {
        const before = await refsOf();
        for (
          const spec of ["HEAD:refs/heads/feature", "HEAD:refs/heads/main", "HEAD:refs/tags/v1"]
        ) {
          const r = await lab.git(["push", "origin", spec], { cwd: "w1", token: run1 });
          assert(r.code !== 0, `${spec} should be refused: ${r.out}`);
          assertStringIncludes(r.out, "remote rejected");
        }
        const del = await lab.git(["push", "origin", ":refs/heads/agent/fix"], {
          cwd: "w1",
          token: run1,
        });
        assert(del.code !== 0);
        assertStringIncludes(del.out, "force: true");
        assertEquals(await refsOf(), before);
        const refused = events.filter((e) =>
          e.type === GIT_GATE_REFUSED && e.payload.reason === "push policy"
        );
        assertEquals(refused.length, 4);
      },
    );

    await t.step(
      "a history-rewriting (force) push is refused and the branch keeps its commit",
      async () => {
        const before = await lab.ok([
          "--git-dir",
          mirror,
          "rev-parse",
          "refs/namespaces/run-one/refs/heads/agent/fix",
        ]);
        lab.write("w1/README.md", "rewritten\n");
        await lab.ok(["commit", "-q", "--amend", "-am", "rewrite"], { cwd: "w1" });
        const r = await lab.git(["push", "--force", "origin", "HEAD:refs/heads/agent/fix"], {
          cwd: "w1",
          token: run1,
        });
        assert(r.code !== 0, r.out);
        assertEquals(
          await lab.ok([
            "--git-dir",
            mirror,
            "rev-parse",
            "refs/namespaces/run-one/refs/heads/agent/fix",
          ]),
          before,
        );
        const e = events.findLast((e) => e.type === GIT_GATE_REFUSED);
        assertStringIncludes(String(e?.payload.reason), "git refused");
      },
    );

    await t.step("a read-only token cannot push", async () => {
      const reader = await tokens.mint("run-reader", { ...PUSH, access: "read" });
      const r = await lab.git(["push", url("app"), "HEAD:refs/heads/agent/ro"], {
        cwd: "w1",
        token: reader,
      });
      assert(r.code !== 0);
      assertStringIncludes(r.out, "403");
    });

    await t.step(
      "another run's token writes only to its own namespace and never sees run one's pushes",
      async () => {
        run2 = await tokens.mint("run-two", PUSH);
        const ls = await lab.ok(["ls-remote", url("app")], { token: run2 });
        assert(!ls.includes("namespaces"), ls);
        assert(!ls.includes("agent/fix"), ls);
        const id = (await lab.ok([
          "--git-dir",
          mirror,
          "rev-parse",
          "refs/namespaces/run-one/refs/heads/agent/fix",
        ])).trim();
        const adv = await fetch(`${gate.url}/app.git/info/refs?service=git-receive-pack`, {
          headers: { authorization: `Bearer ${run2}` },
        });
        const advertised = await adv.text();
        assert(!advertised.includes(id), "run one's push is not even advertised to run two");
        assert(!advertised.includes("push-cert"), "no signed-push nonce is offered");
        await lab.ok(["init", "-q", "w2"]);
        const byId = await lab.git(["fetch", url("app"), id], { cwd: "w2", token: run2 });
        assert(byId.code !== 0, "an unadvertised commit cannot be fetched by id");
        await lab.ok(["clone", "-q", url("app"), "w3"], { token: run2 });
        lab.write("w3/NEW.md", "two\n");
        await lab.ok(["add", "NEW.md"], { cwd: "w3" });
        await lab.ok(["commit", "-qm", "two"], { cwd: "w3" });
        await lab.ok(["push", "origin", "HEAD:refs/heads/agent/fix"], { cwd: "w3", token: run2 });
        const pending = await listPending(root, "app");
        assertEquals(pending.map((p) => p.run).sort(), ["run-one", "run-two"]);
        assertEquals(
          (await lab.ok([
            "--git-dir",
            mirror,
            "rev-parse",
            "refs/namespaces/run-one/refs/heads/agent/fix",
          ])).trim(),
          id,
        );
      },
    );

    await t.step("after the run ended its token is dead", async () => {
      assertEquals(tokens.revokeRun("run-two"), 1);
      const r = await lab.git(["push", "origin", "HEAD:refs/heads/agent/again"], {
        cwd: "w3",
        token: run2,
      });
      assert(r.code !== 0, r.out);
      assert(!(await refsOf()).includes("agent/again"));
      const e = events.findLast((e) => e.type === GIT_GATE_REFUSED);
      assertStringIncludes(String(e?.payload.reason), "revoked");
      const expired = new GateTokens({ ttlMs: 0 });
      assertEquals(await expired.check(await expired.mint("run-x", PUSH)), null);
    });

    await t.step(
      "hooks in the mirror, set by config or pushed, never run on the host",
      async () => {
        const marker = join(lab.dir, "HOOK_RAN");
        const hook = `#!/bin/sh\ntouch ${marker}\n`;
        const hooksDir = join(lab.dir, "evil-hooks");
        Deno.mkdirSync(hooksDir);
        for (
          const h of [
            "pre-receive",
            "update",
            "post-receive",
            "post-update",
            "reference-transaction",
            "proc-receive",
          ]
        ) {
          Deno.writeTextFileSync(join(mirror, "hooks", h), hook, { mode: 0o755 });
          Deno.writeTextFileSync(join(hooksDir, h), hook, { mode: 0o755 });
        }
        await lab.ok(["--git-dir", mirror, "config", "core.hooksPath", hooksDir]);
        lab.write("w1/hooked.txt", "x\n");
        await lab.ok(["add", "hooked.txt"], { cwd: "w1" });
        await lab.ok(["commit", "-qm", "with hooks"], { cwd: "w1" });
        const r = await lab.git(["push", "origin", "HEAD:refs/heads/agent/hooks"], {
          cwd: "w1",
          token: run1,
        });
        assertEquals(r.code, 0, r.out);
        await forwardPending(root, "app", "agent/hooks");
        let ran = true;
        try {
          Deno.statSync(marker);
        } catch {
          ran = false;
        }
        assert(!ran, "a hook ran on the host");
        await lab.ok(["--git-dir", mirror, "config", "--unset", "core.hooksPath"]);
      },
    );

    await t.step(
      "a tree with .git inside or a .gitmodules with an option URL is refused by fsck",
      async () => {
        const inner = (await new Deno.Command("sh", {
          args: ["-c", `printf 'x' | git hash-object -w --stdin`],
          cwd: join(lab.dir, "w1"),
          stdout: "piped",
        }).output()).stdout;
        const b = new TextDecoder().decode(inner).trim();
        const mk = async (entries: string) =>
          new TextDecoder().decode(
            (await new Deno.Command("sh", {
              args: ["-c", `printf '${entries}' | git mktree`],
              cwd: join(lab.dir, "w1"),
              stdout: "piped",
            }).output()).stdout,
          ).trim();
        const hooks = await mk(`100755 blob ${b}\\tpost-checkout\\n`);
        const dotgitInner = await mk(`040000 tree ${hooks}\\thooks\\n`);
        const evilTree = await mk(`040000 tree ${dotgitInner}\\t.git\\n`);
        const head = (await lab.ok(["rev-parse", "HEAD"], { cwd: "w1" })).trim();
        const c1 =
          (await lab.ok(["commit-tree", evilTree, "-p", head, "-m", "dotgit"], { cwd: "w1" }))
            .trim();
        const r1 = await lab.git(["push", "origin", `${c1}:refs/heads/agent/dotgit`], {
          cwd: "w1",
          token: run1,
        });
        assert(r1.code !== 0, r1.out);
        assertStringIncludes(r1.out, "hasDotgit");
        const gm = (await new Deno.Command("sh", {
          args: [
            "-c",
            `printf '[submodule "x"]\\n\\tpath = x\\n\\turl = --upload-pack=touch${"${IFS}"}${
              join(lab.dir, "SUB_RAN")
            }\\n' | git hash-object -w --stdin`,
          ],
          cwd: join(lab.dir, "w1"),
          stdout: "piped",
        }).output()).stdout;
        const gmTree = await mk(
          `100644 blob ${new TextDecoder().decode(gm).trim()}\\t.gitmodules\\n`,
        );
        const c2 =
          (await lab.ok(["commit-tree", gmTree, "-p", head, "-m", "modules"], { cwd: "w1" }))
            .trim();
        const r2 = await lab.git(["push", "origin", `${c2}:refs/heads/agent/modules`], {
          cwd: "w1",
          token: run1,
        });
        assert(r2.code !== 0, r2.out);
        assertStringIncludes(r2.out, "gitmodulesUrl");
        const refs = await refsOf();
        assert(!refs.includes("agent/dotgit") && !refs.includes("agent/modules"), refs);
      },
    );

    await t.step(
      "a .gitmodules pointing elsewhere is stored but its URL is never fetched by the gate",
      async () => {
        lab.write("w1/.gitmodules", `[submodule "lib"]\n\tpath = lib\n\turl = ${trapUrl}\n`);
        await lab.ok(["add", ".gitmodules"], { cwd: "w1" });
        await lab.ok(["commit", "-qm", "submodule"], { cwd: "w1" });
        const r = await lab.git(["push", "origin", "HEAD:refs/heads/agent/sub"], {
          cwd: "w1",
          token: run1,
        });
        assertEquals(r.code, 0, r.out);
        await forwardPending(root, "app", "agent/sub");
        await lab.ok(["clone", "-q", url("app"), "w4"], { token: run1 });
        assertEquals(trapHits, 0);
      },
    );

    await t.step("path tricks in repository names reach no repository", async () => {
      for (
        const path of [
          "/../other.git/info/refs?service=git-upload-pack",
          "/..%2fother.git/info/refs?service=git-upload-pack",
          "/app.git/../other.git/info/refs?service=git-upload-pack",
          "/APP.git/info/refs?service=git-upload-pack",
          "/app.git/HEAD",
          "/app.git/objects/info/packs",
          "/app.git/info/refs",
          "/%2e%2e.git/info/refs?service=git-upload-pack",
        ]
      ) {
        const res = await fetch(`${gate.url}${path}`, {
          headers: { authorization: `Bearer ${run1}` },
        });
        await res.body?.cancel();
        assert(res.status >= 400, `${path} answered ${res.status}`);
      }
      for (
        const name of [
          "../other",
          "app/../other",
          "x/../../other",
          "-app",
          ".app",
          "a..b",
          "app.git",
          "APP",
        ]
      ) {
        const r = await lab.git(["ls-remote", `${gate.url}/${name}.git`], { token: run1 });
        assert(r.code !== 0, `${name}: ${r.out}`);
      }
    });

    await t.step(
      "a huge push is refused with a clear error and nothing is half-written",
      async () => {
        const count = async () =>
          (await lab.ok(["--git-dir", mirror, "count-objects", "-v"])).replace(/size.*\n/g, "");
        const before = [await count(), await refsOf()];
        const big = crypto.getRandomValues(new Uint8Array(65536));
        const chunks: string[] = [];
        for (let i = 0; i < 16; i++) {
          chunks.push(btoa(String.fromCharCode(...crypto.getRandomValues(big))));
        }
        lab.write("w1/big.bin", chunks.join("\n"));
        await lab.ok(["add", "big.bin"], { cwd: "w1" });
        await lab.ok(["commit", "-qm", "big"], { cwd: "w1" });
        const r = await lab.git(["push", "origin", "HEAD:refs/heads/agent/big"], {
          cwd: "w1",
          token: run1,
        });
        assert(r.code !== 0, r.out);
        assertStringIncludes(r.out, "413");
        assertEquals([await count(), await refsOf()], before);
        const e = events.findLast((e) => e.type === GIT_GATE_REFUSED);
        assertEquals(e?.payload.limit, 512 * 1024);
      },
    );
    await t.step("a push body that never finishes is cut off at the deadline", async () => {
      await using slow = startGateServer({ root, tokens, requestTimeoutMs: 300 });
      const port = Number(new URL(slow.url).port);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        const head = `POST /app.git/git-receive-pack HTTP/1.1\r\nHost: x\r\n` +
          `Authorization: Bearer ${run1}\r\nContent-Type: application/x-git-receive-pack-request\r\n` +
          `Content-Length: 100000\r\n\r\n0000`;
        await conn.write(new TextEncoder().encode(head));
        const buf = new Uint8Array(256);
        const n = await conn.read(buf);
        assertMatch(new TextDecoder().decode(buf.subarray(0, n ?? 0)), /^HTTP\/1\.1 408/);
      } finally {
        conn.close();
      }
    });
  } finally {
    await gate.close();
    await trap.shutdown();
    await Deno.remove(lab.dir, { recursive: true });
  }
});
