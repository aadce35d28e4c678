// The SandboxBackend conformance suite through DOCKER_HOST=ssh://: LocalDockerBackend on the
// endpoint of a throwaway sshd on 127.0.0.1 (testing/test_sshd.ts) whose logins run
// `docker system dial-stdio` against this host's daemon. One sshd for the whole file; the last
// test stops it and deletes what it made.
import { runSandboxBackendConformance } from "../../testing/sandbox_conformance.ts";
import { startTestSshd, type TestSshd, testSshdMissing } from "../../testing/test_sshd.ts";
import { dockerTest } from "../../testing/docker.ts";
import type { SandboxBackend } from "../../core/types.ts";
import { attackImage } from "./_test_images.ts";
import { LocalDockerBackend } from "./local_docker_backend.ts";
import { SnapshotStore } from "./snapshot_store.ts";

const missing = testSshdMissing();
let shared: Promise<TestSshd> | undefined;

/** A backend through ssh whose snapshot store is a temporary directory. */
class SshTempStoreBackend extends LocalDockerBackend {
  #dir: string;
  constructor(endpoint: ConstructorParameters<typeof LocalDockerBackend>[0], dir: string) {
    super({ ...endpoint, snapshotStore: new SnapshotStore(dir) });
    this.#dir = dir;
  }
  override async [Symbol.asyncDispose](): Promise<void> {
    await super[Symbol.asyncDispose]();
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

async function leftovers(backend: SandboxBackend, runId: string): Promise<string[]> {
  const docker = await (backend as LocalDockerBackend).client();
  const filters = { label: [`zu.run=${runId}`] };
  const containers = await docker.listContainers({ all: true, filters });
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  const networks = await docker.listNetworks({ filters });
  return [
    ...containers.map((c) => `container ${c.Id}`),
    ...volumes.map((v) => `volume ${v.Name}`),
    ...networks.map((n) => `network ${n.Name}`),
  ];
}

runSandboxBackendConformance("LocalDockerBackend through ssh://", async () => {
  await attackImage();
  const sshd = await (shared ??= startTestSshd());
  return new SshTempStoreBackend(
    { endpoint: sshd.endpoint },
    await Deno.makeTempDir({ prefix: "zu-conf-ssh-snap-" }),
  );
}, {
  leftovers,
  register: (name, fn) => dockerTest(name, fn, { hostMissing: missing }),
});

dockerTest("stop the sshd of the ssh conformance suite", async () => {
  const s = shared;
  shared = undefined;
  if (s) await (await s).stop();
}, { hostMissing: missing });
