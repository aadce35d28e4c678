import assert from "node:assert/strict";
import {
  checkImagePin,
  checkImagePolicy,
  ImagePolicyError,
  parseImageRef,
} from "./image_policy.ts";

const HEX = "a".repeat(64);

Deno.test("parseImageRef takes the registry lexically", () => {
  assert.equal(parseImageRef("zu-runtime:0.1.0").registry, "local");
  assert.equal(parseImageRef("library/busybox").registry, "local");
  assert.equal(parseImageRef("ghcr.io/k3-mt/zu:v1").registry, "ghcr.io");
  assert.equal(parseImageRef("localhost/x").registry, "localhost");
  assert.equal(parseImageRef("reg:5000/x:1").registry, "reg:5000");
  const r = parseImageRef(`reg:5000/a/b:1@sha256:${HEX}`);
  assert.deepEqual(r, {
    registry: "reg:5000",
    repository: "a/b",
    tag: "1",
    digest: `sha256:${HEX}`,
    name: "reg:5000/a/b:1",
  });
  assert.throws(() => parseImageRef("x@sha256:zz"), TypeError);
  assert.throws(() => parseImageRef(""), TypeError);
});

Deno.test("checkImagePolicy refuses a registry that is not allowed and says which are", () => {
  assert.throws(
    () => checkImagePolicy("ghcr.io/k3-mt/zu:v1", { allowRegistries: ["local"] }),
    (e: unknown) =>
      e instanceof ImagePolicyError &&
      /image "ghcr.io\/k3-mt\/zu:v1" comes from registry "ghcr.io", which is not allowed \(allowed: "local"\)/
        .test(e.message),
  );
  assert.equal(
    checkImagePolicy("ghcr.io/k3-mt/zu:v1", { allowRegistries: ["GHCR.io"] }).registry,
    "ghcr.io",
  );
});

Deno.test("checkImagePolicy requires a digest when asked", () => {
  assert.throws(
    () => checkImagePolicy("zu:1", { allowRegistries: ["local"], requireDigest: true }),
    /not pinned by digest/,
  );
  checkImagePolicy(`zu:1@sha256:${HEX}`, { allowRegistries: ["local"], requireDigest: true });
});

Deno.test("checkImagePin compares the pin with the local image id or repo digests", () => {
  const ref = parseImageRef("zu:1");
  const policy = { allowRegistries: ["local"], pins: { "zu:1": `sha256:${HEX}` } };
  checkImagePin(ref, policy, { id: `sha256:${HEX}`, repoDigests: [] });
  checkImagePin(ref, policy, { id: "sha256:other", repoDigests: [`zu@sha256:${HEX}`] });
  assert.throws(
    () => checkImagePin(ref, policy, { id: "sha256:other", repoDigests: [] }),
    /not the pinned/,
  );
  checkImagePin(parseImageRef("free:1"), policy, { id: "sha256:whatever", repoDigests: [] });
});
