/**
 * Interoperability with zu's own SQLite logs (`../shared/compat/sink/`, or `$ZU_COMPAT_DIR/sink/`):
 * we read theirs, and what we write has their schema, blob layout, AAD and hashes.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "./node_sqlite.ts";
import { verifyChain } from "../../core/chain.ts";
import { decodePayload, IdentityCodec, rowAad } from "../../core/codec.ts";
import type { Event } from "../../core/events.ts";
import { parseEventJson, toZuJson } from "../../core/json.ts";
import type { PayloadCodec } from "../../core/types.ts";
import { compatJson, compatLines, compatUrl, hexBytes } from "../../core/_test_compat.ts";
import { AesGcmCodec, ManagedAesGcmCodec, StaticKeyProvider } from "../encryption/mod.ts";
import { SqliteSink } from "./mod.ts";

interface DbInfo {
  sign_key?: boolean;
}
interface Keys {
  ctx_filter_fields: string[];
  sign_key_hex: string;
  aesgcm_key_hex: string;
  managed_keys: Record<string, string>;
  databases: Record<string, DbInfo>;
}
interface Row {
  db: string;
  seq: number;
  codec_version: number;
  key_id: string | null;
  json: string;
}
interface Query {
  filter: Record<string, string | null>;
  after_seq?: number;
  limit?: number;
  expected_seqs: number[];
  expected_count_without_after_seq_and_limit: number;
}

const keys = compatJson<Keys>("sink/keys.json");
const expected = compatLines("sink/expected.jsonl").map((l) => JSON.parse(l) as Row);
const queries = compatJson<Query[]>("sink/queries.json");
const signKey = hexBytes(keys.sign_key_hex);
const DBS = ["plain.db", "aesgcm.db", "managed.db"] as const;

/**
 * The codec segments of one db in seq order, read from `expected.jsonl` (each row's
 * `codec_version` and `key_id`): where zu switched encryption on or rotated the key id. Nothing
 * about the seq ranges or key ids is assumed.
 */
function segmentsOf(db: string): { from: number; to: number; codec: number; kid: string | null }[] {
  const out: { from: number; to: number; codec: number; kid: string | null }[] = [];
  for (const r of expected.filter((x) => x.db === db).sort((a, b) => a.seq - b.seq)) {
    const last = out.at(-1);
    if (last && last.codec === r.codec_version && last.kid === r.key_id) last.to = r.seq;
    else out.push({ from: r.seq, to: r.seq, codec: r.codec_version, kid: r.key_id });
  }
  return out;
}
/** managed.db's key ids, in the order they were used. */
const KIDS = segmentsOf("managed.db").map((g) => g.kid).filter((k): k is string => k !== null);
const FIRST_KID = KIDS[0]!;
const LAST_KID = KIDS.at(-1)!;
const signed = (db: string): boolean => keys.databases[db]?.sign_key === true;
/** Where each db switched codec, as [end seq of segment, codec for the segment]. */
function segments(db: string): [number, PayloadCodec | undefined][] {
  return segmentsOf(db).map((g) => [g.to, codecOf(g.codec, g.kid)]);
}

function codecOf(version: number, kid: string | null): PayloadCodec | undefined {
  if (version === 0) return undefined;
  if (version === 1) return new AesGcmCodec(hexBytes(keys.aesgcm_key_hex));
  if (version === 2 && kid !== null) return managed(kid);
  throw new Error(`Cannot pick a codec for version ${version} and key id "${kid}"`);
}

function managed(current: string): ManagedAesGcmCodec {
  const ks: Record<string, Uint8Array> = {};
  for (const [id, k] of Object.entries(keys.managed_keys)) ks[id] = hexBytes(k);
  return new ManagedAesGcmCodec(new StaticKeyProvider(ks, current));
}

function codecFor(db: string): PayloadCodec | undefined {
  if (db === "aesgcm.db") return new AesGcmCodec(hexBytes(keys.aesgcm_key_hex));
  if (db === "managed.db") return managed(FIRST_KID);
  return undefined;
}

async function copyOf(db: string): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir({ prefix: "zu-interop-" });
  const path = `${dir}/${db}`;
  await Deno.copyFile(compatUrl(`sink/${db}`), path);
  return { dir, path };
}

function open(path: string, db: string): SqliteSink {
  const codec = codecFor(db);
  return new SqliteSink(path, {
    ...(codec ? { codec } : {}),
    filterFields: keys.ctx_filter_fields,
  });
}

function rawRows(
  path: string,
): {
  seq: number;
  event_id: string;
  trace_id: string;
  task_id: string;
  type: string;
  source: string;
  data: Uint8Array;
}[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare(
      "SELECT seq, event_id, trace_id, task_id, type, source, data FROM events ORDER BY seq",
    ).all() as never;
  } finally {
    db.close();
  }
}

function masterSql(path: string): unknown[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid").all()
      .map((r) => ({ ...r }));
  } finally {
    db.close();
  }
}

function byTrace(events: Event[]): Map<string, Event[]> {
  const m = new Map<string, Event[]>();
  for (const e of events) {
    const list = m.get(e.trace_id) ?? [];
    list.push(e);
    m.set(e.trace_id, list);
  }
  return m;
}

Deno.test("keys.json holds a key for every key id zu's rows were written under", () => {
  assert.ok(KIDS.length > 0, "managed.db names no key id");
  for (const kid of KIDS) assert.ok(kid in keys.managed_keys, kid);
});

for (const db of DBS) {
  Deno.test(`SqliteSink reads zu's ${db} back byte for byte and its chains verify`, async () => {
    const { dir, path } = await copyOf(db);
    try {
      await using sink = open(path, db);
      const rows = await sink.queryWithSeq({});
      const want = expected.filter((r) => r.db === db);
      assert.equal(rows.length, want.length);
      const raw = rawRows(path);
      for (let i = 0; i < rows.length; i++) {
        assert.equal(rows[i]!.seq, want[i]!.seq);
        assert.equal(toZuJson(rows[i]!.event), want[i]!.json);
        assert.equal(raw[i]!.data[0], want[i]!.codec_version);
        if (want[i]!.key_id !== null) {
          const kid = new TextEncoder().encode(want[i]!.key_id!);
          assert.deepEqual(raw[i]!.data.subarray(2, 2 + kid.length), kid);
        }
      }
      const key = signed(db) ? signKey : null;
      for (const [trace, events] of byTrace(rows.map((r) => r.event))) {
        assert.deepEqual(verifyChain(events, { key }), [], trace);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`SqliteSink answers every compat query exactly on zu's ${db}`, async () => {
    const { dir, path } = await copyOf(db);
    try {
      await using sink = open(path, db);
      for (const q of queries) {
        const got = await sink.queryWithSeq(q.filter, {
          ...(q.after_seq !== undefined ? { afterSeq: q.after_seq } : {}),
          ...(q.limit !== undefined ? { limit: q.limit } : {}),
        });
        assert.deepEqual(got.map((s) => s.seq), q.expected_seqs, JSON.stringify(q));
        assert.equal(await sink.count(q.filter), q.expected_count_without_after_seq_and_limit);
        const streamed: number[] = [];
        for await (const e of sink.stream(q.filter, { batchSize: 4 })) streamed.push(e.ts.length);
        assert.equal(streamed.length, q.expected_count_without_after_seq_and_limit);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** zu's events of one db, unlinked, in append order (what zu was given). */
function unlinked(db: string): Event[] {
  return expected.filter((r) => r.db === db).map((r) =>
    Object.freeze({ ...parseEventJson(r.json), prev_hash: null, hash: null, sig: null })
  );
}

Deno.test("a log written by SqliteSink has zu's schema and, with codec 0, zu's exact bytes", async () => {
  const { dir, path: zuPath } = await copyOf("plain.db");
  try {
    const ours = `${dir}/ours.db`;
    {
      await using sink = new SqliteSink(ours, { filterFields: keys.ctx_filter_fields });
      for (const e of unlinked("plain.db")) await sink.append(e);
    }
    assert.deepEqual(masterSql(ours), masterSql(zuPath));
    const a = rawRows(ours);
    const b = rawRows(zuPath);
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) assert.deepEqual({ ...a[i]! }, { ...b[i]! });
    const idx = (p: string) => {
      const d = new DatabaseSync(p, { readOnly: true });
      try {
        return d.prepare("SELECT event_id, field, value FROM event_index ORDER BY event_id, field")
          .all().map((r) => ({ ...r }));
      } finally {
        d.close();
      }
    };
    assert.deepEqual(idx(ours), idx(zuPath));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const db of ["aesgcm.db", "managed.db"] as const) {
  Deno.test(`a log written by SqliteSink like zu's ${db} has its blob layout and decrypts with zu's AAD`, async () => {
    const { dir, path: zuPath } = await copyOf(db);
    try {
      const ours = `${dir}/ours.db`;
      const events = unlinked(db);
      const key = signed(db) ? { signKey } : {};
      // Mirror how zu wrote it: switching encryption on, or rotating the key id, by closing the
      // sink and reopening it (the seq ranges come from keys.json).
      let start = 0;
      for (const [end, codec] of segments(db)) {
        await using sink = new SqliteSink(ours, {
          ...(codec ? { codec } : {}),
          ...key,
          filterFields: keys.ctx_filter_fields,
        });
        for (const e of events.slice(start, Math.min(end, events.length))) await sink.append(e);
        start = Math.min(end, events.length);
      }
      assert.deepEqual(masterSql(ours), masterSql(zuPath));
      const a = rawRows(ours);
      const b = rawRows(zuPath);
      const codecs = [
        new IdentityCodec(),
        new AesGcmCodec(hexBytes(keys.aesgcm_key_hex)),
        managed(FIRST_KID),
      ];
      const want = expected.filter((r) => r.db === db);
      for (let i = 0; i < a.length; i++) {
        const [x, y] = [a[i]!, b[i]!];
        assert.deepEqual({ ...x, data: null }, { ...y, data: null });
        assert.equal(x.data.length, y.data.length, `seq ${x.seq}`);
        assert.equal(x.data[0], y.data[0]);
        if (x.data[0] === 2) {
          assert.deepEqual(x.data.subarray(1, 2 + x.data[1]!), y.data.subarray(1, 2 + y.data[1]!));
        }
        if (x.data[0] === 0) assert.deepEqual(x.data, y.data);
        // Decrypt our row the way zu does: the AAD from the row's own columns.
        const text = await decodePayload(x.data, rowAad(x), [...codecs]);
        assert.equal(text, want[i]!.json);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("SqliteSink continues zu's chain after reopening zu's log", async () => {
  const { dir, path } = await copyOf("managed.db");
  try {
    await using sink = new SqliteSink(path, {
      codec: managed(LAST_KID),
      signKey,
      filterFields: keys.ctx_filter_fields,
    });
    const last = (await sink.query({})).at(-1)!;
    const next = await sink.append(
      Object.freeze({
        ...last,
        event_id: crypto.randomUUID(),
        hash: null,
        prev_hash: null,
        sig: null,
      }),
    );
    assert.equal(next.prev_hash, last.hash);
    assert.deepEqual(
      verifyChain(await sink.query({ trace_id: last.trace_id }), { key: signKey }),
      [],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
