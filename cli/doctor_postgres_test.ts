/**
 * `zu doctor` on a PostgreSQL event log, against a throwaway cluster (raw connections: no sink
 * driver needed): no server, a wrong password, a missing schema, an older schema, a current one,
 * and the unix socket; never a password in the output.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import postgres from "postgres";
import { pgTest, startPgCluster } from "../testing/pg_cluster.ts";
import { type HeldTransaction, holdTransaction } from "../testing/pg_hold.ts";
import { captureIo } from "./_io.ts";
import { HORIZON_WARN_SECONDS, horizonCheck, postgresLogEnv } from "./_pg_doctor.ts";
import { EXPECTED_PG_SCHEMA_VERSION } from "./_pg_probe.ts";
import { main } from "./main.ts";

interface Check {
  name: string;
  status: string;
  detail: string;
}

async function doctor(
  env: Record<string, string>,
): Promise<{ code: number; checks: Check[]; text: string }> {
  const dir = await Deno.makeTempDir({ prefix: "zu_doctor_pg_" });
  try {
    const io = captureIo({ cwd: dir, env: { DOCKER_HOST: `unix://${dir}/none.sock`, ...env } });
    const code = await main(["doctor", "--json"], io);
    const out = JSON.parse(io.stdoutText()) as { checks: Check[] };
    const checks = out.checks.filter((c) => ["postgres", "schema", "horizon"].includes(c.name));
    return { code, checks, text: io.stdoutText() + io.stderrText() };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("zu doctor checks the agent's postgres log, else ZU_PG_URL, else nothing", () => {
  const io = captureIo({ env: {} });
  const pg = { driver: "postgres", path: null, encryption: "none", options: {} };
  deepEqual(postgresLogEnv(io, pg), { urlEnv: "ZU_PG_URL", required: true });
  deepEqual(
    postgresLogEnv(io, { ...pg, options: { url_env: "TEAM_PG", schema: "zu" } }),
    { urlEnv: "TEAM_PG", schema: "zu", required: true },
  );
  equal(postgresLogEnv(io, null), null);
  const sqlite = { driver: "sqlite", path: null, encryption: "none", options: {} };
  equal(postgresLogEnv(io, sqlite), null);
  deepEqual(postgresLogEnv(captureIo({ env: { ZU_PG_URL: "postgres://h/d" } }), sqlite), {
    urlEnv: "ZU_PG_URL",
    required: false,
  });
});

pgTest(
  "zu doctor says what to do for no server, a wrong password, a missing or older schema",
  async () => {
    await using pg = await startPgCluster();
    const noServer = `postgres://zu:${pg.password}@127.0.0.1:${freePort()}/zu`;
    const r1 = await doctor({ ZU_PG_URL: noServer });
    equal(r1.code, 1);
    equal(r1.checks[0]?.status, "fail");
    match(
      r1.checks[0]!.detail,
      /^cannot use postgres:\/\/zu:\*\*\*@127\.0\.0\.1:\d+\/zu \(\$ZU_PG_URL\): .*start the server/,
    );

    const wrong = pg.url.replace(pg.password, "not-the-password");
    const r2 = await doctor({ ZU_PG_URL: wrong });
    equal(r2.code, 1);
    match(
      r2.checks[0]!.detail,
      /password authentication failed.*fix the user or password in \$ZU_PG_URL/,
    );

    const r3 = await doctor({ ZU_PG_URL: pg.url });
    equal(r3.code, 0, r3.text);
    deepEqual(r3.checks.map((c) => c.status), ["ok", "warn", "ok"]);
    match(r3.checks[0]!.detail, /answers \(PostgreSQL \d+/);
    match(r3.checks[1]!.detail, /no zu schema .* "zu events migrate --db env:ZU_PG_URL"/);

    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      await sql`create schema zu`;
      await sql`create table zu.zu_schema (version integer not null, applied_at timestamptz not null default now())`;
      await sql`insert into zu.zu_schema (version) values (${EXPECTED_PG_SCHEMA_VERSION - 1})`;
      const r4 = await doctor({ ZU_PG_URL: pg.url });
      equal(r4.code, 1);
      match(
        r4.checks[1]!.detail,
        new RegExp(
          `version ${
            EXPECTED_PG_SCHEMA_VERSION - 1
          } in "zu" is older than this zu's ${EXPECTED_PG_SCHEMA_VERSION}; ` +
            'migrate it with "zu events migrate --db env:ZU_PG_URL"',
        ),
      );
      await sql`insert into zu.zu_schema (version) values (${EXPECTED_PG_SCHEMA_VERSION})`;
      const r5 = await doctor({ ZU_PG_URL: pg.socketUrl });
      equal(r5.code, 0, r5.text);
      deepEqual(r5.checks.map((c) => c.status), ["ok", "ok", "ok"], r5.text);
    } finally {
      await sql.end();
    }
    for (const r of [r1, r2, r3]) ok(!r.text.includes(pg.password), "a password was printed");
  },
);

Deno.test("zu doctor warns of a transaction holding back readers past the threshold, with the fix", () => {
  const old = {
    pid: 4242,
    seconds: HORIZON_WARN_SECONDS + 33,
    state: "idle in transaction",
    application: "etl",
  };
  const w = horizonCheck(old, true);
  equal(w.status, "warn");
  match(w.detail, /open for 93 s \(pid 4242 \("etl"\), idle in transaction\).*skip nothing/);
  match(w.detail, /pg_terminate_backend\(4242\).*idle_in_transaction_session_timeout$/);
  equal(horizonCheck({ ...old, seconds: 1.25 }, true).status, "ok");
  match(horizonCheck(null, false).detail, /sees only its own sessions: grant it pg_read_all_stats/);
});

pgTest(
  "zu doctor names the writing transaction that holds back readers, not a read-only one",
  async () => {
    await using pg = await startPgCluster();
    const sql = postgres(pg.url, {
      max: 3,
      onnotice: () => {},
      connection: { application_name: "holder" },
    });
    const held: HeldTransaction[] = [];
    try {
      // A snapshot, no xid: the horizon does not wait for it.
      held.push(await holdTransaction(sql, (tx) => tx`select 1`));
      const r1 = await doctor({ ZU_PG_URL: pg.url });
      const h1 = r1.checks.find((c) => c.name === "horizon")!;
      equal(h1.status, "ok", r1.text);
      match(h1.detail, /^no open transaction holds back readers$/);
      held.push(await holdTransaction(sql, (tx) => tx`select pg_current_xact_id()`));
      const [holder] =
        await sql`select pid from pg_stat_activity where backend_xid is not null and application_name = 'holder'`;
      const r2 = await doctor({ ZU_PG_URL: pg.url });
      const h2 = r2.checks.find((c) => c.name === "horizon")!;
      equal(h2.status, "ok", r2.text);
      match(
        h2.detail,
        new RegExp(
          `^oldest open transaction: [0-9.]+ s \\(pid ${
            holder!.pid
          } \\("holder"\\), idle in transaction\\)$`,
        ),
      );
      await Promise.all(held.map((h) => h.release()));
    } finally {
      for (const h of held) await h.release().catch(() => {});
      await sql.end();
    }
  },
);
