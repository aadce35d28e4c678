// ssh:// rules without a server: the ssh command line (host key checking on, no prompts, the
// config file), ZU_DOCKER_SSH_CONFIG, the grants (only --allow-run=ssh), and each ssh failure
// read into one docker_ssh line. The real transport is in ssh_engine_integration_test.ts.
import assert from "node:assert/strict";
import {
  endpointGrants,
  endpointPermissionFlags,
  parseDockerEndpoint,
  type SshDockerEndpoint,
} from "./docker_endpoint.ts";
import { dialSsh, sshDialArgs, sshFailure } from "./ssh_dial.ts";
import { daemonError } from "./daemon_error.ts";
import { UserError } from "../../core/errors.ts";

const ssh: SshDockerEndpoint = {
  kind: "ssh",
  user: "deploy",
  host: "build.example",
  port: 2222,
  configFile: null,
};

Deno.test("ssh:// runs ssh in batch mode with host key checking left to ssh (on)", () => {
  const args = sshDialArgs(ssh);
  assert.deepEqual(args.slice(args.indexOf("--")), [
    "--",
    "build.example",
    "docker",
    "system",
    "dial-stdio",
  ]);
  assert.ok(args.includes("BatchMode=yes"));
  assert.equal(args[args.indexOf("-p") + 1], "2222");
  assert.equal(args[args.indexOf("-l") + 1], "deploy");
  assert.ok(!args.some((a) => /StrictHostKeyChecking|UserKnownHostsFile/i.test(a)), "never off");
  assert.ok(!args.includes("-F"));
  const withConfig = sshDialArgs({ ...ssh, user: null, configFile: "/etc/zu/ssh_config" });
  assert.deepEqual(withConfig.slice(0, 2), ["-F", "/etc/zu/ssh_config"]);
  assert.ok(!withConfig.includes("-l"));
  // A host that looks like an option stays the destination (after "--"), never an ssh option.
  const sneaky = sshDialArgs({ ...ssh, host: "-oProxyCommand=touch /tmp/pwned" });
  assert.equal(sneaky[sneaky.indexOf("--") + 1], "-oProxyCommand=touch /tmp/pwned");
  assert.ok(!sneaky.slice(0, sneaky.indexOf("--")).some((a) => a.includes("ProxyCommand")));
});

Deno.test("ZU_DOCKER_SSH_CONFIG is read for ssh:// and must be absolute", () => {
  const env: Record<string, string> = {
    DOCKER_HOST: "ssh://ops@10.1.2.3",
    ZU_DOCKER_SSH_CONFIG: "/home/ops/.ssh/zu_config",
  };
  const e = parseDockerEndpoint((n) => env[n]);
  assert.ok(e.kind === "ssh" && e.configFile === "/home/ops/.ssh/zu_config" && e.port === 22);
  env.ZU_DOCKER_SSH_CONFIG = "ssh_config";
  assert.throws(() => parseDockerEndpoint((n) => env[n]), (err: unknown) => {
    assert.ok(err instanceof UserError && err.code === "docker_endpoint");
    assert.match(err.message, /^Invalid ZU_DOCKER_SSH_CONFIG="ssh_config": use an absolute path/);
    return true;
  });
});

Deno.test("ssh:// needs --allow-run=ssh and nothing else", () => {
  assert.deepEqual(endpointGrants(ssh), { net: [], read: [], write: [], run: ["ssh"] });
  assert.deepEqual(endpointPermissionFlags(ssh), ["--allow-run=ssh"]);
});

Deno.test("each ssh failure is one docker_ssh line that says what to do", () => {
  const cases: [string, number, RegExp][] = [
    [
      "@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@@@@@@@\nHost key verification failed.\n",
      255,
      /host key is not the one in known_hosts.*\(ssh said: Host key verification failed\.\)$/,
    ],
    ["deploy@build.example: Permission denied (publickey).\n", 255, /SSH login was refused/],
    [
      "ssh: connect to host build.example port 2222: Connection refused\n",
      255,
      /no SSH server answers there/,
    ],
    ["sh: 1: docker: not found\n", 127, /no "docker" command on the PATH/],
    [
      "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
      1,
      /remote docker CLI cannot reach its daemon/,
    ],
    ["", 3, /ssh exited with 3$/],
  ];
  for (const [stderr, code, why] of cases) {
    const e = sshFailure(ssh, stderr, code);
    assert.equal(e.code, "docker_ssh");
    assert.equal(e.message.split("\n").length, 1, e.message);
    assert.match(
      e.message,
      /^Cannot reach the Docker daemon at ssh:\/\/deploy@build\.example:2222 /,
    );
    assert.match(e.message, why);
    assert.equal(daemonError(ssh, e), e, "passed on as it is");
  }
});

Deno.test({
  name: "without --allow-run=ssh: one docker_ssh line naming the grant",
  permissions: { run: false },
  fn: async () => {
    await assert.rejects(dialSsh(ssh), (e: unknown) => {
      assert.ok(e instanceof UserError && e.code === "docker_ssh");
      assert.match(e.message, /may not run "ssh"; grant --allow-run=ssh$/);
      return true;
    });
  },
});
