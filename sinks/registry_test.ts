import assert from "node:assert/strict";
import type { EventSinkConfig } from "../core/types.ts";
import { builtinSinkDrivers } from "./builtin_drivers.ts";
import { createSinkRegistry, SinkRegistry } from "./registry.ts";
import type { SinkDriver } from "./sink_driver.ts";

function block(over: Partial<EventSinkConfig>): EventSinkConfig {
  return { driver: "sqlite", path: null, encryption: "none", options: {}, ...over };
}

Deno.test("The default sink registry names the built-in drivers, sorted", () => {
  assert.deepEqual(createSinkRegistry().names(), ["jsonl", "memory", "postgres", "sqlite"]);
});

Deno.test("Registering a sink driver name twice throws", () => {
  const r = createSinkRegistry();
  assert.throws(
    () => r.register(builtinSinkDrivers()[0]!),
    (e: unknown) => e instanceof TypeError && /"sqlite".*already registered/.test(e.message),
  );
});

Deno.test("Getting an unknown sink driver fails with the list of names", () => {
  assert.throws(
    () => createSinkRegistry().get("mysql"),
    /Unknown sink drivers "mysql": known sink drivers are "jsonl", "memory", "postgres", "sqlite"/,
  );
});

Deno.test("A registered driver becomes a known name and is checked like the built-ins", () => {
  const r = createSinkRegistry();
  const opened: string[] = [];
  const custom: SinkDriver = {
    name: "null",
    summary: "test",
    defaultPath: "null.log",
    extensions: [".null"],
    encryption: false,
    options: { level: "int>=0" },
    open: (path) => {
      opened.push(String(path));
      return Promise.reject(new Error("not in this test"));
    },
  };
  r.register(custom);
  assert.deepEqual(r.names(), ["jsonl", "memory", "null", "postgres", "sqlite"]);
  assert.equal(r.check(block({ driver: "null", options: { level: 3 } }), "trace_sink"), null);
  assert.equal(
    r.check(block({ driver: "null", options: { level: -1 } }), "trace_sink")?.key,
    "options.level",
  );
  assert.equal(r.forPath("/x/run.null").name, "null");
  assert.deepEqual(opened, [], "checking a block never opens a driver");
});

Deno.test("The registry check refuses an unknown driver naming the registered ones", () => {
  assert.deepEqual(createSinkRegistry().check(block({ driver: "mysql" }), "event_sink"), {
    key: "driver",
    message: '"mysql" is not a known sink driver (known: "jsonl", "memory", "postgres", "sqlite")',
  });
});

Deno.test("The registry check refuses every key that would not take effect", () => {
  const r = createSinkRegistry();
  const cases: [EventSinkConfig, "event_sink" | "trace_sink", string, RegExp][] = [
    [block({ encryption: "rot13" }), "event_sink", "encryption", /must be one of "none"/],
    [block({ driver: "jsonl", encryption: "aesgcm" }), "trace_sink", "encryption", /plain text/],
    [block({ driver: "memory", path: "x.db" }), "event_sink", "path", /keeps no file/],
    [block({ options: { durable: true } }), "event_sink", "options.durable", /not an option/],
    [block({ options: { busy_timeout_ms: -1 } }), "event_sink", "options.busy_timeout_ms", />= 0/],
    [block({ options: { max_batch: 1.5 } }), "event_sink", "options.max_batch", />= 1/],
    [block({ options: { sign_key_env: "" } }), "event_sink", "options.sign_key_env", /non-empty/],
    [
      block({ options: { filter_fields: "tenant" } }),
      "event_sink",
      "options.filter_fields",
      /list/,
    ],
    [
      block({ options: { filter_fields: ["type"] } }),
      "event_sink",
      "options.filter_fields",
      /column/,
    ],
    [
      block({ driver: "jsonl", options: { sign_key_env: "K" } }),
      "trace_sink",
      "options.sign_key_env",
      /trace sink/,
    ],
  ];
  for (const [b, role, key, why] of cases) {
    const p = r.check(b, role);
    assert.equal(p?.key, key, JSON.stringify(b));
    assert.match(p!.message, why);
  }
});

Deno.test("The registry check accepts every documented key of each built-in driver", () => {
  const r = createSinkRegistry();
  assert.equal(
    r.check(
      block({
        path: "x.db",
        encryption: "managed",
        options: {
          sign_key_env: "K",
          filter_fields: ["tenant"],
          busy_timeout_ms: 0,
          max_batch: 10,
        },
      }),
      "event_sink",
    ),
    null,
  );
  assert.equal(
    r.check(
      block({ driver: "jsonl", options: { filter_fields: ["tenant"], durable: false } }),
      "trace_sink",
    ),
    null,
  );
  assert.equal(
    r.check(block({ driver: "memory", options: { sign_key_env: "K" } }), "event_sink"),
    null,
  );
});

Deno.test("A bare path picks its driver by extension, SQLite for any other", () => {
  const r = createSinkRegistry();
  assert.equal(r.forPath("/a/trace.JSONL").name, "jsonl");
  assert.equal(r.forPath("/a/events.db").name, "sqlite");
  assert.equal(r.forPath("/a/events").name, "sqlite");
  assert.equal(new SinkRegistry().names().length, 0);
  assert.throws(() => new SinkRegistry().forPath("x.db"), RangeError);
});

Deno.test("An omitted event_sink falls back to the in-memory driver, as zu", () => {
  assert.deepEqual(createSinkRegistry().fallbackConfig(), {
    driver: "memory",
    path: null,
    encryption: "none",
    options: {},
  });
});

// Which modules a fresh process evaluated: Deno's debug log names each ES module it ran.
const LOADED = /V8 code cache (?:hit |miss )?for ES module: (\S+?),/;

async function modulesLoadedBy(code: string): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "zu_sink_lazy_" });
  try {
    await Deno.writeTextFile(`${dir}/probe.ts`, code.replaceAll("$DIR", dir));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-prompt",
        "-L",
        "debug",
        "--config",
        new URL("../deno.json", import.meta.url).pathname,
        `${dir}/probe.ts`,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const log = new TextDecoder().decode(out.stderr);
    assert.ok(out.success, log.split("\n").filter((l) => !l.startsWith("DEBUG")).join("\n"));
    return log.split("\n").map((l) => LOADED.exec(l)?.[1]).filter((s): s is string => !!s);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const SQLITE = /^ext:deno_node\/sqlite\.ts$|^node:sqlite$|\/sinks\/sqlite\//;
const MOD = new URL("./mod.ts", import.meta.url).href;

Deno.test("Opening a JSONL sink through the registry never loads SQLite; opening SQLite does", async () => {
  const jsonl = await modulesLoadedBy(`
import { openSink } from ${JSON.stringify(MOD)};
const s = await openSink({ driver: "jsonl", path: "t.jsonl", encryption: "none", options: {} }, { dir: "$DIR" });
await s.close();
`);
  assert.ok(jsonl.some((s) => s.endsWith("/sinks/jsonl/jsonl_sink.ts")), "jsonl_sink.ts not seen");
  assert.equal(jsonl.find((s) => SQLITE.test(s)), undefined);
  const sqlite = await modulesLoadedBy(`
import { openSink } from ${JSON.stringify(MOD)};
const s = await openSink({ driver: "sqlite", path: "e.db", encryption: "none", options: {} }, { dir: "$DIR" });
await s.close();
`);
  assert.ok(sqlite.some((s) => SQLITE.test(s)), "SQLite was not loaded when chosen");
});
