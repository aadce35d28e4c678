import { equal, match, ok } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";
import { HELLO_AGENT } from "./_test_agents.ts";

const AGENT = HELLO_AGENT;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("zu run --sandboxed without a Docker daemon exits 2 with one line and no event log", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_run_sandboxed_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT);
    const io = captureIo({
      cwd: dir,
      env: { DOCKER_HOST: `unix://${dir}/no-such-docker.sock` },
    });
    equal(await main(["run", "--sandboxed", ".", "--db", "events.db"], io), 2);
    const lines = io.stderrText().trim().split("\n");
    equal(lines.length, 1, io.stderrText());
    match(lines[0]!, /^error: Cannot run "\." sandboxed: no Docker daemon answers/);
    match(lines[0]!, /zu sandbox image build/);
    equal(io.stdoutText(), "");
    equal(await exists(`${dir}/events.db`), false, "the event log is untouched");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu run --sandboxed rejects a malformed ZU_SANDBOX_HOSTS before touching Docker", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_run_sandboxed_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT);
    const io = captureIo({
      cwd: dir,
      env: { ZU_SANDBOX_HOSTS: "origin.test", DOCKER_HOST: `unix://${dir}/none.sock` },
    });
    equal(await main(["run", "--sandboxed", "--db", "events.db"], io), 2);
    match(
      io.stderrText(),
      /^error: Cannot read ZU_SANDBOX_HOSTS entry "origin\.test": expected name=ip\n$/,
    );
    equal(await exists(`${dir}/events.db`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu run --help documents --sandboxed", async () => {
  const io = captureIo();
  equal(await main(["run", "--help"], io), 0);
  const help = io.stdoutText();
  ok(help.includes("--sandboxed"), help);
  ok(help.includes("zu sandbox image build"), help);
});

Deno.test("zu run --sandboxed refuses a value, like every boolean flag", async () => {
  const io = captureIo();
  equal(await main(["run", "--sandboxed=yes"], io), 2);
  match(io.stderrText(), /^error: /);
});
