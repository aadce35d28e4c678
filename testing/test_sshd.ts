/**
 * A throwaway `sshd` for `ssh://` DOCKER_HOST tests: Debian `openssh-server`'s `sshd -D -e -f
 * <its own sshd_config>` listening ONLY on `127.0.0.1:<free port>`, with a host key and one
 * authorised client key made here with `ssh-keygen`, no PAM, no passwords, its own pid file. Its
 * logins run as root, so the remote side's `docker system dial-stdio` reaches this host's daemon:
 * that proves the SSH transport. The client side is an ssh config file ({@link TestSshd.configFile})
 * naming the key and a known_hosts file with the server's real key (host key checking stays on);
 * {@link TestSshd.wrongConfigFile} names a known_hosts file with another key,
 * {@link TestSshd.unknownConfigFile} an empty one. `stop()` (or
 * `await using`) kills it and deletes the directory.
 *
 * Test-only (not exported from `./testing`): it needs root, `sshd` and `ssh-keygen`.
 * {@link testSshdMissing} says what is missing, for `dockerTest`'s `hostMissing`.
 *
 * @example
 * ```ts ignore
 * import { startTestSshd } from "./test_sshd.ts";
 * await using sshd = await startTestSshd();
 * console.log(sshd.env.DOCKER_HOST); // ssh://root@127.0.0.1:<port>
 * ```
 * @module
 */
import { findProgram } from "./_find_program.ts";
import type { SshDockerEndpoint } from "../backends/docker/docker_endpoint.ts";

/** A running test sshd. */
export interface TestSshd extends AsyncDisposable {
  /** Its port on 127.0.0.1. */
  port: number;
  /** Its directory (keys, configs, pid file). */
  dir: string;
  /** ssh client config: the client key and a known_hosts with the server's key. */
  configFile: string;
  /** ssh client config whose known_hosts holds another key for the server. */
  wrongConfigFile: string;
  /** ssh client config whose known_hosts is empty (the server's key is unknown). */
  unknownConfigFile: string;
  /** `DOCKER_HOST` and `ZU_DOCKER_SSH_CONFIG` for it. */
  env: Record<string, string>;
  /** Its endpoint (as `parseDockerEndpoint` reads {@link TestSshd.env}). */
  endpoint: SshDockerEndpoint;
  /** The sshd process id. */
  pid: number;
  /** Kills sshd (and its sessions) and deletes the directory. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startTestSshd}. */
export interface TestSshdOptions {
  /** PATH the login's command runs with (e.g. one without `docker`); default sshd's own. */
  remotePath?: string;
}

/** What this host lacks to start a test sshd (one line naming the package), or null. */
export function testSshdMissing(): string | null {
  try {
    if (Deno.uid() !== 0) return "a test sshd logging in as root needs root";
  } catch {
    return "a test sshd needs root (cannot read the uid)";
  }
  if (!findProgram("sshd")) return `"sshd" is missing (apt-get install openssh-server)`;
  if (!findProgram("ssh-keygen") || !findProgram("ssh")) {
    return `"ssh"/"ssh-keygen" is missing (apt-get install openssh-client)`;
  }
  if (!findProgram("docker")) {
    return `"docker" (the CLI, for dial-stdio) is missing (apt-get install docker.io)`;
  }
  return null;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function run(program: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(program, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${program} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function keygen(path: string): Promise<string> {
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "zu-test", "-f", path]);
  return (await Deno.readTextFile(`${path}.pub`)).trim();
}

/** Starts sshd on a free loopback port; resolves once it listens (at most 10 s). */
export async function startTestSshd(options: TestSshdOptions = {}): Promise<TestSshd> {
  const dir = await Deno.makeTempDir({ prefix: "zu-test-sshd-" });
  let child: Deno.ChildProcess | null = null;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child) {
      try {
        child.kill("SIGTERM");
      } catch {
        // exited
      }
      await child.status.catch(() => {});
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    const hostKey = `${dir}/host_ed25519`;
    const hostPub = await keygen(hostKey);
    const otherPub = await keygen(`${dir}/other_ed25519`);
    const clientPub = await keygen(`${dir}/client_ed25519`);
    await Deno.writeTextFile(`${dir}/authorized_keys`, `${clientPub}\n`);
    await Deno.chmod(`${dir}/authorized_keys`, 0o600);
    const port = freePort();
    const hostKeyField = hostPub.split(" ").slice(0, 2).join(" ");
    const otherKeyField = otherPub.split(" ").slice(0, 2).join(" ");
    await Deno.writeTextFile(`${dir}/known_hosts`, `[127.0.0.1]:${port} ${hostKeyField}\n`);
    await Deno.writeTextFile(`${dir}/wrong_known_hosts`, `[127.0.0.1]:${port} ${otherKeyField}\n`);
    const client = (knownHosts: string) =>
      [
        "Host *",
        `  IdentityFile ${dir}/client_ed25519`,
        "  IdentitiesOnly yes",
        "  IdentityAgent none",
        `  UserKnownHostsFile ${knownHosts}`,
        "  GlobalKnownHostsFile /dev/null",
        "  StrictHostKeyChecking yes",
        "  ControlMaster no",
        "",
      ].join("\n");
    await Deno.writeTextFile(`${dir}/ssh_config`, client(`${dir}/known_hosts`));
    await Deno.writeTextFile(`${dir}/wrong_ssh_config`, client(`${dir}/wrong_known_hosts`));
    await Deno.writeTextFile(`${dir}/empty_known_hosts`, "");
    await Deno.writeTextFile(`${dir}/unknown_ssh_config`, client(`${dir}/empty_known_hosts`));
    const server = [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      "AuthenticationMethods publickey",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "PermitRootLogin prohibit-password",
      "AllowUsers root",
      "StrictModes no",
      "X11Forwarding no",
      "AllowTcpForwarding no",
      "AllowAgentForwarding no",
      "PermitTTY no",
      "LogLevel INFO",
      ...(options.remotePath
        ? [`ForceCommand env PATH=${options.remotePath} /bin/sh -c "$SSH_ORIGINAL_COMMAND"`]
        : []),
      "",
    ].join("\n");
    await Deno.writeTextFile(`${dir}/sshd_config`, server);
    await Deno.mkdir("/run/sshd", { recursive: true, mode: 0o755 }); // sshd's privilege-separation dir
    child = new Deno.Command(findProgram("sshd")!, {
      args: ["-D", "-e", "-f", `${dir}/sshd_config`],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let log = "";
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    const deadline = setTimeout(() => reader.cancel("timeout").catch(() => {}), 10_000);
    try {
      while (!/Server listening on 127\.0\.0\.1 port/.test(log)) {
        const r = await reader.read();
        if (r.done) throw new Error(`sshd did not start: ${log.trim().slice(-800)}`);
        log += r.value;
      }
    } finally {
      clearTimeout(deadline);
    }
    // Keep draining its log so sshd never blocks on a full pipe.
    (async () => {
      for (;;) if ((await reader.read()).done) return;
    })().catch(() => {});
    const endpoint: SshDockerEndpoint = {
      kind: "ssh",
      user: "root",
      host: "127.0.0.1",
      port,
      configFile: `${dir}/ssh_config`,
    };
    return {
      port,
      dir,
      configFile: `${dir}/ssh_config`,
      wrongConfigFile: `${dir}/wrong_ssh_config`,
      unknownConfigFile: `${dir}/unknown_ssh_config`,
      env: {
        DOCKER_HOST: `ssh://root@127.0.0.1:${port}`,
        ZU_DOCKER_SSH_CONFIG: `${dir}/ssh_config`,
      },
      endpoint,
      pid: child.pid,
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
