/**
 * A throwaway second Docker daemon for remote-engine tests: `dockerd` with its own data root,
 * exec root (hence its own containerd), pid file, its own default bridge (a `zu2br…` link made
 * here: `--bridge=none` would make dockerd delete the host's `docker0`, the main daemon's
 * bridge), no iptables, no IP forwarding, listening ONLY on `tcp://127.0.0.1:<free port>` with `--tlsverify` and a CA,
 * server and client certificates made here with `openssl` (SAN `IP:127.0.0.1`). The images the
 * tests need are copied from the main daemon (`docker save` → `docker load` through the API).
 * `stop()` (or `await using`) kills it, unmounts what it left under its root and deletes the
 * directory.
 *
 * Test-only (not exported from `./testing`): it needs root, `dockerd` and `openssl`.
 * {@link secondDockerdMissing} says what is missing, for `dockerTest`'s `hostMissing`.
 *
 * @example
 * ```ts ignore
 * import { startSecondDockerd } from "./second_dockerd.ts";
 * await using d = await startSecondDockerd({ images: ["zu-attack:0.1.0"] });
 * console.log(d.env.DOCKER_HOST); // tcp://127.0.0.1:<port>
 * ```
 * @module
 */
import { findProgram } from "./_find_program.ts";
import type Dockerode from "dockerode";
import type { TcpDockerEndpoint } from "../backends/docker/docker_endpoint.ts";
import { openDockerEndpoint } from "../backends/docker/open_docker_endpoint.ts";
import { LocalDockerBackend } from "../backends/docker/local_docker_backend.ts";
import { issueCert, makeCa, type TestCa, writeDockerCertDir } from "./test_pki.ts";

/** A running second daemon. */
export interface SecondDockerd extends AsyncDisposable {
  /** Its TCP port on 127.0.0.1. */
  port: number;
  /** The client directory (`ca.pem`, `cert.pem`, `key.pem`). */
  certDir: string;
  /** The root directory of everything it made. */
  root: string;
  /** The daemon's CA (to issue more client certificates). */
  ca: TestCa;
  /** `DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH` for it. */
  env: Record<string, string>;
  /** Its endpoint. */
  endpoint: TcpDockerEndpoint;
  /** A dockerode client on it. */
  docker: Dockerode;
  /** The dockerd process id. */
  pid: number;
  /** Kills the daemon and deletes everything. Idempotent. */
  stop(): Promise<void>;
}

/**
 * What this host lacks to start a second daemon (one line naming the package), or null.
 * Needs root, `dockerd` (Debian `docker.io`), `openssl` and `ip` (Debian `iproute2`).
 */
export function secondDockerdMissing(): string | null {
  try {
    if (Deno.uid() !== 0) return "a second dockerd needs root";
  } catch {
    return "a second dockerd needs root (cannot read the uid)";
  }
  if (!findProgram("dockerd")) return `"dockerd" is missing (apt-get install docker.io)`;
  if (!findProgram("openssl")) return `"openssl" is missing (apt-get install openssl)`;
  if (!findProgram("ip")) return `"ip" is missing (apt-get install iproute2)`;
  return null;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function pingUntil(docker: Dockerode, child: Deno.ChildProcess, ms: number): Promise<void> {
  const end = Date.now() + ms;
  let exited = false;
  child.status.then(() => (exited = true));
  for (let i = 0; i < 400 && Date.now() < end; i++) {
    if (exited) throw new Error("the second dockerd exited while starting");
    try {
      await docker.ping();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50)); // polling a starting daemon, bounded
    }
  }
  throw new Error(`the second dockerd did not answer within ${ms} ms`);
}

async function copyImage(from: Dockerode, to: Dockerode, tag: string): Promise<void> {
  const tar = await from.getImage(tag).get();
  const out = await to.loadImage(tar, { quiet: true });
  await new Promise<void>((resolve, reject) => {
    to.modem.followProgress(out, (err: Error | null) => err ? reject(err) : resolve());
  });
  await to.getImage(tag).inspect();
}

async function ip(args: string[]): Promise<void> {
  const out = await new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

async function unmountUnder(root: string): Promise<void> {
  const text = await Deno.readTextFile("/proc/self/mountinfo").catch(() => "");
  const points = text.split("\n").map((l) => l.split(" ")[4] ?? "").filter((p) =>
    p === root || p.startsWith(`${root}/`)
  ).sort((a, b) => b.length - a.length);
  for (const p of points) {
    await new Deno.Command("umount", { args: ["-l", p], stdout: "null", stderr: "null" }).output()
      .catch(() => {});
  }
}

/** Starts a second daemon and copies `images` (default `zu-attack:0.1.0`) into it. */
export async function startSecondDockerd(
  options: { images?: string[]; main?: Dockerode; startMs?: number } = {},
): Promise<SecondDockerd> {
  const root = await Deno.makeTempDir({ prefix: "zu-dockerd2-" });
  let child: Deno.ChildProcess | undefined;
  let stopped: Promise<void> | undefined;
  // Its own default bridge: never "none" (dockerd would delete docker0, the main daemon's).
  const bridge = `zu2br${crypto.randomUUID().replaceAll("-", "").slice(0, 8)}`;
  let bridgeMade = false;
  const stop = () =>
    stopped ??= (async () => {
      if (child) {
        try {
          child.kill("SIGTERM");
        } catch {
          // gone
        }
        const timer = setTimeout(() => {
          try {
            child?.kill("SIGKILL");
          } catch {
            // gone
          }
        }, 10_000);
        await child.status;
        clearTimeout(timer);
      }
      // dockerd's containerd (under the exec root) exits with it; make sure.
      const pid = await Deno.readTextFile(`${root}/exec/containerd/containerd.pid`).catch(() => "");
      if (/^\d+$/.test(pid.trim())) {
        try {
          Deno.kill(Number(pid.trim()), "SIGKILL");
        } catch {
          // gone
        }
      }
      await unmountUnder(root);
      await Deno.remove(root, { recursive: true }).catch(() => {});
      if (bridgeMade) await ip(["link", "del", bridge]).catch(() => {});
    })();
  try {
    const ca = await makeCa(`${root}/pki`, "zu-test-ca");
    const server = await issueCert(ca, `${root}/pki/server`, {
      kind: "server",
      san: "IP:127.0.0.1",
    });
    const client = await issueCert(ca, `${root}/pki/client`, { kind: "client" });
    const certDir = `${root}/client`;
    await writeDockerCertDir(certDir, ca, client);
    const port = freePort();
    for (const d of ["data", "exec"]) await Deno.mkdir(`${root}/${d}`);
    await ip(["link", "add", "name", bridge, "type", "bridge"]);
    bridgeMade = true;
    // 100.64.0.0/10 (shared address space): not a Docker pool, not routed here.
    const net = 64 + (port % 64);
    await ip(["addr", "add", `100.${net}.${port % 250}.1/24`, "dev", bridge]);
    await ip(["link", "set", bridge, "up"]);
    child = new Deno.Command("dockerd", {
      args: [
        `--data-root=${root}/data`,
        `--exec-root=${root}/exec`,
        `--pidfile=${root}/dockerd.pid`,
        `-H=tcp://127.0.0.1:${port}`,
        "--tlsverify",
        `--tlscacert=${ca.certPath}`,
        `--tlscert=${server.certPath}`,
        `--tlskey=${server.keyPath}`,
        `--bridge=${bridge}`,
        "--iptables=false",
        "--ip-masq=false",
        "--ip-forward=false",
        "--userland-proxy=false",
        "--storage-driver=overlay2",
      ],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).spawn();
    const env = {
      DOCKER_HOST: `tcp://127.0.0.1:${port}`,
      DOCKER_TLS_VERIFY: "1",
      DOCKER_CERT_PATH: certDir,
    };
    const endpoint: TcpDockerEndpoint = {
      kind: "tcp",
      host: "127.0.0.1",
      port,
      tls: {
        caPath: `${certDir}/ca.pem`,
        certPath: `${certDir}/cert.pem`,
        keyPath: `${certDir}/key.pem`,
      },
    };
    const docker = await openDockerEndpoint(endpoint);
    await pingUntil(docker, child, options.startMs ?? 20_000);
    const main = options.main ??
      await openDockerEndpoint({ kind: "unix", socketPath: "/var/run/docker.sock" });
    for (const tag of options.images ?? ["zu-attack:0.1.0"]) await copyImage(main, docker, tag);
    return {
      port,
      certDir,
      root,
      ca,
      env,
      endpoint,
      docker,
      pid: child.pid,
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

let shared: Promise<SecondDockerd> | undefined;

/**
 * One second daemon per process, for suites that register many tests against it (the
 * `SandboxBackend` conformance suite). Stop it with {@link stopSharedSecondDockerd} in the
 * file's last test.
 */
export function sharedSecondDockerd(): Promise<SecondDockerd> {
  shared ??= startSecondDockerd();
  return shared;
}

/** Stops the shared daemon (if started) and deletes everything it made. */
export async function stopSharedSecondDockerd(): Promise<void> {
  const d = shared;
  shared = undefined;
  if (d) await (await d).stop();
}

/**
 * A `make` for the conformance suite: a `LocalDockerBackend` on the shared second daemon over
 * TLS (`zu-attack:0.1.0` loaded).
 *
 * @example
 * ```ts ignore
 * import { makeRemoteBackend, stopSharedSecondDockerd } from "./second_dockerd.ts";
 * runSandboxBackendConformance("docker over TLS", makeRemoteBackend);
 * Deno.test("stop the second daemon", stopSharedSecondDockerd);
 * ```
 */
export async function makeRemoteBackend(): Promise<LocalDockerBackend> {
  const d = await sharedSecondDockerd();
  return new LocalDockerBackend({ endpoint: d.endpoint });
}
