/**
 * Bad input: every failure names what is wrong, and nothing already stored is damaged.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "./node_sqlite.ts";
import { DecryptError, UserError, ZuError } from "../../core/errors.ts";
import { newEvent } from "../../core/events.ts";
import { compatJson, compatLines, compatUrl, hexBytes } from "../../core/_test_compat.ts";
import { AesGcmCodec, ManagedAesGcmCodec, StaticKeyProvider } from "../encryption/mod.ts";
import { SqliteSink } from "./mod.ts";

const keys = compatJson<{
  aesgcm_key_hex: string;
  managed_keys: Record<string, string>;
}>("sink/keys.json");
/** Every stored row of the vector dbs (db, seq, codec byte, key id), from `expected.jsonl`. */
const ROWS_ALL = compatLines("sink/expected.jsonl").map((l) =>
  JSON.parse(l) as { db: string; seq: number; codec_version: number; key_id: string | null }
);
/** Rows per db, from the vectors (not hard-coded). */
const ROWS = (db: string): number => ROWS_ALL.filter((r) => r.db === db).length;
/** The last plaintext seq of aesgcm.db before encryption was switched on (its leading codec-0 run). */
const PLAIN_END = (() => {
  let end = 0;
  for (const r of ROWS_ALL.filter((x) => x.db === "aesgcm.db").sort((a, b) => a.seq - b.seq)) {
    if (r.codec_version !== 0) break;
    end = r.seq;
  }
  return end;
})();
/** managed.db's key ids by seq range, in seq order (consecutive rows under one key id). */
const KID_RANGES = ROWS_ALL.filter((r) => r.db === "managed.db").sort((a, b) => a.seq - b.seq)
  .reduce<{ from: number; to: number; kid: string }[]>((out, r) => {
    const last = out.at(-1);
    if (last && last.kid === r.key_id) last.to = r.seq;
    else out.push({ from: r.seq, to: r.seq, kid: r.key_id ?? "" });
    return out;
  }, []);

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu-bad-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function copy(dir: string, db: string): Promise<string> {
  const path = `${dir}/${db}`;
  await Deno.copyFile(compatUrl(`sink/${db}`), path);
  return path;
}

function exec(path: string, sql: string): void {
  const db = new DatabaseSync(path);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

Deno.test("SqliteSink refuses a file that is not SQLite, names it, and leaves it untouched", async () => {
  await inTemp(async (dir) => {
    const path = `${dir}/notes.db`;
    const text = "these are my notes, not a database\n".repeat(10);
    await Deno.writeTextFile(path, text);
    assert.throws(
      () => new SqliteSink(path),
      (e: unknown) =>
        e instanceof UserError && e.message.includes(`"${path}"`) &&
        /not an SQLite database/.test(e.message),
    );
    assert.equal(await Deno.readTextFile(path), text);
    const short = `${dir}/short.db`;
    await Deno.writeTextFile(short, "SQLite format 3");
    assert.throws(() => new SqliteSink(short), /not an SQLite database/);
  });
});

Deno.test("SqliteSink refuses a truncated log, names it, and leaves it untouched", async () => {
  await inTemp(async (dir) => {
    const path = await copy(dir, "plain.db");
    const bytes = await Deno.readFile(path);
    const cut = bytes.subarray(0, Math.floor(bytes.length / 2 / 4096) * 4096 || 4096);
    await Deno.writeFile(path, cut);
    assert.throws(
      () => new SqliteSink(path),
      (e: unknown) =>
        e instanceof UserError && e.message.includes(`"${path}"`) && /truncated/.test(e.message),
    );
    assert.deepEqual(await Deno.readFile(path), cut);
  });
});

Deno.test("SqliteSink refuses a database whose events table is not zu's", async () => {
  await inTemp((dir) => {
    const path = `${dir}/other.db`;
    exec(path, "CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT)");
    assert.throws(() => new SqliteSink(path), /"events" table is not zu's.*"event_id"/);
    return Promise.resolve();
  });
});

Deno.test("a wrong key fails with a DecryptError naming the event and codec, and the log stays readable", async () => {
  await inTemp(async (dir) => {
    const path = await copy(dir, "aesgcm.db");
    {
      await using sink = new SqliteSink(path, {
        codec: new AesGcmCodec(new Uint8Array(32).fill(1)),
      });
      // The plaintext rows still read; the first encrypted row fails.
      assert.equal((await sink.query({}, { limit: PLAIN_END })).length, PLAIN_END);
      await assert.rejects(
        sink.query({}, { afterSeq: PLAIN_END, limit: 1 }),
        (e: unknown) =>
          e instanceof DecryptError &&
          /Cannot decode event "[0-9a-f-]{36}" with codec version 1/.test(e.message),
      );
      assert.equal(await sink.count(), ROWS("aesgcm.db"));
    }
    {
      await using sink = new SqliteSink(path);
      await assert.rejects(
        sink.query({}),
        (e: unknown) => e instanceof ZuError && /codec version 1 is not configured/.test(e.message),
      );
    }
    await using sink = new SqliteSink(path, {
      codec: new AesGcmCodec(hexBytes(keys.aesgcm_key_hex)),
    });
    assert.equal((await sink.query({})).length, ROWS("aesgcm.db"));
  });
});

Deno.test("a rotated-away key id is named when it is missing", async () => {
  await inTemp(async (dir) => {
    const path = await copy(dir, "managed.db");
    const first = KID_RANGES[0]!;
    const last = KID_RANGES.at(-1)!;
    const only = new StaticKeyProvider(
      { [last.kid]: hexBytes(keys.managed_keys[last.kid]!) },
      last.kid,
    );
    await using sink = new SqliteSink(path, { codec: new ManagedAesGcmCodec(only) });
    await assert.rejects(sink.query({}), new RegExp(`key id "${first.kid}"`));
    assert.equal(
      (await sink.query({}, { afterSeq: last.from - 1 })).length,
      ROWS("managed.db") - last.from + 1,
    );
  });
});

Deno.test("a tampered ciphertext or row column fails to decrypt for that event only", async () => {
  await inTemp(async (dir) => {
    const path = await copy(dir, "aesgcm.db");
    const raw = new DatabaseSync(path);
    const [x, y] = [PLAIN_END + 1, PLAIN_END + 2]; // two encrypted rows
    const [a, b] = raw.prepare("SELECT event_id FROM events WHERE seq IN (?, ?) ORDER BY seq")
      .all(x, y) as { event_id: string }[];
    raw.prepare(
      "UPDATE events SET data = CAST(substr(data, 1, 20) || x'00' || substr(data, 22) AS BLOB) WHERE seq = ?",
    ).run(x);
    raw.prepare(
      "UPDATE events SET type = CASE WHEN type = 'harness.task.completed' THEN 'harness.task.terminal' ELSE 'harness.task.completed' END WHERE seq = ?",
    ).run(y);
    raw.close();
    await using sink = new SqliteSink(path, {
      codec: new AesGcmCodec(hexBytes(keys.aesgcm_key_hex)),
    });
    await assert.rejects(
      sink.query({ event_id: a!.event_id }),
      (e: unknown) => e instanceof DecryptError && e.message.includes(a!.event_id),
    );
    await assert.rejects(
      sink.query({ event_id: b!.event_id }),
      (e: unknown) => e instanceof DecryptError && e.message.includes(b!.event_id),
    );
    assert.equal((await sink.query({}, { afterSeq: y })).length, ROWS("aesgcm.db") - y);
  });
});

Deno.test("a blob with an unknown codec version is named by its version", async () => {
  await inTemp(async (dir) => {
    const path = await copy(dir, "plain.db");
    exec(path, "UPDATE events SET data = CAST(x'07' || substr(data, 2) AS BLOB) WHERE seq = 3");
    await using sink = new SqliteSink(path);
    await assert.rejects(
      sink.query({}, { afterSeq: 2, limit: 1 }),
      /codec version 7 is not configured/,
    );
    assert.equal((await sink.query({}, { limit: 2 })).length, 2);
  });
});

Deno.test("a failed append leaves the stored log and its chain intact", async () => {
  await inTemp(async (dir) => {
    const path = `${dir}/zu.db`;
    await using sink = new SqliteSink(path);
    const a = await sink.append(newEvent({ task_id: "t", type: "harness.task.started" }));
    const bad = newEvent({
      task_id: "t",
      type: "harness.turn.started",
      payload: { big: 10n ** 400n, f: () => 0 },
    });
    await assert.rejects(sink.append(bad), new RegExp(`Cannot append event "${bad.event_id}"`));
    const b = await sink.append(newEvent({ task_id: "t", type: "harness.turn.started" }));
    assert.equal(b.prev_hash, a.hash);
    assert.equal(await sink.count(), 2);
  });
});

Deno.test("SqliteSink restores the chain head from the database after a restart", async () => {
  await inTemp(async (dir) => {
    const path = `${dir}/zu.db`;
    let last;
    {
      await using sink = new SqliteSink(path);
      await sink.append(newEvent({ task_id: "t", type: "harness.task.started" }));
      last = await sink.append(newEvent({ task_id: "t", type: "harness.turn.started" }));
    }
    await using sink = new SqliteSink(path);
    const next = await sink.append(newEvent({ task_id: "t", type: "harness.turn.completed" }));
    assert.equal(next.prev_hash, last.hash);
    const again = await sink.append(last);
    assert.equal(again.hash, last.hash);
    assert.equal(await sink.count(), 3);
  });
});

Deno.test("SqliteSink opens the log in WAL mode with synchronous FULL", async () => {
  await inTemp(async (dir) => {
    const path = `${dir}/zu.db`;
    await using sink = new SqliteSink(path);
    await sink.append(newEvent({ task_id: "t", type: "harness.task.started" }));
    const raw = new DatabaseSync(path);
    try {
      assert.equal(
        (raw.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode,
        "wal",
      );
    } finally {
      raw.close();
    }
  });
});
