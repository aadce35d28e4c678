// The run's wiring: a HostToolExecutor (what serves a jailed run's `shell`) for an agent that
// declares `repos:` opens the run's gate, its leg and a git sandbox on first use; the agent's
// commands clone and push through it, the gate's events reach the run's writer, and closing the
// executor revokes the token and removes the sandbox, proxy and network.
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { loadAgentConfig } from "../../agent/config.ts";
import { GIT_GATE_PUSHED } from "../../core/events.ts";
import { LocalDockerBackend } from "../../backends/docker/local_docker_backend.ts";
import { buildGitRuntimeImage } from "../../backends/docker/git_image.ts";
import { RUNTIME_IMAGE } from "../../backends/docker/image_build.ts";
import { dockerTest } from "../../testing/docker.ts";
import { HostToolExecutor } from "../host_tools.ts";
import { gitImageMissing, GitLab, makeGatedRepo } from "./gate_lab_test_util.ts";
import { listPending } from "./gate_repos.ts";

const IMAGE = `zu-gate-git-test:${Date.now().toString(36)}h`;

dockerTest(
  "a run that declares repos gets a gated shell sandbox from the host tool executor",
  async () => {
    const lab = new GitLab(await Deno.makeTempDir({ prefix: "zu-gate-host-" }));
    const root = await makeGatedRepo(lab, ["app"]);
    const agentDir = join(lab.dir, "agent");
    Deno.mkdirSync(agentDir);
    Deno.writeTextFileSync(
      join(agentDir, "agent.yaml"),
      [
        "provider: {name: scripted}",
        "plugins: {tools: [shell]}",
        "repos: [{name: app, access: push, branches: ['agent/*']}]",
        "task: {query: fix the greeting}",
        "",
      ].join("\n"),
    );
    const config = await loadAgentConfig(agentDir, { env: () => undefined });
    await using backend = new LocalDockerBackend();
    const docker = await backend.client();
    await buildGitRuntimeImage({ baseTag: RUNTIME_IMAGE, tag: IMAGE });
    const events: Array<[string, string]> = [];
    const env: Record<string, string> = { ZU_GATE_DIR: root, ZU_GATE_IMAGE: IMAGE };
    const run = crypto.randomUUID();
    const executor = new HostToolExecutor(config, {
      env: (k) => env[k],
      backend,
      preflight: () => Promise.resolve(null),
      onGateEvent: (r, type) => events.push([r, type]),
    });
    let id = 0;
    const shell = async (command: string) => {
      const r = await executor.call({
        zu_jail: "tool_call",
        id: ++id,
        tool: "shell",
        args: { command },
        trace_id: run,
      });
      ok(r.observation, JSON.stringify(r));
      return r.observation as { exit_code: number; stdout: string; stderr: string };
    };
    try {
      const url = await shell("env | grep -c '^GIT_CONFIG_KEY_0=http.http://127.0.0.1:'");
      equal(url.stdout.trim(), "1", JSON.stringify(url));
      const gateUrl = (await shell("echo $GIT_CONFIG_KEY_0")).stdout.trim()
        .replace(/^http\./, "").replace(/\.extraHeader$/, "");
      const cloned = await shell(
        `cd /tmp && git clone -q ${gateUrl} app && cd app && echo 'hello, fixed' > README.md && ` +
          "git -c user.name=agent -c user.email=a@example.test commit -qam fix && " +
          "git push -q origin HEAD:refs/heads/agent/fix",
      );
      equal(cloned.exit_code, 0, JSON.stringify(cloned));
      deepEqual((await listPending(root, "app")).map((p) => [p.run, p.branch]), [[
        run,
        "agent/fix",
      ]]);
      ok(events.some(([r, t]) => r === run && t === GIT_GATE_PUSHED), JSON.stringify(events));
    } finally {
      await executor.close();
      await docker.getImage(IMAGE).remove({ force: true }).catch(() => {});
      await Deno.remove(lab.dir, { recursive: true });
    }
    const left = await docker.listNetworks({ filters: { label: [`zu.run=${run}`] } });
    equal(left.length, 0, "the leg's network is removed");
  },
  { hostMissing: gitImageMissing() },
);
