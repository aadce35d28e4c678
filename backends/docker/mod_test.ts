import assert from "node:assert/strict";
import * as mod from "./mod.ts";

Deno.test("backends/docker/mod.ts exports exactly the documented names", () => {
  assert.deepEqual(Object.keys(mod).sort(), [
    "ATTACK_IMAGE",
    "CappedCollector",
    "DEFAULT_CPUS",
    "DEFAULT_IMAGE_POLICY",
    "DEFAULT_MEMORY_BYTES",
    "FrameDemuxer",
    "ImagePolicyError",
    "LineSplitter",
    "LocalDockerBackend",
    "MANAGED_LABEL",
    "MAX_MEMORY_BYTES",
    "MAX_PIDS",
    "MIN_MEMORY_BYTES",
    "RUNTIME_IMAGE",
    "SANDBOX_USER",
    "TMPFS_OPTIONS",
    "ZU_UID",
    "ZU_VERSION",
    "attackContext",
    "buildAttackImage",
    "buildRuntimeImage",
    "checkImagePin",
    "checkImagePolicy",
    "hardenedCreateOptions",
    "managedLabels",
    "ownerAlive",
    "parseImageRef",
    "parseLdd",
    "processStartTime",
    "reapLeaked",
    "runtimeContext",
  ]);
});
