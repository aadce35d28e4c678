/**
 * `zu explain-permissions` shows the host process's grants for the agent's event log: a
 * PostgreSQL log's host and port only (never the password), a file log's file; the jailed
 * child's flags name none of them.
 */
import { equal, match, ok } from "node:assert/strict";
import { sinkRegistry } from "../sinks/registry.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

function agentYaml(eventSink: string): string {
  return `provider:
  name: scripted
  script:
    - text: '{"answer": "done"}'
event_sink:
${eventSink}
plugins:
  detectors: []
  validators: []
task:
  query: hi
`;
}

async function explain(yaml: string, env: Record<string, string>) {
  const dir = await Deno.makeTempDir({ prefix: "zu_explain_log_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, yaml);
    const json = captureIo({ cwd: dir, env });
    equal(await main(["explain-permissions", dir, "--json"], json), 0, json.stderrText());
    const text = captureIo({ cwd: dir, env });
    equal(await main(["explain-permissions", dir], text), 0, text.stderrText());
    return { dir, out: JSON.parse(json.stdoutText()), text: text.stdoutText() };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("zu explain-permissions shows a file log's grants for the host, not the child", async () => {
  const { dir, out, text } = await explain(agentYaml("  driver: sqlite\n  path: logs/e.db"), {});
  equal(out.event_log.driver, "sqlite");
  ok(out.event_log.flags.includes(`--allow-write=${dir}/logs/e.db`));
  ok(!out.flags.some((f: string) => f.includes("logs/e.db")), "the child may not write the log");
  match(text, /Event log \(driver "sqlite"\): the host process opens it/);
});

Deno.test("zu explain-permissions shows a PostgreSQL log's host and port only, password masked", async () => {
  if (!sinkRegistry.has("postgres")) {
    throw new Error(
      'the "postgres" sink driver is not registered (sinks/builtin_drivers.ts); this test runs once lane pgsink16 is merged',
    );
  }
  const url = "postgres://zu:hunter2-s3cret@db.internal:6432/zu";
  const { out, text } = await explain(
    agentYaml("  driver: postgres\n  options:\n    url_env: TEAM_PG"),
    { TEAM_PG: url },
  );
  const net = out.event_log.flags.filter((f: string) => f.startsWith("--allow-net"));
  equal(net.join(" "), "--allow-net=db.internal:6432");
  match(text, /Event log \(driver "postgres", postgres:\/\/zu:\*\*\*@db\.internal:6432\/zu\)/);
  match(text, /--allow-net=db\.internal:6432/);
  ok(!text.includes("hunter2") && !JSON.stringify(out).includes("hunter2"));
  ok(!out.flags.join(" ").includes("db.internal"), "the child gets no grant on the database");
  ok(!out.flags.join(" ").includes("TEAM_PG"), "the child may not read the URL's variable");
});
