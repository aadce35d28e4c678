/**
 * A throwaway PostgreSQL cluster for tests and benches: `initdb` in a new temporary directory,
 * a server on a unix socket in that directory and on `127.0.0.1:<free port>` (never another
 * address), password authentication over TCP, and a `stop()` that kills it and removes every
 * file. Nothing is downloaded: it uses Debian's server binaries (`apt-get install postgresql`).
 *
 * `pgTest` gates a test on such a server: with `ZU_TEST_PG_URL` set it uses that server as is;
 * otherwise it needs the binaries. Without either the test is ignored and one line per process
 * says why; with `ZU_REQUIRE_PG=1` (CI) it fails instead, so CI cannot pass by skipping.
 *
 * @example
 * ```ts ignore
 * import { startPgCluster } from "./pg_cluster.ts";
 * await using pg = await startPgCluster();
 * console.log(pg.url); // postgres://zu:<password>@127.0.0.1:<port>/zu
 * ```
 * @module
 */

/** A running throwaway cluster. */
export interface PgCluster extends AsyncDisposable {
  /** TCP URL with the password: `postgres://zu:<pw>@127.0.0.1:<port>/zu`. */
  readonly url: string;
  /** Unix-socket URL (local trust auth): `postgres://zu@/zu?host=<socketDir>&port=<port>`. */
  readonly socketUrl: string;
  /** `127.0.0.1`. */
  readonly host: string;
  /** The TCP port (the socket file is `<socketDir>/.s.PGSQL.<port>`). */
  readonly port: number;
  /** The directory holding the unix socket. */
  readonly socketDir: string;
  /** The `zu` role's password (TCP only). */
  readonly password: string;
  /** The server's data directory (for tests that must stop it abruptly). */
  readonly dataDir: string;
  /** Stops the server (immediate mode) and removes every file. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startPgCluster}. */
export interface PgClusterOptions {
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
  /** Directory of `initdb`/`pg_ctl`. Default: the newest `/usr/lib/postgresql/<v>/bin`. */
  binDir?: string;
}

/**
 * The newest Debian PostgreSQL bin directory, or `null` when none is installed. `ZU_PG_BIN_DIR`
 * names another directory (one that lacks `initdb` counts as none: the newcomer test uses that
 * to run the suite as a machine without PostgreSQL would).
 */
export function findPgBinDir(): string | null {
  let override: string | undefined;
  try {
    override = Deno.env.get("ZU_PG_BIN_DIR");
  } catch {
    override = undefined;
  }
  if (override) {
    try {
      Deno.statSync(`${override}/initdb`);
      return override;
    } catch {
      return null;
    }
  }
  const root = "/usr/lib/postgresql";
  let best: { v: number; dir: string } | null = null;
  try {
    for (const entry of Deno.readDirSync(root)) {
      const v = Number(entry.name);
      const dir = `${root}/${entry.name}/bin`;
      if (!Number.isFinite(v)) continue;
      try {
        Deno.statSync(`${dir}/initdb`);
      } catch {
        continue;
      }
      if (!best || v > best.v) best = { v, dir };
    }
  } catch {
    return null;
  }
  return best?.dir ?? null;
}

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

/** `argv`, run as the `postgres` user when `asPostgres` (root may not run the server). */
function asUser(argv: string[], asPostgres: boolean): string[] {
  return asPostgres ? ["runuser", "-u", "postgres", "--", ...argv] : argv;
}

async function run(argv: string[], asPostgres: boolean): Promise<void> {
  const [cmd, ...args] = asUser(argv, asPostgres);
  const out = await new Deno.Command(cmd!, {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    throw new Error(`${argv[0]} failed (exit ${out.code}): ${text.trim().slice(-800)}`);
  }
}

/**
 * Clusters still running when this process exits (a test that forgot to stop one, or a run that
 * ended early): stopped from the `unload` handler, so a throwaway cluster does not outlive its
 * process unless that process is killed.
 */
const runningAtExit = new Set<() => void>();
function stopAllAtExit(): void {
  for (const stop of runningAtExit) stop();
  runningAtExit.clear();
}
let exitHooked = false;
/**
 * Hooks the exits, once, at the first cluster (after the handlers the program installed before
 * it): "unload", and an uncaught error or rejection no earlier handler prevented (those end the
 * process without "unload"; the error is still reported as before).
 */
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const onFatal = (e: Event) => {
    if (!e.defaultPrevented) stopAllAtExit();
  };
  globalThis.addEventListener("unload", stopAllAtExit);
  globalThis.addEventListener("error", onFatal);
  globalThis.addEventListener("unhandledrejection", onFatal);
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Starts a throwaway cluster (about 1.5 s here). The role `zu` is the superuser and owns the
 * database `zu`. Under root the server runs as the `postgres` user (initdb refuses root).
 */
export async function startPgCluster(options: PgClusterOptions = {}): Promise<PgCluster> {
  const binDir = options.binDir ?? findPgBinDir();
  if (!binDir) {
    throw new Error("PostgreSQL server binaries are missing (apt-get install postgresql)");
  }
  const asPostgres = isRoot();
  const base = await Deno.makeTempDir({ prefix: "zu-pg-" });
  const dataDir = `${base}/data`;
  const password = crypto.randomUUID().replaceAll("-", "");
  const pwFile = `${base}/pw`;
  await Deno.writeTextFile(pwFile, password + "\n");
  if (asPostgres) {
    await run(["chown", "-R", "postgres:postgres", base], false);
  }
  let stopped = false;
  const port = freePort();
  const pgCtlStop = [`${binDir}/pg_ctl`, "-D", dataDir, "-m", "immediate", "-w", "stop"];
  const stopAtExit = () => {
    if (stopped) return;
    stopped = true;
    const [cmd, ...args] = asUser(pgCtlStop, asPostgres);
    try {
      new Deno.Command(cmd!, { args, stdin: "null", stdout: "null", stderr: "null" }).outputSync();
      Deno.removeSync(base, { recursive: true });
    } catch {
      // not running, or already removed
    }
  };
  runningAtExit.add(stopAtExit);
  hookExit();
  const stop = async () => {
    runningAtExit.delete(stopAtExit);
    if (stopped) return;
    stopped = true;
    try {
      await run(pgCtlStop, asPostgres);
    } catch {
      // not running
    }
    await Deno.remove(base, { recursive: true }).catch(() => {});
  };
  try {
    await run([
      `${binDir}/initdb`,
      "-D",
      dataDir,
      "-U",
      "zu",
      "--pwfile",
      pwFile,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "-E",
      "UTF8",
      "--no-sync",
    ], asPostgres);
    await Deno.writeTextFile(
      `${dataDir}/pg_hba.conf`,
      "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
    );
    const settings: Record<string, string | number> = {
      listen_addresses: "127.0.0.1",
      port,
      unix_socket_directories: base,
      max_connections: 200,
      ...options.settings,
    };
    const flags = Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`).join(" ");
    await run([
      `${binDir}/pg_ctl`,
      "-D",
      dataDir,
      "-o",
      flags,
      "-l",
      `${base}/server.log`,
      "-w",
      "-t",
      "30",
      "start",
    ], asPostgres);
    await run([`${binDir}/createdb`, "-h", base, "-p", String(port), "-U", "zu", "zu"], asPostgres);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url: `postgres://zu:${password}@127.0.0.1:${port}/zu`,
    socketUrl: `postgres://zu@/zu?host=${encodeURIComponent(base)}&port=${port}`,
    host: "127.0.0.1",
    port,
    socketDir: base,
    password,
    dataDir,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

let reported = false;

/** Why a PostgreSQL test cannot run here, or `null` when it can. */
export function pgMissing(): string | null {
  let url: string | undefined;
  try {
    url = Deno.env.get("ZU_TEST_PG_URL");
  } catch {
    url = undefined;
  }
  if (url) return null;
  return findPgBinDir()
    ? null
    : "PostgreSQL server binaries are missing (apt-get install postgresql) and ZU_TEST_PG_URL is unset";
}

function required(): boolean {
  try {
    return Deno.env.get("ZU_REQUIRE_PG") === "1";
  } catch {
    return false;
  }
}

/**
 * A `Deno.test` that needs a PostgreSQL server: ignored with one printed line when there is none
 * (unless `ZU_REQUIRE_PG=1`, then it runs and fails with the reason).
 */
export function pgTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  const missing = pgMissing();
  if (missing && !required()) {
    if (!reported) {
      reported = true;
      console.log(`postgres tests skipped: ${missing}`);
    }
    Deno.test({ name, ignore: true, fn });
    return;
  }
  Deno.test({
    name,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async (t) => {
      if (missing) throw new Error(`ZU_REQUIRE_PG=1 but ${missing}`);
      await fn(t);
    },
  });
}

/**
 * A server for one test file: `ZU_TEST_PG_URL` when set (its `stop()` does nothing; the caller
 * cleans its own schema), else a new throwaway cluster.
 */
export async function pgServerForTest(): Promise<{ url: string; stop(): Promise<void> }> {
  const url = Deno.env.get("ZU_TEST_PG_URL");
  if (url) return { url, stop: () => Promise.resolve() };
  const cluster = await startPgCluster();
  return { url: cluster.url, stop: cluster.stop };
}
