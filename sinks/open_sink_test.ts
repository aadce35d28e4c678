import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { verifyChain } from "../core/chain.ts";
import { UserError } from "../core/errors.ts";
import { type Event, newEvent } from "../core/events.ts";
import type { EventSink, EventSinkConfig } from "../core/types.ts";
import { builtinSinkDrivers } from "./builtin_drivers.ts";
import { FanoutSink } from "./fanout_sink.ts";
import { MemorySink } from "./memory/mod.ts";
import { openSink, openSinks, sinkPath, withSinkPath } from "./open_sink.ts";
import { openEventBus } from "./open_event_bus.ts";
import { createSinkRegistry } from "./registry.ts";
import type { SinkOpenOptions } from "./sink_driver.ts";

const TASK = "4f0c6a53-8f0e-4a51-9a52-3f8f2f8f1a01";
const SIGN = "ab".repeat(32);
const SIGN_BYTES = new Uint8Array(32).fill(0xab);

function cfg(over: Partial<EventSinkConfig>): EventSinkConfig {
  return { driver: "sqlite", path: "events.db", encryption: "none", options: {}, ...over };
}

function ev(type: string, ctx?: Record<string, unknown>): Event {
  return newEvent({ task_id: TASK, type, payload: ctx ? { ctx } : {} });
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu_open_sink_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function userError(p: Promise<unknown>, re: RegExp): Promise<UserError> {
  let caught: unknown = null;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof UserError, `not a UserError: ${caught}`);
  assert.ok(!caught.message.includes("\n"), `more than one line: ${caught.message}`);
  assert.match(caught.message, re);
  return caught;
}

/** A registry whose drivers record what they are opened with, then open for real. */
function spyRegistry(seen: SinkOpenOptions[]) {
  return createSinkRegistry(
    builtinSinkDrivers().map((d) => ({
      ...d,
      open: (path: string | null, o: SinkOpenOptions) => {
        seen.push(o);
        return d.open(path, o);
      },
    })),
  );
}

Deno.test("sign_key_env signs every linked event with the key from the environment", async () => {
  await withDir(async (dir) => {
    const sink = await openSink(cfg({ options: { sign_key_env: "ZU_SIGN" } }), {
      dir,
      env: (k) => (k === "ZU_SIGN" ? SIGN : undefined),
    });
    for (const t of ["harness.task.started", "data.x", "harness.task.completed"]) {
      await sink.append(ev(t));
    }
    const events = await sink.query();
    await sink.close();
    assert.equal(events.length, 3);
    for (const e of events) assert.match(e.sig ?? "", /^[0-9a-f]{64}$/);
    assert.deepEqual(verifyChain(events, { key: SIGN_BYTES }), []);
    assert.ok(verifyChain(events, { key: new Uint8Array(32) }).length > 0, "wrong key verified");
  });
});

Deno.test("A missing sign_key_env variable is a one-line user error and creates nothing", async () => {
  await withDir(async (dir) => {
    const e = await userError(
      openSink(cfg({ path: "sub/events.db", options: { sign_key_env: "ZU_SIGN" } }), {
        dir,
        env: () => undefined,
      }),
      /signing key variable "ZU_SIGN" \(options\.sign_key_env\) is not set/,
    );
    assert.equal(e.code, "key_missing");
    await assert.rejects(Deno.stat(`${dir}/sub`), Deno.errors.NotFound);
    await userError(
      openSink(cfg({ options: { sign_key_env: "ZU_SIGN" } }), { dir, env: () => "abcd" }),
      /holds 2 bytes, at least 16 are needed/,
    );
  });
});

Deno.test("Reading a signed log needs no signing key", async () => {
  await withDir(async (dir) => {
    const block = cfg({ options: { sign_key_env: "ZU_SIGN" } });
    const w = await openSink(block, { dir, env: () => SIGN });
    await w.append(ev("data.x"));
    await w.close();
    const r = await openSink(block, { dir, env: () => undefined, mode: "read" });
    assert.equal(await r.count(), 1);
    await r.close();
  });
});

Deno.test("filter_fields indexes exactly the configured ctx fields and lets filters use them", async () => {
  await withDir(async (dir) => {
    const sink = await openSink(cfg({ options: { filter_fields: ["tenant"] } }), { dir });
    await sink.append(ev("data.a", { tenant: "acme", user: "u1" }));
    await sink.append(ev("data.b", { tenant: "other", user: "u2" }));
    assert.deepEqual((await sink.query({ tenant: "acme" })).map((e) => e.type), ["data.a"]);
    await assert.rejects(sink.query({ user: "u1" }), /unknown filter key "user"/);
    await sink.close();
    const db = new DatabaseSync(`${dir}/events.db`, { readOnly: true });
    try {
      const fields = db.prepare("SELECT DISTINCT field FROM event_index").all()
        .map((r) => (r as { field: string }).field);
      assert.deepEqual(fields, ["tenant"]);
    } finally {
      db.close();
    }
  });
});

Deno.test("busy_timeout_ms, max_batch and durable reach the driver that honours them", async () => {
  await withDir(async (dir) => {
    const seen: SinkOpenOptions[] = [];
    const registry = spyRegistry(seen);
    const s = await openSink(cfg({ options: { busy_timeout_ms: 250, max_batch: 7 } }), {
      dir,
      registry,
    });
    await s.append(ev("data.x"));
    await s.close();
    const j = await openSink(
      cfg({ driver: "jsonl", path: "t.jsonl", options: { durable: false } }),
      {
        dir,
        registry,
        role: "trace_sink",
      },
    );
    await j.close();
    assert.equal(seen[0]?.busyTimeoutMs, 250);
    assert.equal(seen[0]?.maxBatch, 7);
    assert.equal(seen[1]?.durable, false);
  });
});

Deno.test("encryption aesgcm writes version-1 rows and a missing key is refused in one line", async () => {
  await withDir(async (dir) => {
    await userError(
      openSink(cfg({ encryption: "aesgcm" }), { dir, env: () => undefined }),
      /with encryption "aesgcm": .*ZU_EVENT_KEY is not set/,
    );
    await userError(
      openSink(cfg({ encryption: "managed" }), {
        dir,
        env: (k) => (k === "ZU_EVENT_KEY_ID" ? "k2" : undefined),
      }),
      /with encryption "managed": .*ZU_EVENT_KEY_k2/,
    );
    const sink = await openSink(cfg({ encryption: "aesgcm" }), {
      dir,
      env: (k) => (k === "ZU_EVENT_KEY" ? "11".repeat(32) : undefined),
    });
    await sink.append(ev("data.secret"));
    await sink.close();
    const db = new DatabaseSync(`${dir}/events.db`, { readOnly: true });
    try {
      const row = db.prepare("SELECT data FROM events").get() as { data: Uint8Array };
      assert.equal(row.data[0], 1);
    } finally {
      db.close();
    }
  });
});

Deno.test("path is relative to the agent directory and defaults to the driver's file", async () => {
  await withDir(async (dir) => {
    assert.equal(sinkPath(cfg({ path: null }), dir), `${dir}/.zu/events.db`);
    assert.equal(sinkPath(cfg({ driver: "jsonl", path: null }), dir), `${dir}/.zu/events.jsonl`);
    assert.equal(sinkPath(cfg({ path: "/abs/x.db" }), dir), "/abs/x.db");
    assert.equal(sinkPath(cfg({ driver: "memory", path: null }), dir), null);
    const s = await openSink(cfg({ path: "logs/deep/run.db" }), { dir });
    await s.close();
    assert.ok((await Deno.stat(`${dir}/logs/deep/run.db`)).isFile);
  });
});

Deno.test("--db style moves keep every key and pick the driver by extension", () => {
  const moved = withSinkPath(cfg({ options: { sign_key_env: "K" } }), "/x/run.jsonl");
  assert.deepEqual(moved, {
    driver: "jsonl",
    path: "/x/run.jsonl",
    encryption: "none",
    options: { sign_key_env: "K" },
  });
  assert.equal(withSinkPath(null, "/x/run.db").driver, "sqlite");
});

Deno.test("An unknown driver or option is refused in one line before anything opens", async () => {
  await withDir(async (dir) => {
    await userError(
      openSink(cfg({ driver: "mysql" }), { dir }),
      /^Cannot open event_sink: driver "mysql" is not a known sink driver \(known: "jsonl", "memory", "postgres", "sqlite"\)$/,
    );
    await userError(
      openSinks(
        { event_sink: cfg({}), trace_sinks: [cfg({ driver: "jsonl", options: { max_batch: 3 } })] },
        { dir },
      ),
      /^Cannot open trace_sinks\[0\]: options\.max_batch is not an option of driver "jsonl"/,
    );
    await assert.rejects(Deno.stat(`${dir}/events.db`), Deno.errors.NotFound);
  });
});

Deno.test("trace_sinks receive the canonical sink's signed copy of every event", async () => {
  await withDir(async (dir) => {
    const sink = await openSinks(
      {
        event_sink: cfg({ options: { sign_key_env: "ZU_SIGN" } }),
        trace_sinks: [cfg({ driver: "jsonl", path: "trace/run.jsonl" })],
      },
      { dir, env: () => SIGN },
    );
    assert.ok(sink instanceof FanoutSink);
    const stored = [await sink.append(ev("harness.task.started")), await sink.append(ev("data.x"))];
    await sink.close();
    const lines = (await Deno.readTextFile(`${dir}/trace/run.jsonl`)).trim().split("\n")
      .map((l) => JSON.parse(l) as Event);
    assert.deepEqual(
      lines.map((e) => [e.event_id, e.hash, e.sig]),
      stored.map((e) => [
        e.event_id,
        e.hash,
        e.sig,
      ]),
    );
    assert.deepEqual(verifyChain(lines, { key: SIGN_BYTES }), []);
  });
});

Deno.test("A trace sink on the canonical sink's own file is refused", async () => {
  await withDir(async (dir) => {
    await userError(
      openSinks({ event_sink: cfg({}), trace_sinks: [cfg({})] }, { dir }),
      /trace_sinks\[0\]: path ".*events\.db" is already used/,
    );
  });
});

Deno.test("A failing trace sink never fails the append: the failure is recorded", async () => {
  const broken: EventSink = Object.assign(new MemorySink(), {
    append: () => Promise.reject(new Error("disk full")),
  });
  const canonical = new MemorySink();
  const reported: string[] = [];
  const sink = new FanoutSink(canonical, [broken], {
    maxRecordedFailures: 1,
    onFailure: (f) => reported.push(f.event_id),
  });
  await sink.append(ev("data.a"));
  const b = await sink.append(ev("data.b"));
  assert.equal(await canonical.count(), 2);
  assert.deepEqual(sink.failures, [{ sink: 0, event_id: b.event_id, error: "Error: disk full" }]);
  assert.equal(reported.length, 2);
  await sink.close();
});

Deno.test("Without an event_sink the opener falls back to memory, or to the given block", async () => {
  await withDir(async (dir) => {
    const m = await openSinks({ event_sink: null }, { dir });
    assert.ok(m instanceof MemorySink);
    await m.close();
    const f = await openSinks({ event_sink: null }, { dir, fallback: cfg({ path: "f.db" }) });
    await f.close();
    assert.ok((await Deno.stat(`${dir}/f.db`)).isFile);
  });
});

Deno.test("openEventBus stores in event_sink and hands trace_sinks the signed copy as destinations", async () => {
  await withDir(async (dir) => {
    const bus = await openEventBus(
      {
        event_sink: cfg({ options: { sign_key_env: "ZU_SIGN" } }),
        trace_sinks: [cfg({ driver: "jsonl", path: "t.jsonl" })],
      },
      { dir, env: () => SIGN },
    );
    const seen: string[] = [];
    bus.subscribe((e) => void seen.push(e.event_id));
    const stored = await bus.publish(ev("harness.task.started"));
    await bus.close();
    assert.deepEqual(seen, [stored.event_id]);
    const [line] = (await Deno.readTextFile(`${dir}/t.jsonl`)).trim().split("\n");
    assert.equal((JSON.parse(line!) as Event).sig, stored.sig);
    assert.match(stored.sig ?? "", /^[0-9a-f]{64}$/);
  });
});
