import assert from "node:assert/strict";
import { dockerTest } from "../../testing/docker.ts";
import { attackImage, attackTest, runtimeImage } from "./_test_images.ts";
import { buildAttackImage } from "./image_build.ts";
import { LocalDockerBackend } from "./local_docker_backend.ts";

attackTest("buildAttackImage reuses an image whose content hash label matches", async () => {
  await attackImage();
  const again = await buildAttackImage();
  assert.equal(again.built, false);
  assert.match(again.hash, /^[0-9a-f]{64}$/);
});

dockerTest(
  "the runtime image runs zu's sources offline under the default seccomp profile",
  async () => {
    const image = await runtimeImage();
    await using backend = new LocalDockerBackend();
    await using box = await backend.launch({ image, seccomp: "default" });
    const script = [
      'import { loadSeccompProfile } from "/opt/zu/seccomp/profile_loader.ts";',
      'import Docker from "dockerode";',
      "const p = await loadSeccompProfile('block');",
      "const child = new Deno.Command(Deno.execPath(), { args: ['--version'] }).outputSync();",
      "console.log(JSON.stringify({ uid: Deno.uid(), action: p.profile.defaultAction, docker: typeof Docker, child: child.code }));",
    ].join("\n");
    const r = await backend.execEntrypoint(
      box,
      ["deno", "eval", "--cached-only", "--config", "/opt/zu/deno.json", script],
      { timeoutMs: 600_000 },
    );
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split("\n").at(-1)!), {
      uid: 10001,
      action: "SCMP_ACT_ALLOW",
      docker: "function",
      child: 0,
    });
    const ca = await backend.execEntrypoint(box, [
      "deno",
      "eval",
      "console.log(Deno.readTextFileSync('/etc/ssl/certs/ca-certificates.crt').includes('BEGIN CERTIFICATE'))",
    ]);
    assert.equal(ca.stdout, "true\n");
  },
);
