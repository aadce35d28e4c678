/**
 * Builds `zu-browser:<version>`, the tier-2 browser image, with no registry.
 *
 * Two stages, each cached:
 *
 * 1. **Root filesystem** (slow, about a minute cold): `debootstrap --variant=minbase` of Debian
 *    from the package mirror apt already uses on this host (read from `/etc/apt/sources.list*`,
 *    never a hard-coded host), then `apt-get install --no-install-recommends` of Debian's
 *    `chromium`, fonts and CA certificates inside the root, apt's caches and docs dropped, and an
 *    unprivileged user `zu` (uid 10001) added. The result is a tarball under the cache directory
 *    (default `/var/cache/zu`) named for a key over suite, mirror, sources and package list, and
 *    imported as `zu-browser-base:<key>`. Reruns reuse the tarball and the imported image.
 * 2. **Runtime layer** (seconds): the host's Deno binary, the in-container renderer and session
 *    server (`images/browser/`), `playwright-core` from the project's `node_modules`, and the
 *    `zu-render` / `zu-browser` entry points, built `FROM zu-browser-base:<key>` by the daemon.
 *    The image carries a `zu.image.hash` label; a rerun with the same content skips the build.
 *
 * Stage 1 needs root, `debootstrap`, `chroot` and `tar` on the host (Debian: `apt-get install
 * debootstrap`).
 *
 * @example
 * ```ts ignore
 * import { buildBrowserImage } from "./browser_image.ts";
 * const r = await buildBrowserImage({ onProgress: (l) => console.error(l) });
 * console.error(r.tag, r.built ? "built" : "up to date", r.timings);
 * ```
 * @module
 */
import type { DockerEndpoint } from "./docker_endpoint.ts";
import type Dockerode from "dockerode";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { UserError, ZuError } from "../../core/errors.ts";
import { isProgramMissing, missingProgram } from "../../core/environment_errors.ts";
import denoConfig from "../../deno.json" with { type: "json" };
import {
  buildLabelled,
  connectDaemon,
  defaultProjectRoot,
  exists,
  fileEntry,
  followProgress,
  imageState,
} from "./_image_daemon.ts";
import type { TarEntry } from "./_tar.ts";
import { contextHash, ZU_UID, ZU_VERSION } from "./image_build.ts";

/** Default browser image tag. */
export const BROWSER_IMAGE: string = `zu-browser:${ZU_VERSION}`;
/** Repository of the cached base (root filesystem) images. */
export const BROWSER_BASE_REPO = "zu-browser-base";
/** Debian packages installed into the root filesystem. */
export const BROWSER_PACKAGES: readonly string[] = Object.freeze([
  "chromium",
  "fonts-dejavu-core",
  "fonts-liberation",
  "ca-certificates",
]);
/** Bumped whenever the root filesystem recipe changes (part of the cache key). */
const RECIPE_VERSION = "1";

/** Options of {@linkcode buildBrowserImage}. */
export interface BuildBrowserImageOptions {
  /** dockerode client. Default: a client on `socketPath`. */
  docker?: Dockerode;
  /** Daemon socket. Default `/var/run/docker.sock` (or `DOCKER_HOST` `unix://`). */
  socketPath?: string;
  /** Daemon endpoint (`tcp://` with TLS too). Default: `DOCKER_HOST` and friends. */
  endpoint?: DockerEndpoint;
  /** Image tag. Default `zu-browser:<version>`. */
  tag?: string;
  /** Deno binary to ship. Default `Deno.execPath()`. */
  denoPath?: string;
  /** The zu checkout (for `images/browser` and `node_modules`). Default: this checkout. */
  projectRoot?: string;
  /** Where root filesystem tarballs are kept. Default `/var/cache/zu`. */
  cacheDir?: string;
  /** Debian suite. Default `bookworm`. */
  suite?: string;
  /** Package mirror. Default: the first Debian archive URI apt uses here. */
  mirror?: string;
  /** apt configuration directory the mirror and sources are read from. Default `/etc/apt`. */
  aptDir?: string;
  /** Packages. Default {@linkcode BROWSER_PACKAGES}. */
  packages?: readonly string[];
  /** Rebuild the runtime layer even when an image with the same hash exists. Default `false`. */
  force?: boolean;
  /** Progress lines. */
  onProgress?: (line: string) => void;
  /** Cancels the build (between steps; a running debootstrap is killed). */
  signal?: AbortSignal;
}

/** What {@linkcode buildBrowserImage} did. */
export interface BuildBrowserImageResult {
  /** The image tag. */
  tag: string;
  /** The `zu.image.hash` label. */
  hash: string;
  /** `false` when an image with this hash was already present. */
  built: boolean;
  /** The base image (`zu-browser-base:<key>`). */
  baseTag: string;
  /** Where the cached root filesystem tarball is. */
  rootfsTarball: string;
  /** Milliseconds per stage (0 when reused). */
  timings: { rootfsMs: number; importMs: number; layerMs: number };
}

/** One apt source entry. */
export interface AptSource {
  /** Archive URI, without a trailing slash. */
  uri: string;
  /** Suites. */
  suites: string[];
  /** Components. */
  components: string[];
  /** `Signed-By` keyring path, when given. */
  signedBy?: string;
}

/** Parses apt sources in both the one-line (`.list`) and deb822 (`.sources`) formats. */
export function parseAptSources(text: string): AptSource[] {
  const out: AptSource[] = [];
  const lines = text.split("\n");
  if (lines.some((l) => /^\s*(Types|URIs)\s*:/i.test(l))) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const fields: Record<string, string> = {};
      for (const line of stanza.split("\n")) {
        if (/^\s*#/.test(line)) continue;
        const m = line.match(/^([A-Za-z-]+)\s*:\s*(.*)$/);
        if (m?.[1] && m[2] !== undefined) fields[m[1].toLowerCase()] = m[2].trim();
      }
      if (!(fields["types"] ?? "").split(/\s+/).includes("deb")) continue;
      if ((fields["enabled"] ?? "yes").toLowerCase() === "no") continue;
      for (const uri of (fields["uris"] ?? "").split(/\s+/).filter(Boolean)) {
        const source: AptSource = {
          uri: uri.replace(/\/+$/, ""),
          suites: (fields["suites"] ?? "").split(/\s+/).filter(Boolean),
          components: (fields["components"] ?? "").split(/\s+/).filter(Boolean),
        };
        if (fields["signed-by"]) source.signedBy = fields["signed-by"];
        out.push(source);
      }
    }
    return out;
  }
  for (const raw of lines) {
    const line = raw.replace(/#.*$/, "").trim();
    const m = line.match(/^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/);
    if (!m?.[2] || !m[3]) continue;
    const source: AptSource = {
      uri: m[2].replace(/\/+$/, ""),
      suites: [m[3]],
      components: (m[4] ?? "").split(/\s+/).filter(Boolean),
    };
    const signed = m[1]?.match(/signed-by=(\S+)/);
    if (signed?.[1]) source.signedBy = signed[1];
    out.push(source);
  }
  return out;
}

/** Reads every enabled apt source of `aptDir` (`sources.list` and `sources.list.d/*.{list,sources}`). */
export async function readAptSources(aptDir = "/etc/apt"): Promise<AptSource[]> {
  const files: string[] = [`${aptDir}/sources.list`];
  try {
    const names: string[] = [];
    for await (const e of Deno.readDir(`${aptDir}/sources.list.d`)) {
      if (e.isFile && /\.(list|sources)$/.test(e.name)) names.push(e.name);
    }
    files.push(...names.sort().map((n) => `${aptDir}/sources.list.d/${n}`));
  } catch {
    // no sources.list.d
  }
  const out: AptSource[] = [];
  for (const file of files) {
    try {
      out.push(...parseAptSources(await Deno.readTextFile(file)));
    } catch {
      // missing file
    }
  }
  return out;
}

/**
 * The Debian sources of `suite` (the suite itself, `-updates` and `-security`) among `sources`,
 * and the mirror to debootstrap from: the URI serving `suite` itself.
 */
export function debianSourcesFor(
  sources: AptSource[],
  suite: string,
): { mirror: string | null; sources: AptSource[] } {
  const wanted = new Set([suite, `${suite}-updates`, `${suite}-security`]);
  const kept = sources
    .map((s) => ({ ...s, suites: s.suites.filter((x) => wanted.has(x)) }))
    .filter((s) => s.suites.length > 0 && s.components.includes("main"));
  const mirror = kept.find((s) => s.suites.includes(suite))?.uri ?? null;
  return { mirror, sources: kept };
}

/** The cache key of a root filesystem (hex sha256). */
export function rootfsKey(
  input: { suite: string; mirror: string; sources: AptSource[]; packages: readonly string[] },
): string {
  const data = JSON.stringify({
    recipe: RECIPE_VERSION,
    suite: input.suite,
    mirror: input.mirror,
    sources: input.sources.map((s) => [s.uri, s.suites, s.components]),
    packages: [...input.packages].sort(),
  });
  return createHash("sha256").update(data).digest("hex");
}

async function run(
  cmd: string,
  args: string[],
  options: {
    env?: Record<string, string>;
    signal?: AbortSignal;
    onProgress?: (l: string) => void;
  } = {},
): Promise<void> {
  options.onProgress?.(`$ ${cmd} ${args.join(" ")}`);
  // `output()` throws a missing permission synchronously: the promise wraps it for `.catch`.
  const out = await Promise.resolve().then(() =>
    new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "piped",
      ...(options.env ? { env: options.env } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    }).output()
  ).catch((e) => {
    if (e instanceof Deno.errors.NotCapable) {
      throw new UserError(
        "run_permission_missing",
        `Cannot build the browser image: this process may not run "${cmd}"; build it as root with .ci/browser_image.sh, or start zu with --allow-run=deno,ldd,debootstrap,chroot,tar,find`,
        { cause: e },
      );
    }
    throw isProgramMissing(e) ? missingProgram("build the browser image", cmd, { cause: e }) : e;
  });
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-8).join(" | ");
    throw new UserError(
      "image_build_failed",
      `Cannot build the browser image: "${cmd} ${
        args.slice(0, 4).join(" ")
      }" failed (exit ${out.code}): ${err}`,
    );
  }
}

function sourcesList(sources: AptSource[]): string {
  return sources
    .map((s) => {
      const opts = s.signedBy ? `[signed-by=${s.signedBy}] ` : "";
      return s.suites.map((suite) => `deb ${opts}${s.uri} ${suite} ${s.components.join(" ")}`).join(
        "\n",
      );
    })
    .join("\n") + "\n";
}

const CHROOT_ENV = {
  PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
  DEBIAN_FRONTEND: "noninteractive",
  LANG: "C.UTF-8",
  HOME: "/root",
};

/**
 * Builds (or finds) the root filesystem tarball: debootstrap, apt-get install, cleanup, the `zu`
 * user. Returns its path and key.
 */
export async function buildBrowserRootfs(
  options: Pick<
    BuildBrowserImageOptions,
    "cacheDir" | "suite" | "mirror" | "aptDir" | "packages" | "onProgress" | "signal"
  > = {},
): Promise<{ path: string; key: string; cached: boolean }> {
  const suite = options.suite ?? "bookworm";
  const packages = options.packages ?? BROWSER_PACKAGES;
  const found = debianSourcesFor(await readAptSources(options.aptDir ?? "/etc/apt"), suite);
  const mirror = options.mirror ?? found.mirror;
  if (!mirror) {
    throw new UserError(
      "image_build_failed",
      `Cannot build the browser image: no apt source serves Debian "${suite}" main; pass a mirror`,
    );
  }
  const sources = found.sources.length > 0
    ? found.sources
    : [{ uri: mirror, suites: [suite], components: ["main"] }];
  const key = rootfsKey({ suite, mirror, sources, packages });
  const cacheDir = options.cacheDir ?? "/var/cache/zu";
  const path = `${cacheDir}/browser-rootfs-${key.slice(0, 16)}.tar`;
  if (await exists(path)) {
    options.onProgress?.(`root filesystem cached at ${path}`);
    return { path, key, cached: true };
  }
  await Deno.mkdir(cacheDir, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: cacheDir, prefix: "browser-rootfs-" });
  const runOpts = {
    env: CHROOT_ENV,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  try {
    await run("debootstrap", ["--variant=minbase", suite, dir, mirror], runOpts);
    for (const s of sources) {
      if (s.signedBy && !(await exists(`${dir}${s.signedBy}`)) && (await exists(s.signedBy))) {
        await Deno.copyFile(s.signedBy, `${dir}${s.signedBy}`);
      }
    }
    await Deno.remove(`${dir}/etc/apt/sources.list`).catch(() => {});
    await Deno.writeTextFile(`${dir}/etc/apt/sources.list.d/zu.list`, sourcesList(sources));
    await run("chroot", [dir, "apt-get", "update", "-q"], runOpts);
    await run(
      "chroot",
      [dir, "apt-get", "install", "-y", "-q", "--no-install-recommends", ...packages],
      runOpts,
    );
    await run("chroot", [dir, "apt-get", "clean"], runOpts);
    for (
      const sub of [
        "var/lib/apt/lists",
        "usr/share/doc",
        "usr/share/man",
        "usr/share/info",
        "var/log",
      ]
    ) {
      await run("find", [`${dir}/${sub}`, "-mindepth", "1", "-delete"], runOpts).catch(() => {});
    }
    await Deno.writeTextFile(
      `${dir}/etc/passwd`,
      `zu:x:${ZU_UID}:${ZU_UID}:zu:/home/zu:/usr/sbin/nologin\n`,
      { append: true },
    );
    await Deno.writeTextFile(`${dir}/etc/group`, `zu:x:${ZU_UID}:\n`, { append: true });
    await Deno.mkdir(`${dir}/home/zu`, { recursive: true });
    await Deno.chown(`${dir}/home/zu`, ZU_UID, ZU_UID);
    const partial = `${path}.partial`;
    await run("tar", ["--numeric-owner", "-C", dir, "-cf", partial, "."], runOpts);
    await Deno.rename(partial, path);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return { path, key, cached: false };
}

/** The exact `playwright-core` version the project pins (`deno.json` imports). */
export function playwrightVersion(): string {
  const spec = (denoConfig as { imports?: Record<string, string> }).imports?.["playwright-core"];
  const m = spec?.match(/^npm:playwright-core@(\d+\.\d+\.\d+)$/);
  if (!m?.[1]) {
    throw new ZuError(
      "image_recipe_invalid",
      `Cannot find the pinned "playwright-core" in deno.json`,
    );
  }
  return m[1];
}

async function treeEntries(
  src: string,
  dest: string,
  skip: (rel: string) => boolean,
): Promise<TarEntry[]> {
  const out: TarEntry[] = [{ type: "dir", path: dest, mode: 0o755 }];
  const names: string[] = [];
  for await (const e of Deno.readDir(src)) names.push(e.name);
  names.sort();
  for (const name of names) {
    if (skip(name)) continue;
    const info = await Deno.stat(`${src}/${name}`);
    if (info.isDirectory) out.push(...await treeEntries(`${src}/${name}`, `${dest}/${name}`, skip));
    else if (info.isFile) {
      out.push(
        fileEntry(`${dest}/${name}`, `${src}/${name}`, (info.mode ?? 0) & 0o111 ? 0o755 : 0o644),
      );
    }
  }
  return out;
}

/** The runtime layer's build context (exported for tests). */
export async function browserLayerContext(
  options: { baseTag: string; denoPath?: string; projectRoot?: string; hash?: string },
): Promise<TarEntry[]> {
  const root = options.projectRoot ?? defaultProjectRoot();
  const denoPath = await Deno.realPath(options.denoPath ?? Deno.execPath());
  const version = playwrightVersion();
  const pw = `${root}/node_modules/.deno/playwright-core@${version}/node_modules/playwright-core`;
  if (!(await exists(pw))) {
    throw new UserError(
      "image_build_failed",
      `Cannot build the browser image: "${pw}" is missing; run "deno install" first`,
    );
  }
  const text = (s: string) => new TextEncoder().encode(s);
  const dirs = ["rootfs", "rootfs/usr", "rootfs/usr/local", "rootfs/usr/local/bin", "rootfs/opt"];
  const entries: TarEntry[] = dirs.map((path) => ({ type: "dir", path, mode: 0o755 }));
  entries.push(fileEntry("rootfs/usr/local/bin/deno", denoPath, 0o755));
  entries.push(
    ...await treeEntries(
      `${root}/images/browser`,
      "rootfs/opt/zu-browser",
      (n) => n.endsWith("_test.ts") || n === "testdata",
    ),
  );
  entries.push(
    fileEntry("rootfs/opt/zu-browser/deno.json", text('{ "nodeModulesDir": "manual" }\n')),
  );
  entries.push(
    fileEntry(
      "rootfs/opt/zu-browser/package.json",
      text(
        JSON.stringify({
          name: "zu-browser",
          private: true,
          dependencies: { "playwright-core": version },
        }) + "\n",
      ),
    ),
  );
  entries.push({ type: "dir", path: "rootfs/opt/zu-browser/node_modules", mode: 0o755 });
  entries.push(
    ...await treeEntries(pw, "rootfs/opt/zu-browser/node_modules/playwright-core", () => false),
  );
  for (
    const [name, script] of [["zu-render", "render.ts"], ["zu-browser", "session.ts"]] as const
  ) {
    entries.push(
      fileEntry(
        `rootfs/usr/local/bin/${name}`,
        text(
          "#!/bin/sh\n" +
            "# The container is the boundary; Chromium is a child process Deno's flags cannot confine.\n" +
            `exec /usr/local/bin/deno run --quiet --no-prompt --cached-only --allow-all /opt/zu-browser/${script} "$@"\n`,
        ),
        0o755,
      ),
    );
  }
  const dockerfile = [
    `FROM ${options.baseTag}`,
    "COPY rootfs/ /",
    "ENV PATH=/usr/local/bin:/usr/bin:/bin DENO_DIR=/tmp/.deno HOME=/tmp XDG_CONFIG_HOME=/tmp/.config " +
    "XDG_CACHE_HOME=/tmp/.cache NO_COLOR=1 DENO_NO_UPDATE_CHECK=1 ZU_CHROMIUM=/usr/lib/chromium/chromium",
    `USER ${ZU_UID}:${ZU_UID}`,
    "WORKDIR /opt/zu-browser",
    `LABEL zu.image.kind=browser zu.image.hash=${options.hash ?? "pending"}`,
    'CMD ["/bin/sleep", "infinity"]',
  ].join("\n");
  entries.push(fileEntry("Dockerfile", text(dockerfile + "\n")));
  return entries;
}

/**
 * Builds `zu-browser:<version>` (see the module doc): a cached Debian root with Chromium, imported
 * once as `zu-browser-base:<key>`, plus the Deno runtime layer. Needs root for debootstrap on a
 * cold cache.
 *
 * @example
 * ```ts ignore
 * import { buildBrowserImage } from "./browser_image.ts";
 * const { tag } = await buildBrowserImage();
 * ```
 */
export async function buildBrowserImage(
  options: BuildBrowserImageOptions = {},
): Promise<BuildBrowserImageResult> {
  const tag = options.tag ?? BROWSER_IMAGE;
  const docker = await connectDaemon(options);
  const progress = options.onProgress;
  const timings = { rootfsMs: 0, importMs: 0, layerMs: 0 };
  let t0 = performance.now();
  const rootfs = await buildBrowserRootfs(options);
  if (!rootfs.cached) timings.rootfsMs = Math.round(performance.now() - t0);
  const baseKey = rootfs.key.slice(0, 16);
  const baseTag = `${BROWSER_BASE_REPO}:${baseKey}`;
  if ((await imageState(docker, baseTag)) === null) {
    t0 = performance.now();
    progress?.(`importing ${rootfs.path} as "${baseTag}"`);
    const stream = await docker.importImage(createReadStream(rootfs.path) as unknown as string, {
      repo: BROWSER_BASE_REPO,
      tag: baseKey,
    });
    await followProgress(docker, stream, baseTag, progress);
    timings.importMs = Math.round(performance.now() - t0);
  }
  const ctxOpts = {
    baseTag,
    ...(options.denoPath !== undefined ? { denoPath: options.denoPath } : {}),
    ...(options.projectRoot !== undefined ? { projectRoot: options.projectRoot } : {}),
  };
  const hash = createHash("sha256")
    .update(`${baseTag}\0${await contextHash(await browserLayerContext(ctxOpts))}`)
    .digest("hex");
  const result = { tag, hash, baseTag, rootfsTarball: rootfs.path, timings };
  const before = await imageState(docker, tag);
  if (!options.force && before?.hash === hash) {
    progress?.(`browser image "${tag}" is up to date (${hash.slice(0, 12)})`);
    return { ...result, built: false };
  }
  t0 = performance.now();
  const entries = await browserLayerContext({ ...ctxOpts, hash });
  progress?.(`building browser image "${tag}" (${entries.length} entries)`);
  await buildLabelled(docker, entries, {
    tag,
    hash,
    previousId: before?.id,
    onProgress: progress,
    signal: options.signal,
  });
  timings.layerMs = Math.round(performance.now() - t0);
  return { ...result, built: true };
}
