// Test helper: the images the session tests use, built from this checkout under their own tags
// (so another checkout rebuilding zu-runtime:<version> cannot swap the agent under a test):
// `zu-runtime:session-test` (the runtime image: deno and /opt/zu, no shell) and
// `zu-session-sh:test` (the same plus the host's static busybox as /bin/sh and its applets).
// ZU_SESSION_IMAGE_TAG=<t> makes them `zu-runtime:<t>` and `zu-session-sh:<t>`, so that checkouts
// testing different agents side by side on one daemon do not swap each other's images.
import type { DockerClient } from "./docker_client.ts";
import { buildShellRuntimeImage } from "./session_shell_image.ts";

const TAG = Deno.env.get("ZU_SESSION_IMAGE_TAG") || "";
/** The runtime image of this checkout, for the session tests. */
export const SESSION_RUNTIME_IMAGE = `zu-runtime:${TAG || "session-test"}`;
/** The runtime image plus busybox, for the session tests that need a shell. */
export const SESSION_SHELL_IMAGE = `zu-session-sh:${TAG || "test"}`;

let built: Promise<{ runtime: string; shell: string }> | undefined;

/** Both session test images, built once per process when missing or stale. */
export function sessionImages(): Promise<{ runtime: string; shell: string }> {
  built ??= buildShellRuntimeImage({
    runtimeTag: SESSION_RUNTIME_IMAGE,
    tag: SESSION_SHELL_IMAGE,
    busyboxPath: Deno.env.get("ZU_TEST_BUSYBOX") || "/bin/busybox",
  }).then((shell) => ({ runtime: SESSION_RUNTIME_IMAGE, shell }));
  return built;
}

/** Removes both test images (containers using them must be gone). */
export async function removeSessionImages(docker: DockerClient): Promise<void> {
  for (const tag of [SESSION_SHELL_IMAGE, SESSION_RUNTIME_IMAGE]) {
    await docker.getImage(tag).remove({ force: true }).catch(() => {});
  }
}
