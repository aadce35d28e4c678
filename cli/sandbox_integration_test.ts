import { equal, match, ok } from "node:assert/strict";
import { dockerTest } from "../testing/docker.ts";
import { RUNTIME_IMAGE } from "../backends/docker/mod.ts";
import { imagePresent } from "./_docker.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

async function ensureRuntimeImage(): Promise<void> {
  if (await imagePresent(captureIo(), RUNTIME_IMAGE)) return;
  const io = captureIo();
  equal(await main(["sandbox", "image", "build", "--json"], io), 0, io.stderrText());
}

dockerTest(
  "zu sandbox exec runs a command in a hardened sandbox and exits with its code",
  async () => {
    await ensureRuntimeImage();
    const io = captureIo();
    const code = await main(
      [
        "sandbox",
        "exec",
        RUNTIME_IMAGE,
        "--json",
        "--",
        "/usr/local/bin/deno",
        "eval",
        "console.log(Deno.uid()); Deno.exit(3)",
      ],
      io,
    );
    equal(code, 3, io.stderrText());
    const r = JSON.parse(io.stdoutText());
    equal(r.exitCode, 3);
    ok(Number(r.stdout.trim()) > 0, `runs as non-root, got uid ${r.stdout}`);
  },
);

dockerTest("zu sandbox exec refuses an image that is not present, without pulling", async () => {
  const io = captureIo();
  equal(await main(["sandbox", "exec", "zu-no-such-image:0", "--", "true"], io), 2);
  match(
    io.stderrText(),
    /^error: Cannot start sandbox: image "zu-no-such-image:0" is not present locally/,
  );
});

dockerTest("zu demo runs one tool call in a hardened sandbox when Docker is here", async () => {
  await ensureRuntimeImage();
  const dir = await Deno.makeTempDir({ prefix: "zu_demo_docker_" });
  try {
    const io = captureIo({ cwd: dir });
    equal(await main(["demo", "--json"], io), 0, io.stderrText());
    const out = JSON.parse(io.stdoutText());
    equal(out.sandbox.ran, true, out.sandbox.detail);
    match(out.sandbox.detail, /no network/);
    match(out.sandbox.detail, /network none/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

dockerTest("zu sandbox gc and doctor answer on a live daemon", async () => {
  const gc = captureIo();
  equal(await main(["sandbox", "gc", "--json"], gc), 0, gc.stderrText());
  ok(Array.isArray(JSON.parse(gc.stdoutText()).containers));
  const doctor = captureIo();
  equal(await main(["sandbox", "doctor", "--json"], doctor), 0, doctor.stdoutText());
  equal(JSON.parse(doctor.stdoutText()).ok, true);
});
