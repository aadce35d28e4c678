/**
 * `buildGitRuntimeImage`: an image FROM an existing runtime image plus the host's `git` (with
 * `git-remote-http(s)`) and the shared libraries `ldd` names for them, and the host's static
 * busybox as `/bin/sh`, so an agent's `shell` tool can `git clone`, `commit` and `push` through
 * the git gate. Built locally (nothing pulled), labelled with a content hash, skipped when up to
 * date. The base image is used as it is, never rebuilt.
 *
 * @example
 * ```ts ignore
 * import { buildGitRuntimeImage } from "./git_image.ts";
 * const tag = await buildGitRuntimeImage({ baseTag: "zu-runtime:0.1.0", tag: "zu-git:dev" });
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { buildLabelled, connectDaemon, fileEntry, imageState } from "./_image_daemon.ts";
import type { TarEntry } from "./_tar.ts";
import { parseLdd, ZU_VERSION } from "./image_build.ts";

/** The tag of the git runtime image (the gated `shell` sandbox's, unless `$ZU_GATE_IMAGE`). */
export const GIT_RUNTIME_IMAGE = `zu-runtime-git:${ZU_VERSION}`;

/** The busybox applets linked into `/bin` of the git image. */
export const GIT_IMAGE_APPLETS: readonly string[] = Object.freeze([
  "sh",
  "cat",
  "echo",
  "ls",
  "mkdir",
  "rm",
  "sed",
  "grep",
  "head",
  "true",
  "env",
  "printf",
  "test",
]);

/** Options of {@linkcode buildGitRuntimeImage}. */
export interface GitRuntimeImageOptions {
  /** An existing image to start from (not rebuilt). */
  baseTag: string;
  /** The tag of the result. */
  tag: string;
  /** The static busybox. Default `/bin/busybox`. */
  busyboxPath?: string;
  /** The git binary. Default `/usr/bin/git`. */
  gitPath?: string;
  /** git's exec path (`git --exec-path`). Default `/usr/lib/git-core`. */
  execPath?: string;
}

async function ldd(path: string): Promise<string[]> {
  const out = await new Deno.Command("ldd", { args: [path], stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(`ldd ${path} failed`);
  return parseLdd(new TextDecoder().decode(out.stdout));
}

/** Builds (or finds up to date) the git image on top of `baseTag`; returns the tag. */
export async function buildGitRuntimeImage(options: GitRuntimeImageOptions): Promise<string> {
  const docker = await connectDaemon({});
  const base = await imageState(docker, options.baseTag);
  if (base === null) throw new Error(`Cannot build the git image: "${options.baseTag}" is absent`);
  const git = options.gitPath ?? "/usr/bin/git";
  const exec = options.execPath ?? "/usr/lib/git-core";
  const remote = `${exec}/git-remote-http`;
  const files = new Map<string, string>([[git, git], [remote, remote]]);
  for (const lib of [...await ldd(git), ...await ldd(remote)]) files.set(lib, lib);
  const hash = createHash("sha256").update(base.id);
  const entries: TarEntry[] = [];
  const dirs = new Set<string>(["rootfs"]);
  const addDirs = (path: string) => {
    const parts = path.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push({ type: "dir", path: d, mode: 0o755 });
      }
    }
  };
  for (const [dest, src] of [...files].sort()) {
    const bytes = await Deno.readFile(src);
    hash.update(dest).update(bytes);
    addDirs(`rootfs${dest}`);
    entries.push(fileEntry(`rootfs${dest}`, bytes, 0o755));
  }
  entries.push({
    type: "symlink",
    path: `rootfs${exec}/git-remote-https`,
    target: "git-remote-http",
  });
  const busybox = await Deno.readFile(options.busyboxPath ?? "/bin/busybox");
  hash.update(busybox).update(GIT_IMAGE_APPLETS.join());
  addDirs("rootfs/bin/busybox");
  entries.push(fileEntry("rootfs/bin/busybox", busybox, 0o755));
  for (const a of GIT_IMAGE_APPLETS) {
    entries.push({ type: "symlink", path: `rootfs/bin/${a}`, target: "busybox" });
  }
  entries.push(fileEntry(
    "Dockerfile",
    new TextEncoder().encode(
      `FROM ${options.baseTag}\nCOPY rootfs/ /\nENV PATH=/usr/local/bin:/usr/bin:/bin\n`,
    ),
  ));
  const digest = hash.digest("hex");
  const before = await imageState(docker, options.tag);
  if (before?.hash === digest) return options.tag;
  await buildLabelled(docker, entries, { tag: options.tag, hash: digest, previousId: before?.id });
  return options.tag;
}
