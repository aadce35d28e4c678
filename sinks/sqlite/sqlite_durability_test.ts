/**
 * Durability and concurrency against real files and real processes: SIGKILL at random moments
 * loses nothing that was acknowledged; three writer processes lose and duplicate nothing.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "./node_sqlite.ts";
import { verifyChain } from "../../core/chain.ts";
import type { Event } from "../../core/events.ts";
import { hexBytes } from "../../core/_test_compat.ts";
import { AesGcmCodec } from "../encryption/mod.ts";
import { SqliteSink } from "./mod.ts";

const CHILD = new URL("./testdata/append_child.ts", import.meta.url).pathname;

const KEY_HEX = "5a".repeat(32);

function spawnChild(
  db: string,
  label: string,
  count: number,
  concurrency: number,
  encrypt = false,
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-write",
      ...(encrypt ? ["--allow-env=ZU_EVENT_KEY"] : []),
      CHILD,
      db,
      label,
      String(count),
      String(concurrency),
    ],
    stdout: "piped",
    stderr: "piped",
    env: encrypt ? { NO_COLOR: "1", ZU_EVENT_KEY: KEY_HEX } : { NO_COLOR: "1" },
    clearEnv: true,
  }).spawn();
}

/** Reads lines from `stream`, calling `onLine` for each; resolves at EOF. */
async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = rest.indexOf("\n")) >= 0) {
      onLine(rest.slice(0, at));
      rest = rest.slice(at + 1);
    }
  }
}

async function checkLog(path: string): Promise<Event[]> {
  const raw = new DatabaseSync(path);
  try {
    assert.deepEqual(raw.prepare("PRAGMA integrity_check").all().map((r) => ({ ...r })), [{
      integrity_check: "ok",
    }]);
  } finally {
    raw.close();
  }
  await using sink = new SqliteSink(path, {
    filterFields: ["grant_id"],
    readCodecs: [new AesGcmCodec(hexBytes(KEY_HEX))],
  });
  const events = await sink.query({});
  const traces = new Map<string, Event[]>();
  for (const e of events) traces.set(e.trace_id, [...(traces.get(e.trace_id) ?? []), e]);
  for (const [trace, list] of traces) assert.deepEqual(verifyChain(list), [], `trace ${trace}`);
  return events;
}

Deno.test("SqliteSink keeps every acknowledged append across SIGKILLs at random moments", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu-kill-" });
  try {
    const db = `${dir}/zu.db`;
    const acked = new Set<string>();
    for (let round = 0; round < 4; round++) {
      const killAfter = 10 + Math.floor(Math.random() * 150);
      // Encryption is switched on from round 2 (codec 1), so the log mixes codecs across crashes.
      const child = spawnChild(db, `r${round}`, 0, 1 + (round % 3) * 8, round >= 2);
      let seen = 0;
      let killed = false;
      const stderr = new Response(child.stderr).text();
      await readLines(child.stdout, (line) => {
        if (line === "done") return;
        acked.add(line);
        if (++seen >= killAfter && !killed) {
          killed = true;
          child.kill("SIGKILL");
        }
      });
      const status = await child.status;
      assert.equal(status.signal, "SIGKILL", await stderr);
      const stored = new Set((await checkLog(db)).map((e) => e.event_id));
      for (const id of acked) {
        assert.ok(stored.has(id), `acknowledged ${id} lost after round ${round}`);
      }
    }
    assert.ok(acked.size >= 40);
    const raw = new DatabaseSync(db, { readOnly: true });
    try {
      const versions = raw.prepare(
        "SELECT DISTINCT hex(substr(data, 1, 1)) AS v FROM events ORDER BY v",
      )
        .all().map((r) => r.v);
      assert.deepEqual(versions, ["00", "01"]);
    } finally {
      raw.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("three writer processes at once lose nothing, duplicate nothing and never surface a lock", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu-writers-" });
  try {
    const db = `${dir}/zu.db`;
    const perChild = 500;
    const children = ["a", "b", "c"].map((label, i) => ({
      label,
      child: spawnChild(db, label, perChild, 1 + i * 4),
    }));
    const results = await Promise.all(children.map(async ({ label, child }) => {
      const ids: string[] = [];
      const stderr = new Response(child.stderr).text();
      await readLines(child.stdout, (line) => {
        if (line !== "done") ids.push(line);
      });
      const status = await child.status;
      const err = await stderr;
      return { label, ids, code: status.code, err };
    }));
    for (const r of results) {
      assert.doesNotMatch(r.err, /database is locked/i);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.ids.length, perChild);
    }
    const events = await checkLog(db);
    const all = results.flatMap((r) => r.ids);
    assert.equal(events.length, 3 * perChild);
    assert.equal(new Set(events.map((e) => e.event_id)).size, 3 * perChild);
    assert.deepEqual(new Set(all), new Set(events.map((e) => e.event_id)));
    const shared = events.filter((e) => e.trace_id === "00000000-0000-4000-8000-000000000000");
    assert.equal(shared.length, 3 * perChild / 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
