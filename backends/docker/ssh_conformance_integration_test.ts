// The SandboxBackend conformance suite through DOCKER_HOST=ssh://: LocalDockerBackend on the
// endpoint of a throwaway sshd on 127.0.0.1 (testing/test_sshd.ts) whose logins run
// `docker system dial-stdio` against this host's daemon. One sshd for the whole file; the last
// test stops it and deletes what it made.
import { runSandboxBackendConformance } from "../../testing/sandbox_conformance.ts";
import { startTestSshd, type TestSshd, testSshdMissing } from "../../testing/test_sshd.ts";
import { dockerTest } from "../../testing/docker.ts";
import { attackImage } from "./_test_images.ts";
import { tempStoreBackend, zuLeftovers } from "./_conformance_fixture.ts";

const missing = testSshdMissing();
let shared: Promise<TestSshd> | undefined;

runSandboxBackendConformance("LocalDockerBackend through ssh://", async () => {
  await attackImage();
  const sshd = await (shared ??= startTestSshd());
  return await tempStoreBackend({ endpoint: sshd.endpoint }, "zu-conf-ssh-snap-");
}, {
  leftovers: zuLeftovers,
  register: (name, fn) => dockerTest(name, fn, { hostMissing: missing }),
});

dockerTest("stop the sshd of the ssh conformance suite", async () => {
  const s = shared;
  shared = undefined;
  if (s) await (await s).stop();
}, { hostMissing: missing });
