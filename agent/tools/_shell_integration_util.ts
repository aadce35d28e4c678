// Test helper for shell_integration_test.ts: a LocalDockerBackend that records the sandboxes it
// launches, the runtime image (built if missing or stale), and the minimal plain-exec session the
// tools use until the backend has an exec session of its own (`session(handle)`, lane "session";
// once merged, `Shell({ backend })` picks that up by itself).
import { buildRuntimeImage, RUNTIME_IMAGE } from "../../backends/docker/image_build.ts";
import { dockerSocketPath, openDockerClient } from "../../backends/docker/docker_client.ts";
import {
  type DockerSandboxHandle,
  LocalDockerBackend,
} from "../../backends/docker/local_docker_backend.ts";
import type { ExecSession, SandboxHandle, SandboxSpec } from "../../core/types.ts";
import { backendExecSession } from "./backend_exec_session.ts";

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

/** The plain-exec {@link ExecSession} over `execEntrypoint` (the integrator swaps in the real one). */
export function plainExecSession(backend: LocalDockerBackend, handle: SandboxHandle): ExecSession {
  return backendExecSession(backend, handle);
}
