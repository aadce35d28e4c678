/**
 * PostgresSink against SqliteSink and zu's own logs: the same events give the same results
 * (query, stream, count, seqs, hashes, sigs, codecs, tamper errors); zu's SQLite databases copied
 * into PostgreSQL and back still verify; the `postgres` driver's configuration rules.
 */
import assert from "node:assert/strict";
import { verifyChain } from "../../core/chain.ts";
import { type Event, newEvent } from "../../core/events.ts";
import { UserError } from "../../core/errors.ts";
import type { EventSink } from "../../core/types.ts";
import { compatJson, compatUrl, hexBytes } from "../../core/_test_compat.ts";
import { pgServerForTest, pgTest } from "../../testing/pg_cluster.ts";
import { copyEvents } from "../copy_events.ts";
import { AesGcmCodec, ManagedAesGcmCodec, StaticKeyProvider } from "../encryption/mod.ts";
import { openSink } from "../open_sink.ts";
import { DatabaseSync } from "../sqlite/node_sqlite.ts";
import { SqliteSink } from "../sqlite/mod.ts";
import { PG_SCHEMA_VERSION } from "./schema_version.ts";
import { pgSchemaVersion } from "./pg_schema_version.ts";
import { PostgresSink } from "./postgres_sink.ts";
import postgres from "postgres";

let server: Promise<{ url: string; stop(): Promise<void> }> | null = null;
const url = async () => (await (server ??= pgServerForTest())).url;
const schema = () => `par_${crypto.randomUUID().slice(0, 8)}`;

const TASKS = [
  "11111111-1111-4111-8111-111111111111",
  "22222222-2222-4222-8222-222222222222",
  "33333333-3333-4333-8333-333333333333",
];

function events(n: number): Event[] {
  const out: Event[] = [];
  for (let i = 0; i < n; i++) {
    const task = TASKS[i % 3]!;
    out.push(newEvent({
      task_id: task,
      type: i % 5 === 0 ? "harness.tool.invoked" : "harness.turn.started",
      source: i % 7 === 0 ? "pipeline" : "loop",
      parent_id: i > 3 && i % 4 === 0 ? out[i - 3]!.event_id : null,
      payload: {
        i,
        text: `é ${i}`,
        ...(i % 3 === 1 ? { ctx: { grant_id: i % 2 ? "g" : 7 } } : {}),
      },
    }));
  }
  return out;
}

async function results(sink: EventSink): Promise<unknown> {
  const filters = [
    {},
    { task_id: TASKS[1]! },
    { type: "harness.tool.invoked" },
    { parent_id: null },
    { source: "pipeline", trace_id: TASKS[0]! },
    { grant_id: "g" },
    { grant_id: "7" },
    { grant_id: null },
  ];
  const out: unknown[] = [];
  for (const f of filters) {
    out.push(await sink.count(f));
    out.push((await sink.queryWithSeq!(f, { afterSeq: 5, limit: 9 })).map((s) => [s.seq, s.event]));
    const streamed: Event[] = [];
    for await (const e of sink.stream(f, { batchSize: 7, afterSeq: 2 })) streamed.push(e);
    out.push(streamed);
  }
  return out;
}

pgTest(
  "SQLite and PostgreSQL give identical query, stream and count results and hashes",
  async () => {
    const signKey = new Uint8Array(32).fill(3);
    const codec = new AesGcmCodec(new Uint8Array(32).fill(5));
    const opts = { signKey, filterFields: ["grant_id"], codec };
    await using lite = new SqliteSink(":memory:", opts);
    await using pg = await PostgresSink.open(await url(), { schema: schema(), ...opts });
    const evs = events(60);
    const t0 = performance.now();
    // In order, and then a concurrent burst (group commit on both sides).
    for (const e of evs.slice(0, 40)) {
      const [a, b] = [await lite.append(e), await pg.append(e)];
      assert.equal(a.hash, b.hash);
      assert.equal(a.sig, b.sig);
    }
    console.log("40 sequential appends to both", Math.round(performance.now() - t0), "ms");
    const [la, pa] = [
      await Promise.all(evs.slice(40).map((e) => lite.append(e))),
      await Promise.all(evs.slice(40).map((e) => pg.append(e))),
    ];
    assert.deepEqual(la.map((e) => e.hash), pa.map((e) => e.hash));
    assert.deepEqual(await results(pg), await results(lite));
    for (const t of TASKS) {
      assert.deepEqual(
        verifyChain(await pg.query({ trace_id: t }), { key: signKey }),
        [],
      );
    }
  },
);

pgTest("PostgreSQL reads mixed codecs and fails a tampered row with SQLite's text", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu-pg-par-" });
  const s = schema();
  const v1 = new AesGcmCodec(new Uint8Array(32).fill(1));
  const v2 = new ManagedAesGcmCodec(
    new StaticKeyProvider({ k1: new Uint8Array(32).fill(2) }, "k1"),
  );
  const evs = events(6);
  try {
    for (
      const [codec, part] of [[undefined, evs.slice(0, 2)], [v1, evs.slice(2, 4)], [
        v2,
        evs.slice(4),
      ]] as const
    ) {
      const o = { readCodecs: [v1, v2], ...(codec ? { codec } : {}) };
      await using lite = new SqliteSink(`${dir}/x.db`, o);
      await using pg = await PostgresSink.open(await url(), { schema: s, ...o });
      for (const e of part) {
        await lite.append(e);
        await pg.append(e);
      }
    }
    const readCodecs = [v1, v2];
    {
      await using lite = new SqliteSink(`${dir}/x.db`, { readCodecs });
      await using pg = await PostgresSink.open(await url(), { schema: s, readCodecs });
      assert.deepEqual(await pg.query(), await lite.query());
      assert.equal((await pg.query()).length, 6);
    }
    // Flip one ciphertext byte of the 4th event in both databases.
    const id = evs[3]!.event_id;
    const db = new DatabaseSync(`${dir}/x.db`);
    const got = db.prepare("SELECT data FROM events WHERE event_id = ?").get(id) as {
      data: Uint8Array;
    };
    const blob = { data: Uint8Array.from(got.data) };
    blob.data[20]! ^= 1;
    db.prepare("UPDATE events SET data = ? WHERE event_id = ?").run(blob.data, id);
    db.close();
    const sql = postgres(await url(), { max: 1, onnotice: () => {} });
    await sql.unsafe(`update ${s}.zu_events set data = $1 where event_id = $2`, [blob.data, id]);
    await sql.end();
    await using lite = new SqliteSink(`${dir}/x.db`, { readCodecs });
    await using pg = await PostgresSink.open(await url(), { schema: s, readCodecs });
    const errOf = async (sink: EventSink) => {
      try {
        await sink.query({ event_id: id });
      } catch (e) {
        return e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
      }
      return "no error";
    };
    const liteErr = await errOf(lite);
    assert.notEqual(liteErr, "no error");
    assert.equal(await errOf(pg), liteErr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

interface Keys {
  ctx_filter_fields: string[];
  sign_key_hex: string;
  aesgcm_key_hex: string;
  managed_keys: Record<string, string>;
  databases: Record<string, { sign_key?: boolean }>;
}

pgTest(
  "zu's own SQLite logs copied into PostgreSQL and back keep ids, order and chains",
  async () => {
    const keys = compatJson<Keys>("sink/keys.json");
    const ks: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries(keys.managed_keys)) ks[k] = hexBytes(v);
    const kids = Object.keys(ks).sort();
    const readCodecs = [
      new AesGcmCodec(hexBytes(keys.aesgcm_key_hex)),
      new ManagedAesGcmCodec(new StaticKeyProvider(ks, kids.at(-1)!)),
    ];
    const dir = await Deno.makeTempDir({ prefix: "zu-pg-interop-" });
    try {
      for (const db of ["plain.db", "aesgcm.db", "managed.db"]) {
        const signKey = keys.databases[db]?.sign_key ? hexBytes(keys.sign_key_hex) : null;
        await Deno.copyFile(compatUrl(`sink/${db}`), `${dir}/${db}`);
        const common = { readCodecs, filterFields: keys.ctx_filter_fields };
        await using zu = new SqliteSink(`${dir}/${db}`, common);
        await using pg = await PostgresSink.open(await url(), {
          schema: schema(),
          ...common,
          ...(db === "plain.db" ? {} : { codec: readCodecs[db === "aesgcm.db" ? 0 : 1]! }),
        });
        const there = await copyEvents(zu, pg, { verify: true, ...(signKey ? { signKey } : {}) });
        assert.ok(there.read > 0);
        assert.equal(there.copied, there.read);
        assert.deepEqual(there.violations, []);
        const original = await zu.query();
        assert.deepEqual(await pg.query(), original);
        assert.deepEqual(await pg.query({ grant_id: null }), await zu.query({ grant_id: null }));
        // Again: nothing new (idempotent), then back into a fresh SQLite file.
        assert.equal((await copyEvents(zu, pg)).copied, 0);
        await using back = new SqliteSink(`${dir}/back-${db}`, common);
        const home = await copyEvents(pg, back, { verify: true, ...(signKey ? { signKey } : {}) });
        assert.deepEqual(home.violations, []);
        assert.deepEqual(await back.query(), original);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

pgTest(
  "The postgres driver takes the URL from url_env only, and names the server on failure",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "zu-pg-drv-" });
    const cfg = (options: Record<string, unknown>) => ({
      driver: "postgres",
      path: null,
      encryption: "none",
      options,
    });
    try {
      const u = await url();
      const s = schema();
      const env = (vars: Record<string, string>) => (n: string) => vars[n];
      const sink = await openSink(cfg({ url_env: "MY_PG", schema: s, notify: false }), {
        dir,
        env: env({ MY_PG: u }),
      });
      assert.ok(sink instanceof PostgresSink);
      await sink.append(newEvent({ task_id: "t", type: "harness.task.started" }));
      assert.equal(await sink.count(), 1);
      await sink.close();
      await assert.rejects(
        openSink(cfg({ url: u }), { dir }),
        (e: unknown) =>
          e instanceof UserError && /options\.url must not be written.*url_env/.test(e.message) &&
          !e.message.includes(u),
      );
      await assert.rejects(
        openSink(cfg({}), { dir, env: env({}) }),
        /variable "ZU_PG_URL" \(options\.url_env\) is not set/,
      );
      await assert.rejects(
        openSink(cfg({ ssl: "maybe" }), { dir, env: env({ ZU_PG_URL: u }) }),
        /options\.ssl must be one of/,
      );
      // A wrong password and a closed port: one line naming the server, never the password.
      const wrong = new URL(u);
      wrong.password = "not-the-password-42";
      for (const bad of [wrong.href, u.replace(/:(\d+)\//, ":1/")]) {
        const err = await openSink(cfg({ schema: s }), { dir, env: env({ ZU_PG_URL: bad }) }).then(
          () => null,
          (e) => e,
        );
        assert.ok(err instanceof UserError, String(err));
        assert.match(
          err.message,
          /^Cannot open event log "postgres:\/\/zu@127\.0\.0\.1:\d+\/zu": /,
        );
        assert.ok(
          !err.message.includes(new URL(u).password) &&
            !err.message.includes("not-the-password-42"),
        );
        assert.ok(!err.message.includes("\n"));
      }
      // TLS required of a server without TLS: the same one line.
      await assert.rejects(
        openSink(cfg({ schema: s, ssl: "require" }), { dir, env: env({ ZU_PG_URL: u }) }),
        (e: unknown) =>
          e instanceof UserError &&
          /^Cannot open event log "postgres:\/\/zu@127\.0\.0\.1:\d+\/zu": /.test(e.message),
      );
      // The schema version: created once, read without changing anything.
      assert.deepEqual(await pgSchemaVersion(u, { schema: s }), {
        found: PG_SCHEMA_VERSION,
        expected: PG_SCHEMA_VERSION,
      });
      assert.deepEqual(await pgSchemaVersion(u, { schema: "nothing_here" }), {
        found: 0,
        expected: PG_SCHEMA_VERSION,
      });
      await Promise.all(
        [1, 2, 3].map(() => PostgresSink.open(u, { schema: s }).then((x) => x.close())),
      );
      const sql = postgres(u, { max: 1, onnotice: () => {} });
      const rows = await sql.unsafe(`select version from ${s}.zu_schema`);
      await sql.end();
      assert.equal(rows.length, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

pgTest(
  "A group commit holding stored events and new ones stores each once, chain intact",
  async () => {
    const s = schema();
    await using a = await PostgresSink.open(await url(), { schema: s, notify: false });
    await using b = await PostgresSink.open(await url(), { schema: s, notify: false });
    const evs = events(30).map((e) => newEvent({ ...e, task_id: TASKS[0]!, trace_id: TASKS[0]! }));
    // b stores every third event first; a then appends all 30 in one burst (batches of up to 100).
    const early = await Promise.all(evs.filter((_, i) => i % 3 === 0).map((e) => b.append(e)));
    const all = await Promise.all(evs.map((e) => a.append(e)));
    assert.equal(await a.count(), 30);
    for (const x of early) {
      assert.equal(all.find((y) => y.event_id === x.event_id)!.hash, x.hash, "the stored copy");
    }
    assert.deepEqual(verifyChain(await a.query({ trace_id: TASKS[0]! })), []);
    // And again: every one is a repeat now.
    const again = await Promise.all(evs.map((e) => a.append(e)));
    assert.deepEqual(again.map((e) => e.hash), all.map((e) => e.hash));
    assert.equal(await a.count(), 30);
  },
);

pgTest("parity: the server stops", async () => {
  if (server) await (await server).stop();
});
