// `zu run` end to end with a gated repository: a jailed run of a scripted coding agent whose
// `shell` (served on the host, in a git sandbox on the gate's leg) clones, fixes a file and
// pushes a branch; `zu gate pending` shows it, `zu gate forward` puts it upstream, and the event
// log holds the push and the forward on the run's trace.
import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { buildGitRuntimeImage } from "../backends/docker/git_image.ts";
import { RUNTIME_IMAGE } from "../backends/docker/image_build.ts";
import { openDockerClient } from "../backends/docker/docker_client.ts";
import { GIT_GATE_FORWARDED, GIT_GATE_PUSHED } from "../core/events.ts";
import { gitImageMissing, GitLab, makeGatedRepo } from "../runner/gate/gate_lab_test_util.ts";
import { openSink, sinkConfigForPath } from "../sinks/open_sink.ts";
import { dockerTest } from "../testing/docker.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const IMAGE = `zu-gate-git-test:${Date.now().toString(36)}r`;
const COMMAND = "cd /tmp && git clone -q $ZU_GATE_URL/app.git app && cd app && " +
  "echo 'hello, fixed' > README.md && " +
  "git -c user.name=agent -c user.email=agent@example.test commit -qam 'Fix the greeting' && " +
  "git push -q origin HEAD:refs/heads/agent/fix-greeting && echo pushed";

dockerTest(
  "zu run gives a declared repository to the agent's shell and zu gate forwards its push",
  async () => {
    const lab = new GitLab(await Deno.makeTempDir({ prefix: "zu-gate-run-" }));
    const docker = await openDockerClient();
    try {
      const root = await makeGatedRepo(lab, ["app"]);
      await buildGitRuntimeImage({ baseTag: RUNTIME_IMAGE, tag: IMAGE });
      Deno.mkdirSync(join(lab.dir, "agent"));
      Deno.writeTextFileSync(
        join(lab.dir, "agent", "agent.yaml"),
        [
          "provider:",
          "  name: scripted",
          "  script:",
          `    - {tool: shell, args: {command: ${JSON.stringify(COMMAND)}}}`,
          `    - {text: '{"ok": true}'}`,
          "tiers: {1: [shell]}",
          "repos: [{name: app, access: push, branches: ['agent/*']}]",
          "task: {query: fix the greeting}",
          "",
        ].join("\n"),
      );
      const env = { ...Deno.env.toObject(), ZU_GATE_DIR: root, ZU_GATE_IMAGE: IMAGE };
      const zu = async (...args: string[]) => {
        const io = captureIo({ cwd: lab.dir, env });
        const code = await main(args, io);
        return { code, out: io.stdoutText(), err: io.stderrText() };
      };
      const run = await zu("run", "agent", "--no-track");
      equal(run.code, 0, run.out + run.err);
      ok(run.out.includes("status: success"), run.out);
      const pending = await zu("gate", "pending", "--json");
      const [p] = JSON.parse(pending.out) as Array<{ branch: string; run: string }>;
      equal(p?.branch, "agent/fix-greeting");
      equal((await zu("gate", "forward", "app", "agent/fix-greeting")).code, 0);
      const upstream = await lab.ok([
        "--git-dir",
        join(lab.dir, "upstream.git"),
        "log",
        "-1",
        "--format=%s",
        "agent/fix-greeting",
      ]);
      equal(upstream.trim(), "Fix the greeting");
      const sink = await openSink(sinkConfigForPath(join(lab.dir, ".zu", "events.db")), {
        dir: lab.dir,
        mode: "read",
      });
      try {
        const types = (await sink.query({ task_id: p!.run })).map((e) => e.type);
        ok(types.includes(GIT_GATE_PUSHED) && types.includes(GIT_GATE_FORWARDED), types.join(" "));
      } finally {
        await sink[Symbol.asyncDispose]();
      }
    } finally {
      await docker.getImage(IMAGE).remove({ force: true }).catch(() => {});
      await Deno.remove(lab.dir, { recursive: true });
    }
  },
  { hostMissing: gitImageMissing() },
);
