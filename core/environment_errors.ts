/**
 * The user errors for an environment that lacks something zu needs, each with its fix: a program
 * that is not installed (with the Debian package that provides it) and a Docker daemon that does
 * not answer (how to start it, where the socket is looked for).
 *
 * @example
 * ```ts
 * import { dockerUnavailable, missingProgram } from "./environment_errors.ts";
 * const e = missingProgram("build the attack image", "busybox");
 * console.assert(e.code === "program_missing" && e.message.includes("busybox-static"));
 * const d = dockerUnavailable("start sandbox", "/nonexistent/docker.sock");
 * console.assert(d.code === "docker_unavailable" && d.message.includes("dockerd"));
 * ```
 * @module
 */
import { UserError } from "./errors.ts";

/** The Debian package that provides each program zu runs (by the program's base name). */
export const DEBIAN_PACKAGE_OF: Readonly<Record<string, string>> = Object.freeze({
  busybox: "busybox-static",
  chroot: "coreutils",
  chromium: "chromium",
  debootstrap: "debootstrap",
  docker: "docker.io",
  dockerd: "docker.io",
  find: "findutils",
  gcc: "gcc",
  ldd: "libc-bin",
  pg_ctl: "postgresql",
  postgres: "postgresql",
  psql: "postgresql-client",
  tar: "tar",
});

const DENO_FIX =
  `install Deno 2.9 (https://docs.deno.com/runtime/getting_started/installation/) and put "deno" on PATH`;

/**
 * A `UserError` (`program_missing`) saying that `program` is not installed and how to install
 * it. `fix` overrides the default advice (the Debian package, or Deno's installer for `deno`).
 */
export function missingProgram(
  what: string,
  program: string,
  options: { fix?: string; cause?: unknown } = {},
): UserError {
  const base = program.split("/").pop() ?? program;
  const pkg = DEBIAN_PACKAGE_OF[base];
  const fix = options.fix ??
    (base === "deno"
      ? DENO_FIX
      : pkg !== undefined
      ? `install Debian "${pkg}" (apt-get install ${pkg})`
      : `install "${base}" and put it on PATH`);
  return new UserError(
    "program_missing",
    `Cannot ${what}: program "${program}" is not installed; ${fix}`,
    options.cause === undefined ? undefined : { cause: options.cause },
  );
}

/** True when `err` is what `Deno.Command` throws for a program that is not there. */
export function isProgramMissing(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound;
}

/**
 * A `UserError` (`docker_unavailable`): no Docker daemon answers at `socketPath`; says how to
 * start one and how to point zu at another socket. `why` replaces the default reason; `then`
 * is the step after that (`build the image with "zu sandbox image build"`).
 */
export function dockerUnavailable(
  what: string,
  socketPath: string | null,
  options: { why?: string; then?: string; cause?: unknown } = {},
): UserError {
  const why = options.why ??
    `no Docker daemon answers${socketPath === null ? "" : ` at "${socketPath}"`}`;
  return new UserError(
    "docker_unavailable",
    `Cannot ${what}: ${why}; ${DOCKER_FIX}${
      options.then === undefined ? "" : `, then ${options.then}`
    }`,
    options.cause === undefined ? undefined : { cause: options.cause },
  );
}

/** How to get a Docker daemon zu can reach. */
export const DOCKER_FIX =
  `start it ("sudo dockerd &" or "sudo systemctl start docker"; install Debian "docker.io" if it is missing) or set DOCKER_HOST=unix:///path/to/docker.sock`;
