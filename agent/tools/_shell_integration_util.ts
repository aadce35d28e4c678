// Test helper for shell_integration_test.ts: a LocalDockerBackend that records the sandboxes it
// launches and the runtime image (built if missing). The tools run through the backend's own exec
// session (`LocalDockerBackend.session(handle)`, zu-session in the runtime image).
import { buildRuntimeImage, RUNTIME_IMAGE } from "../../backends/docker/image_build.ts";
import { dockerSocketPath, openDockerClient } from "../../backends/docker/docker_client.ts";
import {
  type DockerSandboxHandle,
  LocalDockerBackend,
} from "../../backends/docker/local_docker_backend.ts";
import type { SandboxHandle, SandboxSpec } from "../../core/types.ts";

let runtime: Promise<string> | undefined;

/** The runtime image tag, built only when missing (a rebuild check can wait on other builds). */
export function runtimeImage(): Promise<string> {
  runtime ??= (async () => {
    const docker = await openDockerClient(dockerSocketPath());
    try {
      await docker.getImage(RUNTIME_IMAGE).inspect();
    } catch {
      await buildRuntimeImage();
    }
    return RUNTIME_IMAGE;
  })();
  return runtime;
}

/** A LocalDockerBackend that keeps the handles it launched (to check they are gone). */
export class RecordingDockerBackend extends LocalDockerBackend {
  /** Every sandbox launched, in order. */
  readonly handles: SandboxHandle[] = [];
  /** Every spec launched, in order. */
  readonly specs: SandboxSpec[] = [];

  /** Launches and records. */
  override async launch(spec: SandboxSpec): Promise<DockerSandboxHandle> {
    const handle = await super.launch(spec);
    this.specs.push(spec);
    this.handles.push(handle);
    return handle;
  }
}
