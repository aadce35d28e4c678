/**
 * What the SandboxBackend conformance files share (local daemon, TLS, ssh): a `LocalDockerBackend`
 * whose snapshot store is a temporary directory removed on dispose, and the suite's `leftovers`
 * question (what of a run still carries its label on the engine). Test-only.
 *
 * @module
 */
import type { SandboxBackend } from "../../core/types.ts";
import { LocalDockerBackend, type LocalDockerBackendOptions } from "./local_docker_backend.ts";
import { SnapshotStore } from "./snapshot_store.ts";

/** A backend whose snapshot store is a temporary directory, removed when it is disposed. */
class TempStoreBackend extends LocalDockerBackend {
  #dir: string;
  constructor(options: LocalDockerBackendOptions, dir: string) {
    super({ ...options, snapshotStore: new SnapshotStore(dir) });
    this.#dir = dir;
  }
  override async [Symbol.asyncDispose](): Promise<void> {
    await super[Symbol.asyncDispose]();
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

/** A `LocalDockerBackend` with `options` and a throwaway snapshot store (prefix names the file). */
export async function tempStoreBackend(
  options: LocalDockerBackendOptions,
  prefix: string,
): Promise<LocalDockerBackend> {
  return new TempStoreBackend(options, await Deno.makeTempDir({ prefix }));
}

/** The containers, volumes and networks labelled with `runId` still on the backend's engine. */
export async function zuLeftovers(backend: SandboxBackend, runId: string): Promise<string[]> {
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
