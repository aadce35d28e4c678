// Test helper: the images the session tests use, built from this checkout under their own tags
// (so another checkout rebuilding zu-runtime:<version> cannot swap the agent under a test):
// `zu-runtime:session-test` (the runtime image: deno and /opt/zu, no shell) and
// `zu-session-sh:test` (the same plus the host's static busybox as /bin/sh and its applets).
import { createHash } from "node:crypto";
import { buildRuntimeImage } from "./image_build.ts";
import { buildLabelled, connectDaemon, fileEntry, imageState } from "./_image_daemon.ts";
import type { TarEntry } from "./_tar.ts";
import type { DockerClient } from "./docker_client.ts";

/** The runtime image of this checkout, for the session tests. */
export const SESSION_RUNTIME_IMAGE = "zu-runtime:session-test";
/** The runtime image plus busybox, for the session tests that need a shell. */
export const SESSION_SHELL_IMAGE = "zu-session-sh:test";

const BUSYBOX = Deno.env.get("ZU_TEST_BUSYBOX") || "/bin/busybox";
const APPLETS = [
  "sh",
  "sleep",
  "cat",
  "echo",
  "head",
  "ps",
  "id",
  "ls",
  "true",
  "kill",
  "wc",
  "grep",
  "base64",
];

let built: Promise<{ runtime: string; shell: string }> | undefined;

async function build(): Promise<{ runtime: string; shell: string }> {
  const runtime = await buildRuntimeImage({ tag: SESSION_RUNTIME_IMAGE });
  const docker = await connectDaemon({});
  const busybox = await Deno.readFile(BUSYBOX);
  const hash = createHash("sha256").update(runtime.hash).update(busybox).update(APPLETS.join())
    .digest("hex");
  const before = await imageState(docker, SESSION_SHELL_IMAGE);
  if (before?.hash !== hash) {
    const entries: TarEntry[] = [
      { type: "dir", path: "rootfs", mode: 0o755 },
      { type: "dir", path: "rootfs/bin", mode: 0o755 },
      fileEntry("rootfs/bin/busybox", busybox, 0o755),
      ...APPLETS.map((a): TarEntry => ({
        type: "symlink",
        path: `rootfs/bin/${a}`,
        target: "busybox",
      })),
      fileEntry(
        "Dockerfile",
        new TextEncoder().encode(
          `FROM ${SESSION_RUNTIME_IMAGE}\nCOPY rootfs/ /\nENV PATH=/usr/local/bin:/bin\n`,
        ),
      ),
    ];
    await buildLabelled(docker, entries, {
      tag: SESSION_SHELL_IMAGE,
      hash,
      previousId: before?.id,
    });
  }
  return { runtime: SESSION_RUNTIME_IMAGE, shell: SESSION_SHELL_IMAGE };
}

/** Both session test images, built once per process when missing or stale. */
export function sessionImages(): Promise<{ runtime: string; shell: string }> {
  built ??= build();
  return built;
}

/** Removes both test images (containers using them must be gone). */
export async function removeSessionImages(docker: DockerClient): Promise<void> {
  for (const tag of [SESSION_SHELL_IMAGE, SESSION_RUNTIME_IMAGE]) {
    await docker.getImage(tag).remove({ force: true }).catch(() => {});
  }
}
