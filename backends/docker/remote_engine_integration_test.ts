// A remote engine for real: a second dockerd on 127.0.0.1 over TLS (testing/second_dockerd.ts),
// reached by LocalDockerBackend through DOCKER_HOST=tcp:// + DOCKER_TLS_VERIFY + DOCKER_CERT_PATH.
// Launch, exec with stdin (the hijacked attach), the plain and the zu-session exec sessions, a
// workspace snapshot and restore, and the reaper, all on the second daemon with nothing on the
// main one (zu-attack and zu-runtime are copied into it, the latter for zu-session); then the
// attacks: a daemon certificate from another CA, a certificate for another name, a server that
// does not speak TLS, a client certificate the daemon refuses, no client certificate, and a
// connection dropped mid-exec, each one clear error with nothing left behind on either host.
// One daemon for the whole file (started once, stopped in `finally`).
//
// The SandboxBackend conformance suite (lane contract15, testing/sandbox_conformance.ts) runs
// against the same kind of daemon with one call in its own file:
//   import { makeRemoteBackend, stopSharedSecondDockerd } from "../../testing/second_dockerd.ts";
//   runSandboxBackendConformance("docker over TLS", makeRemoteBackend);
//   Deno.test("stop the second daemon", stopSharedSecondDockerd);
import assert from "node:assert/strict";
import { dockerTest } from "../../testing/docker.ts";
import { secondDockerdMissing, startSecondDockerd } from "../../testing/second_dockerd.ts";
import { issueCert, makeCa, writeDockerCertDir } from "../../testing/test_pki.ts";
import { type DockerEndpoint, parseDockerEndpoint } from "./docker_endpoint.ts";
import { openDockerEndpoint } from "./open_docker_endpoint.ts";
import { LocalDockerBackend } from "./local_docker_backend.ts";
import { plainExecSession } from "./plain_exec_session.ts";
import { SnapshotStore } from "./snapshot_store.ts";
import { ZuError } from "../../core/errors.ts";
import { ATTACK_IMAGE, RUNTIME_IMAGE } from "./image_build.ts";

const runId = (p: string) => `remote-${p}-${crypto.randomUUID().slice(0, 8)}`;

/** Containers, networks and volumes carrying a zu label on a daemon. */
async function zuLeftovers(docker: Awaited<ReturnType<typeof openDockerEndpoint>>, run: string) {
  const filters = JSON.stringify({ label: [`zu.run=${run}`] });
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  return containers.length + networks.length + volumes.length;
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

/** A TCP relay to `port` whose open connections can be cut (the daemon stays up). */
function relay(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  (async () => {
    for await (const inbound of listener) {
      const outbound = await Deno.connect({ hostname: "127.0.0.1", port }).catch(() => null);
      if (!outbound) {
        inbound.close();
        continue;
      }
      open.add(inbound).add(outbound);
      const pipe = (a: Deno.Conn, b: Deno.Conn) =>
        a.readable.pipeTo(b.writable).catch(() => {}).finally(() => {
          for (const c of [a, b]) {
            open.delete(c);
            try {
              c.close();
            } catch {
              // closed
            }
          }
        });
      pipe(inbound, outbound);
      pipe(outbound, inbound);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    cut() {
      const n = open.size;
      for (const c of open) {
        try {
          c.close();
        } catch {
          // closed
        }
      }
      open.clear();
      return n;
    },
    close() {
      this.cut();
      listener.close();
    },
  };
}

dockerTest(
  "a remote engine over TLS: lifecycle, then wrong certificates, no TLS and a drop",
  async (t) => {
    const tmpBefore = new Set([...Deno.readDirSync("/tmp")].map((e) => e.name));
    const links = () => [...Deno.readDirSync("/sys/class/net")].map((e) => e.name).sort();
    const linksBefore = links();
    const main = await openDockerEndpoint({ kind: "unix", socketPath: "/var/run/docker.sock" });
    const d = await startSecondDockerd({ images: [ATTACK_IMAGE, RUNTIME_IMAGE], main });
    const scratch = await Deno.makeTempDir({ prefix: "zu-remote-test-" });
    try {
      const endpoint = parseDockerEndpoint((n) => d.env[n]);
      assert.deepEqual(
        endpoint,
        d.endpoint,
        "DOCKER_HOST/TLS_VERIFY/CERT_PATH parse to the daemon",
      );

      await t.step(
        "launch, exec with stdin, plain session, snapshot and restore, reap",
        async () => {
          const run = runId("life");
          const store = new SnapshotStore(`${scratch}/snapshots`);
          await using backend = new LocalDockerBackend({ endpoint, snapshotStore: store });
          const box = await backend.launch({ image: ATTACK_IMAGE, runId: run, workspace: true });
          // The container is on the second daemon, not on the main one.
          await d.docker.getContainer(box.id).inspect();
          await assert.rejects(main.getContainer(box.id).inspect(), /no such container/i);
          const r = await backend.execEntrypoint(box, ["sh", "-c", "cat; id -u"], {
            stdin: "over-tls\n",
            timeoutMs: 20_000,
          });
          assert.equal(r.exitCode, 0, r.stderr);
          assert.match(r.stdout, /^over-tls\n\d+\n$/);
          const s = plainExecSession(backend, box);
          await s.writeFile("/workspace/m", new TextEncoder().encode("marker"));
          assert.equal((await s.run({ sh: "cat m", cwd: "/workspace" })).stdout, "marker");
          const snap = await backend.snapshotWorkspace(box);
          await s.run({ sh: "rm /workspace/m" });
          const again = await backend.restore(snap.id, {
            image: ATTACK_IMAGE,
            runId: run,
            workspace: true,
          });
          assert.equal(
            (await backend.execEntrypoint(again, ["cat", "/workspace/m"])).stdout,
            "marker",
          );
          const report = await backend.reapLeaked({ runId: run });
          assert.ok(report.containers.length >= 2, `reaped ${JSON.stringify(report)}`);
          assert.equal(await zuLeftovers(d.docker, run), 0, "nothing left on the remote engine");
          assert.equal(await zuLeftovers(main, run), 0, "nothing made on the local engine");
        },
      );

      await t.step("the zu-session exec session runs over the TLS connection", async () => {
        const run = runId("sess");
        await using backend = new LocalDockerBackend({ endpoint });
        await using box = await backend.launch({ image: RUNTIME_IMAGE, runId: run });
        const s = await backend.session(box);
        const r = await s.run({
          argv: [
            "/usr/local/bin/deno",
            "eval",
            "console.log(await new Response(Deno.stdin.readable).text())",
          ],
          stdin: "through-the-session",
          timeoutMs: 20_000,
        });
        assert.equal(r.exitCode, 0, r.stderr);
        assert.equal(r.stdout, "through-the-session\n");
        const blob = crypto.getRandomValues(new Uint8Array(65536));
        await s.writeFile("/tmp/blob", blob);
        assert.deepEqual(await s.readFile("/tmp/blob"), blob);
      });

      await t.step("a daemon certificate from another CA is refused (docker_tls)", async () => {
        const other = await makeCa(`${scratch}/other`, "other-ca");
        const client = await issueCert(other, `${scratch}/other/client`, { kind: "client" });
        await writeDockerCertDir(`${scratch}/trusts-other`, other, client);
        const run = runId("ca");
        const env: Record<string, string> = {
          ...d.env,
          DOCKER_CERT_PATH: `${scratch}/trusts-other`,
        };
        await using backend = new LocalDockerBackend({
          endpoint: parseDockerEndpoint((n) => env[n]),
        });
        const e = await codeOf(backend.launch({ image: ATTACK_IMAGE, runId: run }));
        assert.equal(e.code, "docker_tls");
        assert.match(e.message, /not signed by the CA in DOCKER_CERT_PATH's ca\.pem/);
        assert.equal(await zuLeftovers(d.docker, run), 0);
      });

      await t.step("a client certificate from another CA is refused by the daemon", async () => {
        const other = await makeCa(`${scratch}/rogue`, "rogue-ca");
        const client = await issueCert(other, `${scratch}/rogue/client`, { kind: "client" });
        await writeDockerCertDir(`${scratch}/rogue-client`, d.ca, client);
        const run = runId("client");
        const env: Record<string, string> = {
          ...d.env,
          DOCKER_CERT_PATH: `${scratch}/rogue-client`,
        };
        await using backend = new LocalDockerBackend({
          endpoint: parseDockerEndpoint((n) => env[n]),
        });
        const e = await codeOf(backend.launch({ image: ATTACK_IMAGE, runId: run }));
        assert.equal(e.code, "docker_tls");
        assert.match(e.message, /refused our client certificate/);
        assert.equal(await zuLeftovers(d.docker, run), 0);
      });

      await t.step(
        "no client certificate: refused before connecting, naming DOCKER_CERT_PATH",
        async () => {
          await Deno.mkdir(`${scratch}/ca-only`);
          await Deno.copyFile(`${d.certDir}/ca.pem`, `${scratch}/ca-only/ca.pem`);
          const env: Record<string, string> = { ...d.env, DOCKER_CERT_PATH: `${scratch}/ca-only` };
          await using backend = new LocalDockerBackend({
            endpoint: parseDockerEndpoint((n) => env[n]),
          });
          const e = await codeOf(backend.launch({ image: ATTACK_IMAGE, runId: runId("nocert") }));
          assert.equal(e.code, "docker_endpoint");
          assert.match(
            e.message,
            /client certificate ".*ca-only\/cert\.pem" \(DOCKER_CERT_PATH\): it does not exist/,
          );
        },
      );

      await t.step(
        "a server whose certificate names another host, and one without TLS",
        async () => {
          const wrong = await issueCert(d.ca, `${scratch}/wrong-san`, {
            kind: "server",
            san: "DNS:wrong.test",
          });
          const tls = Deno.listenTls({
            hostname: "127.0.0.1",
            port: 0,
            cert: await Deno.readTextFile(wrong.certPath),
            key: await Deno.readTextFile(wrong.keyPath),
          });
          const plain = Deno.listen({ hostname: "127.0.0.1", port: 0 });
          const served: Deno.Conn[] = [];
          const serve = async (l: Deno.Listener) => {
            for await (const c of l) {
              served.push(c);
              // A plain HTTP answer to whatever arrives; the TLS one fails its handshake first.
              c.read(new Uint8Array(4096)).then(() =>
                c.write(new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"))
              ).catch(() => {});
            }
          };
          serve(tls).catch(() => {});
          serve(plain).catch(() => {});
          try {
            for (
              const [l, want] of [[tls, /not valid for that address/], [
                plain,
                /does not speak TLS/,
              ]] as const
            ) {
              const ep: DockerEndpoint = { ...d.endpoint, port: (l.addr as Deno.NetAddr).port };
              await using backend = new LocalDockerBackend({ endpoint: ep });
              const e = await codeOf(backend.launch({ image: ATTACK_IMAGE, runId: runId("srv") }));
              assert.equal(e.code, "docker_tls");
              assert.match(e.message, want);
            }
          } finally {
            tls.close();
            plain.close();
            for (const c of served) {
              try {
                c.close();
              } catch {
                // closed
              }
            }
          }
        },
      );

      await t.step(
        "a connection dropped mid-exec: docker_connection_lost, then cleaned up",
        async () => {
          const r = relay(d.port);
          try {
            const run = runId("drop");
            const ep: DockerEndpoint = { ...d.endpoint, port: r.port };
            await using backend = new LocalDockerBackend({ endpoint: ep });
            const box = await backend.launch({ image: ATTACK_IMAGE, runId: run });
            const exec = backend.execEntrypoint(box, ["sh", "-c", "echo started; sleep 30"], {
              timeoutMs: 25_000,
            });
            // Cut once the exec's stream is open (its first output crossed the relay).
            const until = Date.now() + 10_000;
            const probe = await d.docker.getContainer(box.id).inspect();
            assert.equal(probe.State.Running, true);
            let cut = 0;
            for (let i = 0; i < 200 && Date.now() < until && cut === 0; i++) {
              const top = await d.docker.getContainer(box.id).top().catch(() => null);
              if (top?.Processes?.some((p: string[]) => p.join(" ").includes("sleep 30"))) {
                cut = r
                  .cut();
              } else await new Promise((res) => setTimeout(res, 50)); // bounded poll for the exec to start
            }
            assert.ok(cut > 0, "the exec's connection was open when cut");
            const e = await codeOf(exec);
            assert.equal(e.code, "docker_connection_lost");
            assert.match(e.message, /dropped mid-call.*zu sandbox gc/);
            await backend.destroy(box); // a new connection through the relay: cleanup still works
            assert.equal(await zuLeftovers(d.docker, run), 0, "nothing left after the drop");
          } finally {
            r.close();
          }
        },
      );
    } finally {
      await Deno.remove(scratch, { recursive: true }).catch(() => {});
      await d.stop();
      const leaked = [...Deno.readDirSync("/tmp")].map((e) => e.name).filter((n) =>
        !tmpBefore.has(n) && /^zu-(dockerd2|remote-test)-/.test(n)
      );
      assert.deepEqual(leaked, [], "no host temp files left");
      // The host's network links are untouched (docker0 above all) and its own bridge is gone.
      const after = links();
      assert.deepEqual(linksBefore.filter((l) => !after.includes(l) && !l.startsWith("veth")), []);
      assert.deepEqual(after.filter((l) => l.startsWith("zu2br")), []);
    }
  },
  { hostMissing: secondDockerdMissing() },
);
