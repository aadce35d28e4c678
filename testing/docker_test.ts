import assert from "node:assert/strict";
import { dockerAvailable, dockerSocketPath, dockerTest } from "./docker.ts";

Deno.test("dockerSocketPath defaults to /var/run/docker.sock or the DOCKER_HOST unix path", () => {
  const host = Deno.env.get("DOCKER_HOST");
  const expected = host?.startsWith("unix://") ? host.slice(7) : "/var/run/docker.sock";
  assert.equal(dockerSocketPath(), expected);
});

Deno.test("dockerAvailable is cached and agrees with itself", async () => {
  const a = await dockerAvailable();
  const b = await dockerAvailable();
  assert.equal(a, b);
});

Deno.test("a child test process without a daemon ignores docker tests and prints one line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/probe_test.ts`;
    const helper = new URL("./docker.ts", import.meta.url).href;
    await Deno.writeTextFile(
      file,
      `import { dockerTest } from "${helper}";\n` +
        `dockerTest("one", () => {});\ndockerTest("two", () => {});\n`,
    );
    const env = { DOCKER_HOST: `unix://${dir}/absent.sock`, NO_COLOR: "1" };
    const run = async (extra: Record<string, string>) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["test", "--allow-all", "--no-config", file],
        env: { ...env, ...extra },
        clearEnv: false,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      return { code: out.code, text };
    };
    const skipped = await run({ ZU_REQUIRE_DOCKER: "0" });
    assert.equal(skipped.code, 0, skipped.text);
    const lines = skipped.text.split("\n").filter((l) => l.startsWith("docker tests skipped:"));
    assert.equal(lines.length, 1, skipped.text);
    assert.match(lines[0]!, /no daemon at .*absent\.sock; set ZU_REQUIRE_DOCKER=1 to fail instead/);
    assert.match(skipped.text, /2 ignored/);
    const required = await run({ ZU_REQUIRE_DOCKER: "1" });
    assert.notEqual(required.code, 0, required.text);
    assert.match(required.text, /no daemon at .*absent\.sock and ZU_REQUIRE_DOCKER=1/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tests that lack a host package are skipped with one line per process across files, or fail when required", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const helper = new URL("./docker.ts", import.meta.url).href;
    const reason = "the image needs a host package: apt-get install busybox-static";
    const body = `import { dockerTest } from "${helper}";\n` +
      `const hostMissing = ${JSON.stringify(reason)};\n` +
      `dockerTest("one", () => {}, { hostMissing });\ndockerTest("two", () => {}, { hostMissing });\n`;
    await Deno.writeTextFile(`${dir}/a_test.ts`, body);
    await Deno.writeTextFile(`${dir}/b_test.ts`, body);
    // A fake daemon that answers the ping, so only the host package is missing.
    const socket = `${dir}/docker.sock`;
    const listener = Deno.listen({ transport: "unix", path: socket });
    const serving = (async () => {
      for await (const conn of listener) {
        (async () => {
          await conn.read(new Uint8Array(4096));
          await conn.write(
            new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"),
          );
          conn.close();
        })().catch(() => {});
      }
    })().catch(() => {});
    const run = async (required: string) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["test", "--allow-all", "--no-config", `${dir}/a_test.ts`, `${dir}/b_test.ts`],
        env: { DOCKER_HOST: `unix://${socket}`, NO_COLOR: "1", ZU_REQUIRE_DOCKER: required },
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: out.code,
        text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
      };
    };
    try {
      const skipped = await run("0");
      assert.equal(skipped.code, 0, skipped.text);
      const lines = skipped.text.split("\n").filter((l) => l.startsWith("docker tests skipped:"));
      assert.deepEqual(lines, [
        `docker tests skipped: ${reason}; set ZU_REQUIRE_DOCKER=1 to fail instead`,
      ], skipped.text);
      assert.match(skipped.text, /4 ignored/);
      const required = await run("1");
      assert.notEqual(required.code, 0, required.text);
      assert.match(required.text, /busybox-static \(ZU_REQUIRE_DOCKER=1 is set/);
      assert.match(required.text, /4 failed/);
    } finally {
      listener.close();
      await serving;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

dockerTest("dockerTest runs its body when the daemon answers", async () => {
  assert.equal(await dockerAvailable(), true);
});
