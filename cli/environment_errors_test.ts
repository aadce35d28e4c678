import { equal, match, ok, rejects } from "node:assert/strict";
import { UserError } from "../core/errors.ts";
import { attackContext } from "../backends/docker/image_build.ts";
import { runInJail } from "../runner/jail/child_runner.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";
import { HELLO_AGENT } from "./_test_agents.ts";

const AGENT = HELLO_AGENT;

/** Runs `zu args` in a temp dir whose DOCKER_HOST points at a socket that does not exist. */
async function withDeadDocker(args: string[]): Promise<{ code: number; line: string }> {
  const dir = await Deno.makeTempDir({ prefix: "zu_dead_docker_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT);
    const io = captureIo({ cwd: dir, env: { DOCKER_HOST: `unix://${dir}/gone/docker.sock` } });
    const code = await main(args, io);
    const lines = io.stderrText().trimEnd().split("\n");
    equal(lines.length, 1, `one line: ${io.stderrText()}`);
    return { code, line: lines[0]! };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a dead Docker socket is a user error (exit 2) that says how to start the daemon", async () => {
  for (
    const args of [
      ["sandbox", "exec", "zu-runtime:0.1.0", "--", "true"],
      ["run", "--sandboxed", "."],
    ]
  ) {
    const { code, line } = await withDeadDocker(args);
    equal(code, 2, args.join(" "));
    match(line, /^error: Cannot run /);
    match(line, /gone\/docker\.sock|no Docker daemon answers/);
    match(line, /"sudo dockerd &"/, "how to start dockerd");
    match(line, /DOCKER_HOST=unix:\/\//, "how to point zu at another socket");
    ok(!line.includes("internal error"));
  }
});

Deno.test("a missing deno binary for the jailed child is a user error naming the fix", async () => {
  await rejects(
    runInJail(new URL("./main.ts", import.meta.url), [], { flags: [], env: [] }, {
      denoPath: "/nonexistent/zu-test/deno",
    }),
    (e) => {
      ok(e instanceof UserError, String(e));
      equal(e.code, "program_missing");
      match(e.message, /program "\/nonexistent\/zu-test\/deno" is not installed; install Deno/);
      return true;
    },
  );
});

Deno.test("a missing busybox for the attack image is a user error naming the Debian package", async () => {
  await rejects(attackContext({ busyboxPath: "/nonexistent/zu-test/busybox" }), (e) => {
    ok(e instanceof UserError, String(e));
    equal(e.code, "program_missing");
    match(e.message, /install Debian "busybox-static" \(apt-get install busybox-static\)/);
    return true;
  });
});
