// The CLI against a remote engine for real: a second dockerd on 127.0.0.1 over TLS
// (testing/second_dockerd.ts) named by DOCKER_HOST=tcp:// + DOCKER_TLS_VERIFY + DOCKER_CERT_PATH.
// `zu doctor` and `zu sandbox doctor` report the endpoint; `zu sandbox exec`, `snapshot` and `gc`
// work on it; `zu run --sandboxed` is refused before anything is made; a wrong CA is one line;
// and a child `zu sandbox exec` needs only `--allow-net=127.0.0.1:<port>` and read of the three
// TLS files (no Docker socket). One daemon for the file.
import { equal, match, ok } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";
import { HELLO_AGENT } from "./_test_agents.ts";
import { dockerTest } from "../testing/docker.ts";
import { secondDockerdMissing, startSecondDockerd } from "../testing/second_dockerd.ts";
import { endpointGrants } from "../backends/docker/docker_endpoint.ts";
import { LocalDockerBackend } from "../backends/docker/local_docker_backend.ts";
import { ATTACK_IMAGE } from "../backends/docker/image_build.ts";
import { makeCa } from "../testing/test_pki.ts";

dockerTest("zu doctor, zu sandbox exec/snapshot/gc on a remote engine over TLS", async (t) => {
  const d = await startSecondDockerd({ images: [ATTACK_IMAGE] });
  const dir = await Deno.makeTempDir({ prefix: "zu-remote-cli-" });
  const env = { ...d.env, NO_COLOR: "1" };
  const zu = async (args: string[], extra: Record<string, string> = {}) => {
    const io = captureIo({ cwd: dir, env: { ...env, ...extra } });
    const code = await main(args, io);
    return { code, out: io.stdoutText(), err: io.stderrText() };
  };
  try {
    await t.step("zu doctor and zu sandbox doctor report the endpoint and the engine", async () => {
      const doc = await zu(["doctor"]);
      match(doc.out, new RegExp(`docker endpoint +tcp 127\\.0\\.0\\.1:${d.port}, TLS on`));
      match(
        doc.out,
        new RegExp(
          `daemon at tcp://127\\.0\\.0\\.1:${d.port} \\(TLS, verified\\) answers \\(Engine 20`,
        ),
      );
      const sd = await zu(["sandbox", "doctor"]);
      match(sd.out, /endpoint +tcp 127\.0\.0\.1:\d+, TLS on/);
      match(sd.out, /ok +daemon +answers/);
      match(sd.out, /zu-attack:0\.1\.0 present/);
    });

    await t.step("zu sandbox exec runs on the remote engine", async () => {
      const r = await zu([
        "sandbox",
        "exec",
        ATTACK_IMAGE,
        "--",
        "sh",
        "-c",
        "echo remote-$((6*7))",
      ]);
      equal(r.code, 0, r.err);
      equal(r.out, "remote-42\n");
      const left = await d.docker.listContainers({ all: true });
      equal(left.length, 0, "the exec's sandbox is gone");
    });

    await t.step(
      "zu sandbox snapshot captures a remote workspace; zu sandbox gc --run reaps",
      async () => {
        const runId = `remote-cli-${crypto.randomUUID().slice(0, 8)}`;
        await using backend = new LocalDockerBackend({ endpoint: d.endpoint });
        const box = await backend.launch({ image: ATTACK_IMAGE, runId, workspace: true });
        await backend.execEntrypoint(box, ["sh", "-c", "echo kept > /workspace/k"]);
        const snap = await zu(["sandbox", "snapshot", box.name, "--dir", `${dir}/snaps`]);
        equal(snap.code, 0, snap.err);
        match(snap.out, /^snap_[0-9a-f-]+\n$/);
        const ls = await zu(["sandbox", "ls", "--dir", `${dir}/snaps`]);
        ok(ls.out.includes(snap.out.trim()), ls.out);
        const gc = await zu(["sandbox", "gc", "--run", runId], { ZU_SNAPSHOT_DIR: `${dir}/snaps` });
        equal(gc.code, 0, gc.err);
        match(gc.out, /^removed 1 container\(s\), \d+ network\(s\), 1 workspace volume\(s\)/);
        const filters = JSON.stringify({ label: [`zu.run=${runId}`] });
        equal((await d.docker.listContainers({ all: true, filters })).length, 0);
        equal(((await d.docker.listVolumes({ filters })).Volumes ?? []).length, 0);
      },
    );

    await t.step(
      "zu run --sandboxed is refused on a remote engine before anything is made",
      async () => {
        await Deno.writeTextFile(`${dir}/agent.yaml`, HELLO_AGENT);
        const r = await zu(["run", "--sandboxed", ".", "--db", "events.db"]);
        equal(r.code, 2, r.err);
        const lines = r.err.trim().split("\n");
        equal(lines.length, 1, r.err);
        match(
          lines[0]!,
          /^error: Cannot run contained on the remote Docker engine at tcp:\/\/127\.0\.0\.1:\d+ .*contained runs need a local engine.*unset DOCKER_HOST/,
        );
        equal((await d.docker.listContainers({ all: true })).length, 0);
        equal((await d.docker.listNetworks()).filter((n) => n.Labels?.["zu.run"]).length, 0);
        await Deno.lstat(`${dir}/events.db`).then(
          () => ok(false, "no event log"),
          () => {},
        );
      },
    );

    await t.step("a CA that did not sign the daemon's certificate: one line, exit 2", async () => {
      const other = await makeCa(`${dir}/other`, "other-ca");
      await Deno.mkdir(`${dir}/wrong`);
      await Deno.copyFile(other.certPath, `${dir}/wrong/ca.pem`);
      await Deno.copyFile(`${d.certDir}/cert.pem`, `${dir}/wrong/cert.pem`);
      await Deno.copyFile(`${d.certDir}/key.pem`, `${dir}/wrong/key.pem`);
      const r = await zu(["sandbox", "exec", ATTACK_IMAGE, "--", "true"], {
        DOCKER_CERT_PATH: `${dir}/wrong`,
      });
      equal(r.code, 2);
      match(
        r.err,
        /^error: Cannot reach the Docker daemon: TLS with the Docker daemon at tcp:\/\/127\.0\.0\.1:\d+ \(TLS, verified\) failed: its certificate is not signed by the CA in DOCKER_CERT_PATH's ca\.pem/,
      );
      equal(r.err.trim().split("\n").length, 1);
      const doc = await zu(["doctor"], { DOCKER_CERT_PATH: `${dir}/wrong` });
      match(doc.out, /fail +docker +Cannot reach the Docker daemon: TLS/);
      // Refused while parsing: nothing is dialled.
      const bad = await zu(["sandbox", "gc"], {
        DOCKER_HOST: "tcp://10.9.9.9:2375",
        DOCKER_TLS_VERIFY: "",
      });
      equal(bad.code, 2);
      match(bad.err, /^error: Invalid DOCKER_HOST="tcp:\/\/10\.9\.9\.9:2375": plain TCP/);
    });

    await t.step(
      "a child zu needs only host:port and the TLS files, no Docker socket",
      async () => {
        const g = endpointGrants(d.endpoint);
        const root = new URL("../", import.meta.url).pathname;
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--no-prompt",
            "--allow-env",
            `--allow-net=${g.net.join(",")}`,
            `--allow-read=${[...g.read, root, dir].join(",")}`,
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
          env: { ...env, HOME: dir },
          clearEnv: true,
          stdout: "piped",
          stderr: "piped",
        }).output();
        const err = new TextDecoder().decode(out.stderr);
        equal(out.code, 0, err);
        equal(new TextDecoder().decode(out.stdout), "child-ok\n");
        ok(!g.net.some((n) => n.startsWith("unix:")), "no socket grant");
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await d.stop();
  }
}, { hostMissing: secondDockerdMissing() });
