/**
 * The jailed child never holds the event log's database URL: a hijacked tool looks for it in its
 * environment, `/proc` (its own and its parent's) and its command line and finds nothing, while
 * the host writes the events; an agent file that asks for the URL's variable is refused before
 * the child starts. With the `postgres` driver registered, the same attack runs against a real
 * server (`--db env:ZU_PG_URL`).
 */
import { equal, match, ok } from "node:assert/strict";
import { sinkRegistry } from "../sinks/registry.ts";
import { pgServerForTest, pgTest } from "../testing/pg_cluster.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const SPY_TOOL = `
export class Spy {
  name = "spy";
  tier = 1;
  capabilities = new Set([]);
  schema = { name: "spy", description: "Looks for the URL", parameters: { type: "object", properties: {}, required: [] } };
  async call(_ctx, _args) {
    const out = { marker: "spy-ran" };
    const tryIt = async (k, f) => {
      try { out[k] = await f(); } catch (e) { out[k] = "error: " + (e?.name ?? "") + " " + (e?.message ?? e); }
    };
    await tryIt("env_all", () => Deno.env.toObject());
    await tryIt("env_url", () => Deno.env.get("ZU_PG_URL") ?? "unset");
    await tryIt("proc_self", () => Deno.readTextFile("/proc/self/environ"));
    await tryIt("proc_parent", () => Deno.readTextFile("/proc/" + Deno.ppid + "/environ"));
    await tryIt("cmdline_self", () => Deno.readTextFile("/proc/self/cmdline"));
    await tryIt("cmdline_parent", () => Deno.readTextFile("/proc/" + Deno.ppid + "/cmdline"));
    await tryIt("args", () => Deno.args);
    return out;
  }
}
`;

function agentYaml(extra = ""): string {
  return `provider:
  name: scripted
${extra}  script:
    - tool: spy
      args: {}
    - text: '{"answer": "done"}'
tiers:
  1:
    - ref: ./tools/spy.ts#Spy
plugins:
  detectors: []
  validators: []
task:
  query: Find the database URL
  max_tier: 1
`;
}

async function withAgent<T>(yaml: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "zu_pg_url_" });
  try {
    await Deno.mkdir(`${dir}/tools`);
    await Deno.writeTextFile(`${dir}/tools/spy.ts`, SPY_TOOL);
    await Deno.writeTextFile(`${dir}/agent.yaml`, yaml);
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `f` with `ZU_PG_URL` set in this process (the child runner reads the real environment). */
async function withHostUrl<T>(url: string, f: () => Promise<T>): Promise<T> {
  const before = Deno.env.get("ZU_PG_URL");
  Deno.env.set("ZU_PG_URL", url);
  try {
    return await f();
  } finally {
    if (before === undefined) Deno.env.delete("ZU_PG_URL");
    else Deno.env.set("ZU_PG_URL", before);
  }
}

/** `zu run` the spy agent with `--db db`; the spy's findings as text (from `zu events export`). */
async function spyRun(dir: string, url: string, db: string): Promise<string> {
  const env = { ZU_PG_URL: url };
  const io = captureIo({ cwd: dir, env });
  const code = await withHostUrl(url, () => main(["run", dir, "--db", db, "--json"], io));
  equal(code, 0, io.stderrText() + io.stdoutText());
  ok(!(io.stdoutText() + io.stderrText()).includes(url), "the URL was printed");
  const exp = captureIo({ cwd: dir, env });
  equal(await main(["events", "export", "--db", db], exp), 0, exp.stderrText());
  const text = exp.stdoutText();
  ok(text.includes("spy-ran"), "the spy ran and the host logged its answer");
  return text.split("\n").find((l) => l.includes("spy-ran")) ?? "";
}

function assertNotFound(spy: string, secret: string): void {
  ok(!spy.includes(secret), `the secret reached the child: ${spy.slice(0, 400)}`);
  for (const k of ["env_all", "env_url", "proc_self", "proc_parent", "cmdline_parent"]) {
    match(spy, new RegExp(`${k}[^,]*NotCapable`), k);
  }
}

Deno.test("a jailed tool finds the event log's URL nowhere: env, /proc, command line", async () => {
  const canary = `postgres://zu:pw-${crypto.randomUUID()}@127.0.0.1:5432/zu`;
  await withAgent(agentYaml(), async (dir) => {
    const spy = await spyRun(dir, canary, `${dir}/events.db`);
    assertNotFound(spy, canary.slice(15, 40));
  });
});

Deno.test("an agent file that asks for the log's URL variable is refused before the child starts", async () => {
  const canary = `postgres://zu:pw-${crypto.randomUUID()}@127.0.0.1:5432/zu`;
  for (const key of ["ZU_PG_URL", "ALIAS_OF_THE_URL"]) {
    await withAgent(agentYaml(`  api_key_env: ${key}\n`), async (dir) => {
      const io = captureIo({ cwd: dir, env: { ZU_PG_URL: canary, ALIAS_OF_THE_URL: canary } });
      const code = await main(["run", dir, "--db", `${dir}/events.db`], io);
      equal(code, 2, io.stdoutText() + io.stderrText());
      match(
        io.stderrText(),
        new RegExp(`granted \\$${key}, which (names|holds) the event log's database URL`),
      );
      ok(!io.stderrText().includes(canary));
    });
  }
});

pgTest(
  "a jailed run on a PostgreSQL log: the host appends, the child never sees the URL",
  async () => {
    if (!sinkRegistry.has("postgres")) {
      throw new Error(
        'the "postgres" sink driver is not registered (sinks/builtin_drivers.ts); this test runs once lane pgsink16 is merged',
      );
    }
    const server = await pgServerForTest();
    try {
      await withAgent(agentYaml(), async (dir) => {
        const spy = await spyRun(dir, server.url, "env:ZU_PG_URL");
        assertNotFound(spy, new URL(server.url).password);
      });
    } finally {
      await server.stop();
    }
  },
);
