// The CLI through DOCKER_HOST=ssh:// for real: a throwaway sshd on 127.0.0.1
// (testing/test_sshd.ts) whose logins run `docker system dial-stdio` against this host's daemon,
// with the fixture's key and known_hosts named by ZU_DOCKER_SSH_CONFIG. `zu doctor` reports the
// endpoint and the engine; `zu sandbox exec` and `zu sandbox gc --run` (the reaper) work through
// it; `zu run --sandboxed` is refused before anything is made; a changed host key is one line;
// and a child `zu sandbox exec` needs only `--allow-run=ssh` (no socket, no net). One sshd.
import { equal, match, ok } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";
import { HELLO_AGENT } from "./_test_agents.ts";
import { dockerTest } from "../testing/docker.ts";
import { startTestSshd, testSshdMissing } from "../testing/test_sshd.ts";
import { endpointPermissionFlags } from "../backends/docker/docker_endpoint.ts";
import { LocalDockerBackend } from "../backends/docker/local_docker_backend.ts";
import { openDockerEndpoint } from "../backends/docker/open_docker_endpoint.ts";
import { ATTACK_IMAGE } from "../backends/docker/image_build.ts";

dockerTest(
  "zu doctor, zu sandbox exec/gc through ssh://; refusals and a child's grants",
  async (t) => {
    await using sshd = await startTestSshd();
    const local = await openDockerEndpoint({ kind: "unix", socketPath: "/var/run/docker.sock" });
    const dir = await Deno.makeTempDir({ prefix: "zu-ssh-cli-" });
    const env = { ...sshd.env, NO_COLOR: "1" };
    const zu = async (args: string[], extra: Record<string, string> = {}) => {
      const io = captureIo({ cwd: dir, env: { ...env, ...extra } });
      const code = await main(args, io);
      return { code, out: io.stdoutText(), err: io.stderrText() };
    };
    const where = `ssh://root@127\\.0\\.0\\.1:${sshd.port}`;
    try {
      await t.step("zu doctor reports the ssh endpoint and the engine behind it", async () => {
        const doc = await zu(["doctor"]);
        match(doc.out, new RegExp(`docker endpoint +${where} through the host's ssh \\(config `));
        match(doc.out, new RegExp(`daemon at ${where} answers \\(Engine \\d+`));
      });

      await t.step("zu sandbox exec runs through ssh; zu sandbox gc --run reaps", async () => {
        const r = await zu([
          "sandbox",
          "exec",
          ATTACK_IMAGE,
          "--",
          "sh",
          "-c",
          "echo ssh-$((6*7))",
        ]);
        equal(r.code, 0, r.err);
        equal(r.out, "ssh-42\n");
        const runId = `ssh-cli-${crypto.randomUUID().slice(0, 8)}`;
        await using backend = new LocalDockerBackend({ endpoint: sshd.endpoint });
        await backend.launch({ image: ATTACK_IMAGE, runId });
        const gc = await zu(["sandbox", "gc", "--run", runId]);
        equal(gc.code, 0, gc.err);
        match(gc.out, /^removed 1 container\(s\)/);
        const filters = JSON.stringify({ label: [`zu.run=${runId}`] });
        equal((await local.listContainers({ all: true, filters })).length, 0);
      });

      await t.step(
        "zu run --sandboxed is refused on an ssh:// engine before anything is made",
        async () => {
          await Deno.writeTextFile(`${dir}/agent.yaml`, HELLO_AGENT);
          const r = await zu(["run", "--sandboxed", ".", "--db", "events.db"]);
          equal(r.code, 2, r.err);
          equal(r.err.trim().split("\n").length, 1, r.err);
          match(
            r.err,
            new RegExp(
              `^error: Cannot run contained on the remote Docker engine at ${where}: contained runs need a local engine`,
            ),
          );
          await Deno.lstat(`${dir}/events.db`).then(() => ok(false, "no event log"), () => {});
        },
      );

      await t.step(
        "a changed host key: one docker_ssh line, exit 2; zu doctor says it",
        async () => {
          const wrong = { ZU_DOCKER_SSH_CONFIG: sshd.wrongConfigFile };
          const r = await zu(["sandbox", "exec", ATTACK_IMAGE, "--", "true"], wrong);
          equal(r.code, 2);
          equal(r.err.trim().split("\n").length, 1, r.err);
          match(
            r.err,
            new RegExp(
              `^error: Cannot reach the Docker daemon at ${where} through ssh: the SSH server's host key is not the one in known_hosts`,
            ),
          );
          const doc = await zu(["doctor"], wrong);
          match(doc.out, /fail +docker +Cannot reach the Docker daemon at ssh:.*host key/);
        },
      );

      await t.step("a child zu needs only --allow-run=ssh to reach the engine", async () => {
        const flags = endpointPermissionFlags(sshd.endpoint);
        equal(flags.join(" "), "--allow-run=ssh");
        const root = new URL("../", import.meta.url).pathname;
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--no-prompt",
            "--allow-env",
            ...flags,
            `--allow-read=${root},${dir}`,
            `--allow-write=${dir}`,
            `${root}cli/main.ts`,
            "sandbox",
            "exec",
            ATTACK_IMAGE,
            "--",
            "echo",
            "child-ok",
          ],
          cwd: dir,
          env: { ...env, HOME: dir, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
          clearEnv: true,
          stdout: "piped",
          stderr: "piped",
        }).output();
        const err = new TextDecoder().decode(out.stderr);
        equal(out.code, 0, err);
        equal(new TextDecoder().decode(out.stdout), "child-ok\n");
      });
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
  { hostMissing: testSshdMissing() },
);
