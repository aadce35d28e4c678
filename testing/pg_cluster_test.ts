/**
 * A throwaway cluster does not outlive the process that started it: a process that ends without
 * stopping it (its module returns, an uncaught error, an unhandled rejection) leaves no server
 * running and no data directory.
 */
import { equal, ok } from "node:assert/strict";
import { pgTest } from "./pg_cluster.ts";

const SCRIPT = new URL("./testdata/pg_cluster_exit.ts", import.meta.url).pathname;

async function serverOf(dataDir: string): Promise<boolean> {
  const out = await new Deno.Command("pgrep", { args: ["-f", `-D ${dataDir}`] }).output();
  return out.code === 0;
}

for (const how of ["return", "throw", "reject"]) {
  pgTest(
    `A cluster its process did not stop is stopped when the process ends (${how})`,
    async () => {
      if (Deno.env.get("ZU_TEST_PG_URL")) return; // an external server: no cluster is started
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-prompt", SCRIPT, how],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dataDir = new TextDecoder().decode(out.stdout).trim();
      const err = new TextDecoder().decode(out.stderr);
      ok(dataDir.endsWith("/data"), `no data directory printed: ${err}`);
      equal(out.success, how === "return", err);
      equal(await serverOf(dataDir), false, `the server of ${dataDir} still runs`);
      equal(await Deno.stat(dataDir).then(() => true, () => false), false, `${dataDir} is left`);
    },
  );
}
