/**
 * The fast paths of `SqliteSink` store and read exactly what the general paths do: codec-0 text
 * bound as `x'00' || text` (a BLOB, byte for byte the UTF-8), lean page reads of codec-0 rows,
 * full reads of any other row, and malformed rows named in errors.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "./node_sqlite.ts";
import { verifyChain } from "../../core/chain.ts";
import { newEvent } from "../../core/events.ts";
import { pyFloat, toZuJson } from "../../core/json.ts";
import { AesGcmCodec } from "../encryption/mod.ts";
import { SqliteSink } from "./mod.ts";

async function inTemp(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu-fast-" });
  try {
    await fn(`${dir}/zu.db`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const KEY = new Uint8Array(32).map((_, i) => i * 7 + 1);

function payload(i: number): Record<string, unknown> {
  return {
    n: i,
    text: 'Café – 東京 😀 \u0000 \u2028 "q" \\',
    nested: { z: [1, pyFloat(2), 0.5, 9007199254740993n], a: null },
  };
}

Deno.test("SqliteSink stores a codec-0 event as a BLOB of x'00' and the UTF-8 of its JSON", async () => {
  await inTemp(async (path) => {
    const stored: string[] = [];
    {
      await using sink = new SqliteSink(path);
      for (let i = 0; i < 3; i++) {
        const e = await sink.append(
          newEvent({ task_id: "t", type: "harness.x", payload: payload(i) }),
        );
        stored.push(toZuJson(e));
      }
    }
    const db = new DatabaseSync(path, { readOnly: true });
    const rows = db.prepare("SELECT typeof(data) AS t, data FROM events ORDER BY seq").all() as {
      t: string;
      data: Uint8Array;
    }[];
    db.close();
    assert.equal(rows.length, 3);
    rows.forEach((r, i) => {
      assert.equal(r.t, "blob");
      assert.deepEqual(r.data, new TextEncoder().encode("\u0000" + stored[i]));
    });
  });
});

Deno.test("SqliteSink streams and queries a log mixing codec-0 and encrypted rows in seq order", async () => {
  await inTemp(async (path) => {
    const plain = [], sealed = [];
    {
      await using sink = new SqliteSink(path);
      for (let i = 0; i < 5; i++) {
        plain.push(
          await sink.append(newEvent({ task_id: "t", type: "harness.x", payload: payload(i) })),
        );
      }
    }
    {
      await using sink = new SqliteSink(path, { codec: new AesGcmCodec(KEY) });
      for (let i = 5; i < 10; i++) {
        sealed.push(
          await sink.append(newEvent({ task_id: "t", type: "harness.x", payload: payload(i) })),
        );
      }
    }
    await using sink = new SqliteSink(path, { codec: new AesGcmCodec(KEY) });
    const all = [...plain, ...sealed];
    const streamed = [];
    for await (const e of sink.stream({}, { batchSize: 3 })) streamed.push(e);
    assert.deepEqual(streamed.map(toZuJson), all.map(toZuJson));
    assert.ok(streamed.every((e) => Object.isFrozen(e)));
    assert.deepEqual(verifyChain(streamed), []);
    const page = await sink.queryWithSeq({ task_id: "t" }, { afterSeq: 3, limit: 4 });
    assert.deepEqual(page.map((s) => s.seq), [4, 5, 6, 7]);
    assert.deepEqual(page.map((s) => toZuJson(s.event)), all.slice(3, 7).map(toZuJson));
    assert.deepEqual(
      (await sink.query({}, { afterSeq: 8 })).map(toZuJson),
      all.slice(8).map(toZuJson),
    );
  });
});

Deno.test("SqliteSink names the event of a malformed codec-0 row in a stream", async () => {
  await inTemp(async (path) => {
    let bad = "";
    {
      await using sink = new SqliteSink(path);
      for (let i = 0; i < 4; i++) {
        const e = await sink.append(newEvent({ task_id: "t", type: "harness.x", payload: { i } }));
        if (i === 2) bad = e.event_id;
      }
    }
    const db = new DatabaseSync(path);
    db.prepare(
      "UPDATE events SET data = CAST(x'00' || '{\"event_id\":' AS BLOB) WHERE event_id = ?",
    )
      .run(bad);
    db.close();
    await using sink = new SqliteSink(path);
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of sink.stream({}, { batchSize: 2 })) seen.push(e.event_id);
      })(),
      (e: unknown) =>
        e instanceof SyntaxError && e.message.includes(`"${bad}"`) && e.message.includes("seq 3"),
    );
    assert.equal(seen.length, 2);
    assert.equal((await sink.query({}, { afterSeq: 3 })).length, 1);
  });
});

Deno.test("SqliteSink reads an empty blob as empty data, not as an empty codec-0 body", async () => {
  await inTemp(async (path) => {
    let id = "";
    {
      await using sink = new SqliteSink(path);
      id = (await sink.append(newEvent({ task_id: "t", type: "harness.x" }))).event_id;
    }
    const db = new DatabaseSync(path);
    db.prepare("UPDATE events SET data = x'' WHERE event_id = ?").run(id);
    db.close();
    await using sink = new SqliteSink(path);
    await assert.rejects(sink.query({}), new RegExp(`event "${id}".*empty`));
  });
});
