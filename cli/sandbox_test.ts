import { equal, match } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

Deno.test("every Docker command without a daemon is one line and exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_nodocker_" });
  try {
    const env = { DOCKER_HOST: `unix://${dir}/docker.sock` };
    const cases = [
      ["sandbox", "image", "build"],
      ["sandbox", "exec", "zu-runtime:0.1.0", "--", "true"],
      ["sandbox", "gc"],
    ];
    for (const args of cases) {
      const io = captureIo({ cwd: dir, env });
      equal(await main(args, io), 2, args.join(" "));
      match(
        io.stderrText(),
        /^error: Cannot run "zu sandbox [a-z ]+": no Docker daemon \(no socket at .*\); start it \("sudo dockerd &".*DOCKER_HOST=unix:/,
      );
      equal(io.stderrText().trimEnd().split("\n").length, 1);
    }
    const doctor = captureIo({ cwd: dir, env });
    equal(await main(["sandbox", "doctor"], doctor), 2);
    match(doctor.stdoutText(), /fail {2}daemon/);
    match(doctor.stderrText(), /^error: Cannot check the sandbox: no Docker daemon/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu sandbox exec needs a command after --", async () => {
  const io = captureIo();
  equal(await main(["sandbox", "exec", "zu-runtime:0.1.0"], io), 2);
  match(io.stderrText(), /needs a command after "--"/);
});
