/**
 * `buildShellRuntimeImage`: the runtime image (deno, zu's sources and the `zu-session` agent)
 * plus the host's static busybox as `/bin/sh` and a few applets, for sandboxes and tests whose
 * commands need a shell. Built locally (nothing pulled), labelled with a content hash, skipped when
 * up to date; it inherits the runtime image's `zu.session.agent` label.
 *
 * @example
 * ```ts ignore
 * import { buildShellRuntimeImage } from "./session_shell_image.ts";
 * const tag = await buildShellRuntimeImage({ runtimeTag: "zu-runtime:dev", tag: "zu-shell:dev" });
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { buildRuntimeImage } from "./image_build.ts";
import { buildLabelled, connectDaemon, fileEntry, imageState } from "./_image_daemon.ts";
import type { TarEntry } from "./_tar.ts";

/** The busybox applets linked into `/bin`. */
export const SHELL_APPLETS: readonly string[] = Object.freeze([
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
]);

/** Options of {@linkcode buildShellRuntimeImage}. */
export interface ShellRuntimeImageOptions {
  /** The runtime image tag to build (from this checkout) and start from. */
  runtimeTag: string;
  /** The tag of the result. */
  tag: string;
  /** The static busybox. Default `/bin/busybox` (Debian `busybox-static`). */
  busyboxPath?: string;
}

/** Builds (or finds up to date) the runtime image and the shell image on top; returns the tag. */
export async function buildShellRuntimeImage(options: ShellRuntimeImageOptions): Promise<string> {
  const runtime = await buildRuntimeImage({ tag: options.runtimeTag });
  const docker = await connectDaemon({});
  const busybox = await Deno.readFile(options.busyboxPath ?? "/bin/busybox");
  const hash = createHash("sha256").update(runtime.hash).update(busybox)
    .update(SHELL_APPLETS.join()).digest("hex");
  const before = await imageState(docker, options.tag);
  if (before?.hash === hash) return options.tag;
  const entries: TarEntry[] = [
    { type: "dir", path: "rootfs", mode: 0o755 },
    { type: "dir", path: "rootfs/bin", mode: 0o755 },
    fileEntry("rootfs/bin/busybox", busybox, 0o755),
    ...SHELL_APPLETS.map((a): TarEntry => ({
      type: "symlink",
      path: `rootfs/bin/${a}`,
      target: "busybox",
    })),
    fileEntry(
      "Dockerfile",
      new TextEncoder().encode(
        `FROM ${options.runtimeTag}\nCOPY rootfs/ /\nENV PATH=/usr/local/bin:/bin\n`,
      ),
    ),
  ];
  await buildLabelled(docker, entries, { tag: options.tag, hash, previousId: before?.id });
  return options.tag;
}
