// The SandboxBackend conformance suite against a remote engine: LocalDockerBackend on a second
// dockerd this file starts on 127.0.0.1 with mutual TLS and certificates it makes
// (testing/second_dockerd.ts), reached through the same endpoint rule as DOCKER_HOST=tcp://.
// One daemon for the whole file; the last test stops it and deletes everything it made.
import { runSandboxBackendConformance } from "../../testing/sandbox_conformance.ts";
import {
  secondDockerdMissing,
  sharedSecondDockerd,
  stopSharedSecondDockerd,
} from "../../testing/second_dockerd.ts";
import { dockerTest } from "../../testing/docker.ts";
import type { SandboxBackend } from "../../core/types.ts";
import { attackImage } from "./_test_images.ts";
import { LocalDockerBackend } from "./local_docker_backend.ts";
import { SnapshotStore } from "./snapshot_store.ts";

const missing = secondDockerdMissing();

/** A backend on the second daemon whose snapshot store is a temporary directory. */
class RemoteTempStoreBackend extends LocalDockerBackend {
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

runSandboxBackendConformance("LocalDockerBackend over TLS (second dockerd)", async () => {
  await attackImage(); // built on the main daemon; the second daemon gets a copy when it starts
  const d = await sharedSecondDockerd();
  return new RemoteTempStoreBackend(
    { endpoint: d.endpoint },
    await Deno.makeTempDir({ prefix: "zu-conf-remote-snap-" }),
  );
}, {
  leftovers,
  register: (name, fn) => dockerTest(name, fn, { hostMissing: missing }),
});

dockerTest("stop the second dockerd of the remote conformance suite", stopSharedSecondDockerd, {
  hostMissing: missing,
});
