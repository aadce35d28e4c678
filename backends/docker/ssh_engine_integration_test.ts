// DOCKER_HOST=ssh:// for real: a throwaway sshd on 127.0.0.1 (testing/test_sshd.ts) whose
// logins run `docker system dial-stdio` against this host's daemon, reached by LocalDockerBackend
// through the host's `ssh` with the fixture's key and known_hosts (ZU_DOCKER_SSH_CONFIG).
// Launch, exec with stdin (the hijacked attach through the ssh pipe), the zu-session exec session
// (its raw attach), destroy and the reaper; then the faults: a known_hosts with another key or
// none (host key checking is on by default), no sshd on the port, a remote without `docker` on
// PATH, each one `docker_ssh` line, and the ssh connection killed mid-exec; nothing left behind
// (containers, ssh processes, temp files). One sshd for the file.
import assert from "node:assert/strict";
import { dockerTest } from "../../testing/docker.ts";
import { startTestSshd, testSshdMissing } from "../../testing/test_sshd.ts";
import { parseDockerEndpoint } from "./docker_endpoint.ts";
import { openDockerEndpoint } from "./open_docker_endpoint.ts";
import { LocalDockerBackend } from "./local_docker_backend.ts";
import { ZuError } from "../../core/errors.ts";
import { ATTACK_IMAGE, RUNTIME_IMAGE } from "./image_build.ts";

const runId = (p: string) => `ssh-${p}-${crypto.randomUUID().slice(0, 8)}`;

async function zuLeftovers(run: string): Promise<number> {
  const main = await openDockerEndpoint({ kind: "unix", socketPath: "/var/run/docker.sock" });
  const filters = JSON.stringify({ label: [`zu.run=${run}`] });
  const containers = await main.listContainers({ all: true, filters });
  const networks = await main.listNetworks({ filters });
  const volumes = (await main.listVolumes({ filters })).Volumes ?? [];
  return containers.length + networks.length + volumes.length;
}

/** Our own `ssh` children still running (by parent pid). */
async function sshChildren(): Promise<number[]> {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${e.name}/stat`);
      const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
      if (m?.[1] === "ssh" && Number(m[2]) === Deno.pid) out.push(Number(e.name));
    } catch {
      // gone
    }
  }
  return out;
}

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (error) {
    assert.ok(error instanceof ZuError, `a ZuError, got ${error}`);
    assert.equal(error.message.split("\n").length, 1, "one line");
    return { code: error.code, message: error.message };
  }
  throw new Error("expected a rejection");
}

dockerTest(
  "a Docker engine through ssh://: lifecycle, then host key, no sshd, no docker",
  async (t) => {
    const tmpBefore = new Set([...Deno.readDirSync("/tmp")].map((e) => e.name));
    await using sshd = await startTestSshd();
    const endpoint = parseDockerEndpoint((n) => sshd.env[n]);
    assert.deepEqual(endpoint, sshd.endpoint, "DOCKER_HOST + ZU_DOCKER_SSH_CONFIG parse to it");

    await t.step("launch, exec with stdin, zu-session, destroy, reap", async () => {
      const run = runId("life");
      await using backend = new LocalDockerBackend({ endpoint });
      const box = await backend.launch({ image: ATTACK_IMAGE, runId: run, workspace: true });
      const r = await backend.execEntrypoint(box, ["sh", "-c", "cat; echo $((6*7))"], {
        stdin: "over-ssh\n",
        timeoutMs: 20_000,
      });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout, "over-ssh\n42\n");
      await backend.destroy(box);
      assert.equal(await zuLeftovers(run), 0, "destroy removed the container and its volume");

      const s1 = await backend.launch({ image: RUNTIME_IMAGE, runId: run });
      const s = await backend.session(s1);
      const blob = crypto.getRandomValues(new Uint8Array(65536));
      await s.writeFile("/tmp/blob", blob);
      assert.deepEqual(await s.readFile("/tmp/blob"), blob, "64 KiB both ways through ssh");
      const echo = await s.run({
        argv: [
          "/usr/local/bin/deno",
          "eval",
          "console.log(await new Response(Deno.stdin.readable).text())",
        ],
        stdin: "through-the-session",
        timeoutMs: 20_000,
      });
      assert.equal(echo.stdout, "through-the-session\n", echo.stderr);
      await backend.launch({ image: ATTACK_IMAGE, runId: run });
      const report = await backend.reapLeaked({ runId: run });
      assert.equal(report.containers.length, 2, `reaped ${JSON.stringify(report)}`);
      assert.equal(await zuLeftovers(run), 0, "the reaper left nothing");
    });

    await t.step(
      "a known_hosts with another key, or none, for the server: docker_ssh",
      async () => {
        for (
          const [config, said] of [
            [sshd.wrongConfigFile, /Host key verification failed/],
            [sshd.unknownConfigFile, /No \S+ host key is known for|Host key verification failed/],
          ] as const
        ) {
          const env: Record<string, string> = { ...sshd.env, ZU_DOCKER_SSH_CONFIG: config };
          const run = runId("hostkey");
          await using backend = new LocalDockerBackend({
            endpoint: parseDockerEndpoint((n) => env[n]),
          });
          const e = await codeOf(backend.launch({ image: ATTACK_IMAGE, runId: run }));
          assert.equal(e.code, "docker_ssh");
          assert.match(e.message, /host key is not the one in known_hosts/);
          assert.match(e.message, said);
          assert.equal(await zuLeftovers(run), 0);
        }
      },
    );

    await t.step("no sshd on the port: docker_ssh naming the address", async () => {
      const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (l.addr as Deno.NetAddr).port;
      l.close();
      const env: Record<string, string> = {
        ...sshd.env,
        DOCKER_HOST: `ssh://root@127.0.0.1:${port}`,
      };
      await using backend = new LocalDockerBackend({
        endpoint: parseDockerEndpoint((n) => env[n]),
      });
      const e = await codeOf(backend.launch({ image: ATTACK_IMAGE, runId: runId("down") }));
      assert.equal(e.code, "docker_ssh");
      assert.match(
        e.message,
        new RegExp(`ssh://root@127\\.0\\.0\\.1:${port} .*no SSH server answers`),
      );
    });

    await t.step("a remote without docker on PATH: docker_ssh saying so", async () => {
      await using bare = await startTestSshd({ remotePath: "/nonexistent" });
      await using backend = new LocalDockerBackend({ endpoint: bare.endpoint });
      const e = await codeOf(backend.launch({ image: ATTACK_IMAGE, runId: runId("nodocker") }));
      assert.equal(e.code, "docker_ssh");
      assert.match(e.message, /no "docker" command on the PATH/);
    });

    await t.step("ssh killed mid-exec: one clear error, the sandbox still destroyed", async () => {
      const run = runId("drop");
      await using backend = new LocalDockerBackend({ endpoint });
      const box = await backend.launch({ image: ATTACK_IMAGE, runId: run });
      const exec = backend.execEntrypoint(box, ["sh", "-c", "sleep 30"], { timeoutMs: 25_000 });
      exec.catch(() => {});
      const main = await openDockerEndpoint({ kind: "unix", socketPath: "/var/run/docker.sock" });
      let running = false;
      for (let i = 0; i < 200 && !running; i++) {
        const top = await main.getContainer(box.id).top().catch(() => ({ Processes: [] }));
        running = (top.Processes ?? []).some((p: string[]) => p.join(" ").includes("sleep 30"));
        if (!running) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(running, "the exec started");
      for (const pid of await sshChildren()) Deno.kill(pid, "SIGKILL");
      const e = await codeOf(exec);
      assert.equal(e.code, "docker_connection_lost", e.message);
      assert.match(e.message, /at ssh:\/\/root@127\.0\.0\.1:\d+ dropped mid-call/);
      await backend.destroy(box);
      assert.equal(await zuLeftovers(run), 0, "destroy went through a new ssh connection");
    });

    await t.step("nothing left behind: no ssh process, no temp file", async () => {
      assert.deepEqual(await sshChildren(), [], "every ssh child exited");
      await sshd.stop();
      const left = [...Deno.readDirSync("/tmp")].map((e) => e.name).filter((n) =>
        !tmpBefore.has(n) && n.startsWith("zu-test-sshd-")
      );
      assert.deepEqual(left, []);
    });
  },
  { hostMissing: testSshdMissing() },
);
