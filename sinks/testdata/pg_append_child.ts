/**
 * Test child for `postgres_grants_test.ts`: appends one event to the PostgreSQL log whose URL is
 * in `$<url env>` and prints `appended <count>`. Run it under exactly `postgresGrants(...)`'s
 * flags. With the `postgres` sink driver registered it opens the log through the registry (as
 * the CLI does); before that, it does the same round trip with raw postgres.js.
 *
 * Usage: `deno run --no-prompt <flags> pg_append_child.ts <url env>`
 *
 * @module
 */
import postgres from "postgres";
import { newEvent } from "../../core/events.ts";
import { openSink } from "../open_sink.ts";
import { postgresJsTarget } from "../postgres_grants.ts";
import { sinkRegistry } from "../registry.ts";

const urlEnv = Deno.args[0] ?? "ZU_PG_URL";
const event = newEvent({ task_id: "grants", type: "harness.task.started", payload: {} });
if (sinkRegistry.has("postgres")) {
  await using sink = await openSink(
    { driver: "postgres", path: null, encryption: "none", options: { url_env: urlEnv } },
    { dir: "/nonexistent" },
  );
  await sink.append(event);
  console.log(`appended ${await sink.count({ task_id: "grants" })} (sink)`);
} else {
  const at = postgresJsTarget(Deno.env.get(urlEnv) ?? "");
  const sql = postgres(at.url, {
    max: 1,
    onnotice: () => {},
    ...(at.host !== undefined ? { host: at.host } : {}),
    ...(at.port !== undefined ? { port: at.port } : {}),
  });
  try {
    await sql`create table if not exists grants_probe (event_id uuid primary key, body text)`;
    await sql`insert into grants_probe values (${event.event_id}, ${JSON.stringify(event)})`;
    const [r] = await sql<{ n: number }[]>`select count(*)::int as n from grants_probe`;
    console.log(`appended ${r?.n} (raw)`);
  } finally {
    await sql.end();
  }
}
