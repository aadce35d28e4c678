/**
 * Starts a writer script of these tests (`pg_writer.ts`, `pg_mixed_writer.ts`) as its own
 * `deno run` process, with only the grants a PostgreSQL sink needs: `--allow-net` naming the
 * server's host and port (or a unix socket's grants), and the variables postgres.js reads.
 *
 * @module
 */

/** Options of {@link spawnPgWriter}. */
export interface SpawnWriterOptions {
  /** Pipe stdin (the mixed writer reads its events there). Default false. */
  stdin?: boolean;
  /** The grants that reach the server, instead of `--allow-net=<host>:<port>` (a unix socket's). */
  grants?: string[];
}

/** Runs `script` (a file next to this one) against `url` with `args`. */
export function spawnPgWriter(
  url: string,
  script: "pg_writer.ts" | "pg_mixed_writer.ts",
  args: (string | number)[],
  options: SpawnWriterOptions = {},
): Deno.ChildProcess {
  const net = options.grants ?? [`--allow-net=${new URL(url).hostname}:${new URL(url).port}`];
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      ...net,
      "--allow-env=ZU_PG_URL,PGAPPNAME,PGTARGETSESSIONATTRS",
      new URL(`./${script}`, import.meta.url).pathname,
      ...args.map(String),
    ],
    env: { ZU_PG_URL: url },
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}
