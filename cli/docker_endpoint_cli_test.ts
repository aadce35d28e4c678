// The CLI's answer to a DOCKER_HOST it cannot use, without any daemon: one line, exit 2, naming
// the variable (docker_endpoint), from `zu sandbox *`, and a `fail` line in `zu doctor`; nothing
// is dialled (every address here is refused while parsing). An ssh:// endpoint with no sshd on
// its loopback port is a `fail` naming it (the real ssh transport: ssh_engine_integration_test.ts).
import { equal, match } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const CASES: Array<[Record<string, string>, RegExp]> = [
  [
    { DOCKER_HOST: "npipe:////./pipe/docker_engine" },
    /^error: Invalid DOCKER_HOST=".*": Windows named pipes/,
  ],
  [
    { DOCKER_HOST: "tcp://192.0.2.7:2375" },
    /^error: Invalid DOCKER_HOST=".*": plain TCP to a non-loopback/,
  ],
  [
    { DOCKER_HOST: "tcp://192.0.2.7", DOCKER_TLS_VERIFY: "yes" },
    /^error: Invalid DOCKER_TLS_VERIFY="yes"/,
  ],
  [
    { DOCKER_CONTEXT: "prod" },
    /^error: Invalid DOCKER_CONTEXT="prod": zu does not read Docker contexts/,
  ],
  [
    { DOCKER_HOST: "ssh://deploy:secret@192.0.2.7" },
    /^error: Invalid DOCKER_HOST=".*": ssh:\/\/ takes no password/,
  ],
];

Deno.test("zu sandbox with an unusable DOCKER_HOST: one line naming the variable, exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_endpoint_" });
  try {
    for (const [env, want] of CASES) {
      for (
        const args of [["sandbox", "gc"], ["sandbox", "exec", "zu-runtime:0.1.0", "--", "true"]]
      ) {
        const io = captureIo({ cwd: dir, env });
        equal(await main(args, io), 2, `${JSON.stringify(env)} ${args.join(" ")}`);
        match(io.stderrText(), want);
        equal(io.stderrText().trimEnd().split("\n").length, 1, io.stderrText());
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu doctor reports an unusable DOCKER_HOST as a failure and an ssh endpoint as such", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_endpoint_" });
  try {
    const bad = captureIo({ cwd: dir, env: { DOCKER_HOST: "tcp://192.0.2.7:2375" } });
    await main(["doctor", "--json"], bad);
    const checks = JSON.parse(bad.stdoutText()).checks as Array<
      { name: string; status: string; detail: string }
    >;
    const docker = checks.find((c) => c.name === "docker")!;
    equal(docker.status, "fail");
    match(docker.detail, /Invalid DOCKER_HOST/);
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const ssh = captureIo({ cwd: dir, env: { DOCKER_HOST: `ssh://deploy@127.0.0.1:${port}` } });
    await main(["doctor", "--json"], ssh);
    const s = JSON.parse(ssh.stdoutText()).checks as Array<
      { name: string; status: string; detail: string }
    >;
    match(
      s.find((c) => c.name === "docker endpoint")!.detail,
      new RegExp(`^ssh://deploy@127\\.0\\.0\\.1:${port} through the host's ssh`),
    );
    const docker2 = s.find((c) => c.name === "docker")!;
    equal(docker2.status, "fail");
    match(docker2.detail, /through ssh: no SSH server answers there/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
