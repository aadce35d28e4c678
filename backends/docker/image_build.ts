/**
 * Builds zu's container images locally, with no registry: `zu-runtime:<version>` (the host's
 * Deno binary, its shared libraries and zu's sources on `FROM scratch`) and `zu-attack:<version>`
 * (static busybox and small static probes, for the attack tests).
 *
 * The build context is streamed as a tar to the daemon (`POST /build`); nothing is pulled. Every
 * image carries a `zu.image.hash` label (sha256 of every path, mode and byte placed in it); a
 * rerun with the same content finds the label and skips the build.
 *
 * @example
 * ```ts ignore
 * import { buildRuntimeImage } from "./image_build.ts";
 * const { tag, built } = await buildRuntimeImage({ onProgress: (l) => console.error(l) });
 * console.log(tag, built ? "built" : "already present");
 * ```
 * @module
 */
import type { DockerEndpoint } from "./docker_endpoint.ts";
import type { DockerClient } from "./docker_client.ts";
import { createHash } from "node:crypto";
import { UserError } from "../../core/errors.ts";
import { isProgramMissing, missingProgram } from "../../core/environment_errors.ts";
import denoConfig from "../../deno.json" with { type: "json" };
import {
  buildLabelled,
  connectDaemon,
  defaultProjectRoot,
  exists,
  fileEntry,
  imageState,
} from "./_image_daemon.ts";
import { type TarEntry, tarStream } from "./_tar.ts";
import { concatBytes } from "../../core/bytes.ts";
import { isStaticElf } from "./_elf.ts";
import {
  SESSION_AGENT_LABEL,
  SESSION_AGENT_PATH,
  SETSID_HELPER_PATH,
} from "./session_agent/agent_path.ts";
import { compileSetsidHelper } from "./setsid_helper.ts";

/** The zu version from deno.json (used as the image tag). */
export const ZU_VERSION: string = (denoConfig as { version?: string }).version ?? "dev";
/** Default runtime image tag. */
export const RUNTIME_IMAGE: string = `zu-runtime:${ZU_VERSION}`;
/** Default attack-test image tag. */
export const ATTACK_IMAGE: string = `zu-attack:${ZU_VERSION}`;
/** The unprivileged user of both images. */
export const ZU_UID = 10001;

/** Options of {@linkcode buildRuntimeImage} and {@linkcode buildAttackImage}. */
export interface BuildImageOptions {
  /** dockerode client. Default: a client on `socketPath`. */
  docker?: DockerClient;
  /** Daemon socket. Default `/var/run/docker.sock` (or `DOCKER_HOST` `unix://`). */
  socketPath?: string;
  /** Daemon endpoint (`tcp://` with TLS too). Default: `DOCKER_HOST` and friends. */
  endpoint?: DockerEndpoint;
  /** Image tag. Default `zu-runtime:<version>` / `zu-attack:<version>`. */
  tag?: string;
  /** Deno binary to ship. Default `Deno.execPath()`. */
  denoPath?: string;
  /** The zu checkout whose sources are shipped. Default: the checkout this file is in. */
  projectRoot?: string;
  /** busybox binary for the attack image. Default `/bin/busybox` (Debian `busybox-static`). */
  busyboxPath?: string;
  /**
   * C compiler for the static helpers (the attack image's probe, the runtime image's
   * `zu-setsid`). Default `gcc` (Debian `gcc libc6-dev`).
   */
  cc?: string;
  /** Build even when an image with the same content hash exists. Default `false`. */
  force?: boolean;
  /** Build progress lines. */
  onProgress?: (line: string) => void;
  /** Cancels the build. */
  signal?: AbortSignal;
}

/** What a build did. */
export interface BuildImageResult {
  /** The image tag. */
  tag: string;
  /** sha256 of the image content (the `zu.image.hash` label). */
  hash: string;
  /** `false` when an image with this hash was already present. */
  built: boolean;
}

const SOURCE_DIRS = ["core", "agent", "sinks", "backends", "harness", "seccomp", "cli", "images"];
const SOURCE_FILES = ["deno.json", "deno.lock", "mod.ts"];

async function run(cmd: string, args: string[]): Promise<string> {
  // `output()` throws a missing permission synchronously: the promise wraps it for `.catch`.
  const out = await Promise.resolve()
    .then(() => new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output())
    .catch((e) => {
      if (e instanceof Deno.errors.NotCapable) {
        throw new UserError(
          "run_permission_missing",
          `Cannot build image: this process may not run "${cmd}"; start zu with --allow-run=deno,${cmd} (as "deno task zu" and the README's install command do)`,
          { cause: e },
        );
      }
      throw isProgramMissing(e) ? missingProgram("build image", cmd, { cause: e }) : e;
    });
  if (!out.success) {
    throw new UserError(
      "image_build_failed",
      `Cannot build image: "${cmd} ${args.join(" ")}" failed: ${
        new TextDecoder().decode(out.stderr).trim()
      }`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/** Shared libraries (and the loader) a dynamic binary needs, parsed from `ldd`. */
export function parseLdd(output: string): string[] {
  const paths = new Set<string>();
  for (const line of output.split("\n")) {
    const arrow = line.match(/=>\s*(\/\S+)/);
    if (arrow?.[1]) {
      paths.add(arrow[1]);
      continue;
    }
    const bare = line.trim().match(/^(\/\S+)\s+\(0x/);
    if (bare?.[1]) paths.add(bare[1]);
  }
  return [...paths];
}

function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

function baseEtc(): TarEntry[] {
  return [
    { type: "dir", path: "rootfs/etc", mode: 0o755 },
    fileEntry(
      "rootfs/etc/passwd",
      text(
        `root:x:0:0:root:/root:/sbin/nologin\nzu:x:${ZU_UID}:${ZU_UID}:zu:/home/zu:/sbin/nologin\n` +
          "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n",
      ),
    ),
    fileEntry("rootfs/etc/group", text(`root:x:0:\nzu:x:${ZU_UID}:\nnogroup:x:65534:\n`)),
    fileEntry("rootfs/etc/nsswitch.conf", text("passwd: files\ngroup: files\nhosts: files dns\n")),
    { type: "dir", path: "rootfs/tmp", mode: 0o1777 },
    { type: "dir", path: "rootfs/home", mode: 0o755 },
    { type: "dir", path: "rootfs/home/zu", mode: 0o755 },
  ];
}

async function* walk(
  root: string,
  rel: string,
): AsyncGenerator<{ rel: string; info: Deno.FileInfo }> {
  const entries: string[] = [];
  for await (const e of Deno.readDir(`${root}/${rel}`)) entries.push(e.name);
  entries.sort();
  for (const name of entries) {
    const childRel = `${rel}/${name}`;
    const info = await Deno.lstat(`${root}/${childRel}`);
    yield { rel: childRel, info };
    if (info.isDirectory) yield* walk(root, childRel);
  }
}

function skipSource(rel: string): boolean {
  return /_test\.ts$/.test(rel) || /(^|\/)(\.zu|cov|\.git)(\/|$)/.test(rel);
}

async function treeEntries(
  root: string,
  rel: string,
  dest: string,
  skip: (rel: string) => boolean,
): Promise<TarEntry[]> {
  const out: TarEntry[] = [{ type: "dir", path: `${dest}/${rel}`, mode: 0o755 }];
  for await (const { rel: child, info } of walk(root, rel)) {
    if (skip(child)) continue;
    const path = `${dest}/${child}`;
    if (info.isSymlink) {
      const target = await Deno.readLink(`${root}/${child}`);
      out.push({ type: "symlink", path, target });
    } else if (info.isDirectory) {
      out.push({ type: "dir", path, mode: 0o755 });
    } else if (info.isFile) {
      out.push(fileEntry(path, `${root}/${child}`, (info.mode ?? 0o644) & 0o111 ? 0o755 : 0o644));
    }
  }
  return out;
}

/** The build context of the runtime image (exported for tests). */
export async function runtimeContext(
  options: { denoPath?: string; projectRoot?: string; hash?: string; setsidPath?: string } = {},
): Promise<TarEntry[]> {
  const denoPath = await Deno.realPath(options.denoPath ?? Deno.execPath());
  const root = options.projectRoot ?? defaultProjectRoot();
  const entries: TarEntry[] = [
    { type: "dir", path: "rootfs", mode: 0o755 },
    ...baseEtc(),
    { type: "dir", path: "rootfs/etc/ssl", mode: 0o755 },
    { type: "dir", path: "rootfs/etc/ssl/certs", mode: 0o755 },
    { type: "dir", path: "rootfs/usr", mode: 0o755 },
    { type: "dir", path: "rootfs/usr/local", mode: 0o755 },
    { type: "dir", path: "rootfs/usr/local/bin", mode: 0o755 },
    fileEntry("rootfs/usr/local/bin/deno", denoPath, 0o755),
    ...(options.setsidPath
      ? [fileEntry(`rootfs${SETSID_HELPER_PATH}`, options.setsidPath, 0o755)]
      : []),
    { type: "dir", path: "rootfs/opt", mode: 0o755 },
    { type: "dir", path: "rootfs/opt/zu", mode: 0o755 },
  ];
  const ca = "/etc/ssl/certs/ca-certificates.crt";
  if (await exists(ca)) entries.push(fileEntry(`rootfs${ca}`, ca));
  const dirs = new Set<string>(["rootfs"]);
  for (const lib of parseLdd(await run("ldd", [denoPath]))) {
    const parts = lib.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dir = `rootfs/${parts.slice(0, i).join("/")}`;
      if (!dirs.has(dir)) {
        dirs.add(dir);
        entries.push({ type: "dir", path: dir, mode: 0o755 });
      }
    }
    entries.push(fileEntry(`rootfs${lib}`, await Deno.realPath(lib), 0o755));
  }
  for (const dir of SOURCE_DIRS) {
    if (await exists(`${root}/${dir}`)) {
      entries.push(...await treeEntries(root, dir, "rootfs/opt/zu", skipSource));
    }
  }
  for (const file of SOURCE_FILES) {
    if (await exists(`${root}/${file}`)) {
      entries.push(fileEntry(`rootfs/opt/zu/${file}`, `${root}/${file}`));
    }
  }
  if (await exists(`${root}/node_modules`)) {
    entries.push(...await treeEntries(root, "node_modules", "rootfs/opt/zu", () => false));
  }
  const dockerfile = [
    "FROM scratch",
    "COPY rootfs/ /",
    "ENV PATH=/usr/local/bin DENO_DIR=/tmp/.deno HOME=/home/zu NO_COLOR=1 DENO_NO_UPDATE_CHECK=1",
    `USER ${ZU_UID}:${ZU_UID}`,
    "WORKDIR /opt/zu",
    `LABEL zu.image.kind=runtime zu.image.hash=${
      options.hash ?? "pending"
    } ${SESSION_AGENT_LABEL}=${SESSION_AGENT_PATH}`,
    'CMD ["/usr/local/bin/deno", "eval", "setInterval(() => {}, 2147483647)"]',
  ].join("\n");
  entries.push(fileEntry("Dockerfile", text(dockerfile + "\n")));
  return entries;
}

const PROBE_SOURCE = new URL("../../images/attack/zu_probe.c", import.meta.url);

/** The build context of the attack image (exported for tests). */
export async function attackContext(
  options: { busyboxPath?: string; hash?: string; probePath?: string } = {},
): Promise<TarEntry[]> {
  const busybox = options.busyboxPath ?? "/bin/busybox";
  if (!(await exists(busybox))) {
    throw missingProgram("build the attack image", busybox);
  }
  if ((await isStaticElf(busybox)) === false) {
    throw new UserError(
      "program_missing",
      `Cannot build the attack image: "${busybox}" is dynamically linked and cannot run in an image FROM scratch; install Debian "busybox-static" (apt-get install busybox-static)`,
    );
  }
  const applets = (await run(busybox, ["--list"])).split("\n").map((s) => s.trim()).filter(Boolean);
  const entries: TarEntry[] = [
    { type: "dir", path: "rootfs", mode: 0o755 },
    ...baseEtc(),
    { type: "dir", path: "rootfs/bin", mode: 0o755 },
    fileEntry("rootfs/bin/busybox", busybox, 0o755),
  ];
  for (const applet of applets) {
    if (applet === "busybox" || applet.includes("/")) continue;
    entries.push({ type: "symlink", path: `rootfs/bin/${applet}`, target: "busybox" });
  }
  if (options.probePath) {
    entries.push(fileEntry("rootfs/bin/zu-probe", options.probePath, 0o755));
    // A set-uid-root copy: no-new-privileges must keep it from ever running as root. The legacy
    // builder's COPY drops set-uid bits, ADD of a local tar keeps them: so it ships in suid.tar.
    const inner: Uint8Array[] = [];
    for await (
      const chunk of tarStream([
        { type: "dir", path: "bin", mode: 0o755 },
        {
          type: "file",
          path: "bin/zu-probe-suid",
          source: await Deno.readFile(options.probePath),
          mode: 0o4755,
        },
      ])
    ) inner.push(chunk);
    entries.push(fileEntry("suid.tar", concatBytes(inner)));
  }
  const dockerfile = [
    "FROM scratch",
    "COPY rootfs/ /",
    ...(options.probePath ? ["ADD suid.tar /"] : []),
    "ENV PATH=/bin HOME=/home/zu",
    `USER ${ZU_UID}:${ZU_UID}`,
    "WORKDIR /home/zu",
    `LABEL zu.image.kind=attack zu.image.hash=${options.hash ?? "pending"}`,
    'CMD ["/bin/sleep", "infinity"]',
  ].join("\n");
  entries.push(fileEntry("Dockerfile", text(dockerfile + "\n")));
  return entries;
}

/** sha256 over every entry's path, type, mode and bytes (Dockerfile label excluded). */
export async function contextHash(entries: TarEntry[]): Promise<string> {
  const hash = createHash("sha256");
  for (const e of entries) {
    if (e.path === "Dockerfile") continue;
    hash.update(`${e.type}\0${e.path}\0`);
    if (e.type === "symlink") hash.update(`${e.target}\0`);
    else hash.update(`${e.mode.toString(8)}\0`);
    if (e.type === "file") {
      if (typeof e.source !== "string") {
        hash.update(e.source);
      } else {
        const file = await Deno.open(e.source, { read: true });
        try {
          const buf = new Uint8Array(1 << 20);
          while (true) {
            const n = await file.read(buf);
            if (n === null) break;
            hash.update(buf.subarray(0, n));
          }
        } finally {
          file.close();
        }
      }
    }
  }
  return hash.digest("hex");
}

async function buildFromEntries(
  kind: string,
  tag: string,
  make: (hash?: string) => Promise<TarEntry[]>,
  options: BuildImageOptions,
): Promise<BuildImageResult> {
  const docker = await connectDaemon(options);
  const hash = await contextHash(await make());
  const before = await imageState(docker, tag);
  if (!options.force && before?.hash === hash) {
    options.onProgress?.(`${kind} image "${tag}" is up to date (${hash.slice(0, 12)})`);
    return { tag, hash, built: false };
  }
  const entries = await make(hash);
  options.onProgress?.(`building ${kind} image "${tag}" (${entries.length} entries)`);
  await buildLabelled(docker, entries, {
    tag,
    hash,
    previousId: before?.id,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  return { tag, hash, built: true };
}

/**
 * Builds `zu-runtime:<version>`: the host's Deno binary and the libraries `ldd` names, the
 * loader, passwd/group with the unprivileged user `zu` (uid 10001), CA certificates, zu's
 * sources and `node_modules` under `/opt/zu`, on `FROM scratch`. Needs `--allow-run=ldd`.
 *
 * @example
 * ```ts ignore
 * import { buildRuntimeImage } from "./image_build.ts";
 * await buildRuntimeImage();
 * ```
 */
export async function buildRuntimeImage(
  options: BuildImageOptions = {},
): Promise<BuildImageResult> {
  const tag = options.tag ?? RUNTIME_IMAGE;
  const setsid = await compileSetsidHelper(options.cc);
  try {
    const make = (hash?: string) =>
      runtimeContext({
        ...(options.denoPath !== undefined ? { denoPath: options.denoPath } : {}),
        ...(options.projectRoot !== undefined ? { projectRoot: options.projectRoot } : {}),
        ...(setsid ? { setsidPath: setsid.path } : {}),
        ...(hash !== undefined ? { hash } : {}),
      });
    return await buildFromEntries("runtime", tag, make, options);
  } finally {
    await setsid?.remove();
  }
}

async function compileProbe(cc = "gcc"): Promise<string | undefined> {
  if (PROBE_SOURCE.protocol !== "file:") return undefined;
  const source = decodeURIComponent(PROBE_SOURCE.pathname);
  if (!(await exists(source))) return undefined;
  const dir = await Deno.makeTempDir({ prefix: "zu-probe-" });
  const out = `${dir}/zu-probe`;
  try {
    await run(cc, ["-static", "-O2", "-o", out, source]);
    return out;
  } catch {
    return undefined;
  }
}

/**
 * Builds `zu-attack:<version>`: static busybox with every applet linked in `/bin`, plus the
 * static `zu-probe` syscall prober (compiled with the host's `gcc -static` when available) and a
 * set-uid-root copy of it, on `FROM scratch`, running as uid 10001.
 *
 * @example
 * ```ts ignore
 * import { buildAttackImage } from "./image_build.ts";
 * await buildAttackImage();
 * ```
 */
export async function buildAttackImage(options: BuildImageOptions = {}): Promise<BuildImageResult> {
  const tag = options.tag ?? ATTACK_IMAGE;
  const probe = await compileProbe(options.cc);
  try {
    const make = (hash?: string) =>
      attackContext({
        ...(options.busyboxPath !== undefined ? { busyboxPath: options.busyboxPath } : {}),
        ...(probe !== undefined ? { probePath: probe } : {}),
        ...(hash !== undefined ? { hash } : {}),
      });
    return await buildFromEntries("attack", tag, make, options);
  } finally {
    if (probe) {
      await Deno.remove(probe.replace(/\/zu-probe$/, ""), { recursive: true }).catch(() => {});
    }
  }
}
