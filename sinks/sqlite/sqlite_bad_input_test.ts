/**
 * Bad input: every failure names what is wrong, and nothing already stored is damaged.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "./node_sqlite.ts";
import { DecryptError, UserError, ZuError } from "../../core/errors.ts";
import { newEvent } from "../../core/events.ts";
import { compatJson, compatUrl, hexBytes } from "../../core/_test_compat.ts";
import { AesGcmCodec, ManagedAesGcmCodec, StaticKeyProvider } from "../encryption/mod.ts";
import { SqliteSink } from "./mod.ts";

const keys = compatJson<{ aesgcm_key_hex: string; managed_keys: Record<string, string> }>(
  "sink/keys.json",
);

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
      // seq 1..5 are plaintext and still read; seq 6 is the first encrypted row.
      assert.equal((await sink.query({}, { limit: 5 })).length, 5);
      await assert.rejects(
        sink.query({}, { afterSeq: 5, limit: 1 }),
        (e: unknown) =>
          e instanceof DecryptError &&
          /Cannot decode event "[0-9a-f-]{36}" with codec version 1/.test(e.message),
      );
      assert.equal(await sink.count(), 42);
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
    assert.equal((await sink.query({})).length, 42);
  });
});

Deno.test("a rotated-away key id is named when it is missing", async () => {
  await inTemp(async (dir) => {
    const path = await copy(dir, "managed.db");
    const only = new StaticKeyProvider(
      { "2026q3": hexBytes(keys.managed_keys["2026q3"]!) },
      "2026q3",
    );
    await using sink = new SqliteSink(path, { codec: new ManagedAesGcmCodec(only) });
    await assert.rejects(sink.query({}), /key id "2026q1"/);
    assert.equal((await sink.query({}, { afterSeq: 20 })).length, 22);
  });
});

Deno.test("a tampered ciphertext or row column fails to decrypt for that event only", async () => {
  await inTemp(async (dir) => {
    const path = await copy(dir, "aesgcm.db");
    const raw = new DatabaseSync(path);
    const [a, b] = raw.prepare("SELECT event_id FROM events WHERE seq IN (10, 11) ORDER BY seq")
      .all() as { event_id: string }[];
    raw.prepare(
      "UPDATE events SET data = CAST(substr(data, 1, 20) || x'00' || substr(data, 22) AS BLOB) WHERE seq = 10",
    ).run();
    raw.prepare("UPDATE events SET type = 'harness.task.completed' WHERE seq = 11").run();
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
    assert.equal((await sink.query({}, { afterSeq: 11 })).length, 31);
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
