/**
 * `zu events copy` and the one log-reference syntax (`--db`, `--from`, `--to`): SQLite <-> JSONL
 * <-> SQLite with ids, hashes and signatures unchanged; zu's own (Python) databases copied and
 * verified; PostgreSQL both ways once the `postgres` driver is registered (pgTest).
 */
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { newEvent } from "../core/events.ts";
import { UserError } from "../core/errors.ts";
import { sinkRegistry } from "../sinks/registry.ts";
import { SqliteSink } from "../sinks/sqlite/mod.ts";
import { pgServerForTest, pgTest } from "../testing/pg_cluster.ts";
import { type CapturedIo, captureIo } from "./_io.ts";
import { parseLogRef } from "./_log_ref.ts";
import { main } from "./main.ts";

const COMPAT = new URL("../../shared/compat/sink/", import.meta.url);
const KEYS = JSON.parse(Deno.readTextFileSync(new URL("keys.json", COMPAT))) as {
  sign_key_hex: string;
  environment_used: Record<string, string>;
};
const COMPAT_ENV: Record<string, string> = {
  ZU_EVENT_KEY: KEYS.environment_used.ZU_EVENT_KEY!,
  ZU_EVENT_KEY_2026q1: KEYS.environment_used.ZU_EVENT_KEY_2026q1!,
  ZU_EVENT_KEY_2026q3: KEYS.environment_used.ZU_EVENT_KEY_2026q3!,
  SIGN: KEYS.sign_key_hex,
};

async function zu(
  dir: string,
  env: Record<string, string>,
  ...args: string[]
): Promise<[number, CapturedIo]> {
  const io = captureIo({ cwd: dir, env });
  return [await main(args, io), io];
}

async function ids(dir: string, env: Record<string, string>, log: string): Promise<string[]> {
  const [code, io] = await zu(dir, env, "events", "export", "--db", log);
  equal(code, 0, io.stderrText());
  return io.stdoutText().trimEnd().split("\n").map((l) =>
    (JSON.parse(l) as { event_id: string }).event_id
  );
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu_copy_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Two traces of three events, signed. */
async function seed(path: string, key: Uint8Array): Promise<void> {
  await using sink = new SqliteSink(path, { signKey: key });
  for (let i = 0; i < 6; i++) {
    await sink.append(
      newEvent({ task_id: `t${i % 2}`, type: "harness.tool.invoked", payload: { i } }),
    );
  }
}

Deno.test("a log reference is a path, postgres://… or env:NAME, and never prints a password", () => {
  const io = captureIo({ cwd: "/w", env: { NOT_URL: "x.db", PG: "postgres://u:hunter2@h/d" } });
  const file = parseLogRef(io, "logs/a.jsonl");
  deepEqual([file.file, file.config.driver], ["/w/logs/a.jsonl", "jsonl"]);
  equal(parseLogRef(io, "/abs/events.db").config.driver, "sqlite");
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      ok(e instanceof UserError);
      ok(!e.message.includes("hunter2"), e.message);
      return e.code;
    }
    return "ok";
  };
  equal(code(() => parseLogRef(io, "env:UNSET")), "key_missing");
  equal(code(() => parseLogRef(io, "env:NOT_URL")), "usage");
  equal(code(() => parseLogRef(io, "env:bad-name")), "usage");
  if (!sinkRegistry.has("postgres")) {
    equal(code(() => parseLogRef(io, "postgres://u:hunter2@h/d")), "config_invalid");
    throws(() => parseLogRef(io, "env:PG"), /no "postgres" sink driver/);
    return;
  }
  const url = parseLogRef(io, "postgres://u:hunter2@h/d");
  equal(url.shown, "postgres://u:***@h/d");
  ok(!JSON.stringify(url.config).includes("hunter2"), "the URL never enters the sink block");
  equal(url.env(String(url.config.options.url_env)), "postgres://u:hunter2@h/d");
  deepEqual(parseLogRef(io, "env:PG").config.options, { url_env: "PG" });
});

Deno.test("zu events copy moves SQLite -> JSONL -> SQLite with ids, hashes and signatures unchanged", async () => {
  await withDir(async (dir) => {
    const key = new Uint8Array(32).fill(7);
    const env = { SIGN: Array.from(key, (b) => b.toString(16).padStart(2, "0")).join("") };
    await seed(`${dir}/a.db`, key);
    const [c1, io1] = await zu(dir, env, "events", "copy", "--from", "a.db", "--to", "b.jsonl");
    equal(c1, 0, io1.stderrText());
    match(io1.stdoutText(), /copied 6 events \(0 already there\) from a\.db to b\.jsonl/);
    match(io1.stdoutText(), /2\/2 traces intact/);
    const [c2, io2] = await zu(dir, env, "events", "copy", "--from", "b.jsonl", "--to", "c.db");
    equal(c2, 0, io2.stderrText());
    deepEqual(await ids(dir, env, "c.db"), await ids(dir, env, "a.db"));
    const [v, vio] = await zu(dir, env, "events", "verify", "--db", "c.db", "--key-env", "SIGN");
    equal(v, 0, vio.stdoutText());
    match(vio.stdoutText(), /2\/2 traces intact \(signatures checked\)/);
    // A non-empty target is refused; --append re-runs copy nothing twice.
    const [c3, io3] = await zu(dir, env, "events", "copy", "--from", "a.db", "--to", "c.db");
    equal(c3, 2);
    match(io3.stderrText(), /already holds 6 events; pass --append/);
    const [c4, io4] = await zu(
      dir,
      env,
      "events",
      "copy",
      "--from",
      "a.db",
      "--to",
      "c.db",
      "--append",
      "--json",
    );
    equal(c4, 0, io4.stderrText());
    const r = JSON.parse(io4.stdoutText());
    deepEqual([r.read, r.copied, r.present, r.ok], [6, 0, 6, true]);
    equal((await ids(dir, env, "c.db")).length, 6);
  });
});

Deno.test("zu events copy refuses a missing source and the same file twice", async () => {
  await withDir(async (dir) => {
    const [c1, io1] = await zu(dir, {}, "events", "copy", "--from", "nope.db", "--to", "x.db");
    equal(c1, 2);
    match(io1.stderrText(), /does not exist/);
    let exists = true;
    await Deno.stat(`${dir}/x.db`).catch(() => exists = false);
    equal(exists, false, "the target is not created for a missing source");
    await seed(`${dir}/a.db`, new Uint8Array(32).fill(1));
    const [c2] = await zu(dir, {}, "events", "copy", "--from", "a.db", "--to", "./a.db");
    equal(c2, 2);
    const [c3, io3] = await zu(dir, {}, "events", "copy", "--to", "x.db");
    equal(c3, 2);
    match(io3.stderrText(), /needs --from/);
  });
});

Deno.test("zu's own (Python) databases copy into SQLite and JSONL and verify, signatures included", async () => {
  await withDir(async (dir) => {
    for (const db of ["plain.db", "aesgcm.db", "managed.db"]) {
      // Work on a copy: the shared vectors stay untouched.
      await Deno.copyFile(new URL(db, COMPAT), `${dir}/${db}`);
      const jsonl = db.replace(".db", ".jsonl");
      const [c1, io1] = await zu(dir, COMPAT_ENV, "events", "copy", "--from", db, "--to", jsonl);
      equal(c1, 0, io1.stderrText() + io1.stdoutText());
      match(io1.stdoutText(), /copied 42 events/);
      const back = `back-${db}`;
      const [c2, io2] = await zu(dir, COMPAT_ENV, "events", "copy", "--from", jsonl, "--to", back);
      equal(c2, 0, io2.stderrText());
      deepEqual(await ids(dir, COMPAT_ENV, back), await ids(dir, COMPAT_ENV, db));
      const signed = db === "managed.db";
      const args = ["events", "verify", "--db", back, ...(signed ? ["--key-env", "SIGN"] : [])];
      const [v, vio] = await zu(dir, COMPAT_ENV, ...args);
      equal(v, 0, vio.stdoutText());
      match(
        vio.stdoutText(),
        signed ? /3\/3 traces intact \(signatures checked\)/ : /3\/3 traces intact/,
      );
    }
  });
});

pgTest(
  "zu events copy moves zu's databases SQLite -> PostgreSQL -> SQLite and every events command reads PostgreSQL",
  async () => {
    if (!sinkRegistry.has("postgres")) {
      throw new Error(
        'the "postgres" sink driver is not registered (sinks/builtin_drivers.ts); this test runs once lane pgsink16 is merged',
      );
    }
    const server = await pgServerForTest();
    try {
      await withDir(async (dir) => {
        const env = { ...COMPAT_ENV, ZU_PG_URL: server.url };
        await Deno.copyFile(new URL("managed.db", COMPAT), `${dir}/managed.db`);
        const [c1, io1] = await zu(
          dir,
          env,
          "events",
          "copy",
          "--from",
          "managed.db",
          "--to",
          "env:ZU_PG_URL",
        );
        equal(c1, 0, io1.stderrText());
        ok(!io1.stdoutText().includes(server.url), "the URL is never printed");
        const [c2, io2] = await zu(
          dir,
          env,
          "events",
          "copy",
          "--from",
          server.url,
          "--to",
          "back.db",
        );
        equal(c2, 0, io2.stderrText());
        ok(!(io2.stdoutText() + io2.stderrText()).includes(new URL(server.url).password));
        deepEqual(await ids(dir, env, "env:ZU_PG_URL"), await ids(dir, env, "managed.db"));
        deepEqual(await ids(dir, env, "back.db"), await ids(dir, env, "managed.db"));
        for (const cmd of [["verify", "--key-env", "SIGN"], ["stats"], ["tail"], ["export"]]) {
          const [c, io] = await zu(
            dir,
            env,
            "events",
            cmd[0]!,
            "--db",
            "env:ZU_PG_URL",
            ...cmd.slice(1),
          );
          equal(c, 0, `${cmd[0]}: ${io.stderrText()}`);
        }
        const [c3, io3] = await zu(
          dir,
          env,
          "events",
          "copy",
          "--from",
          "managed.db",
          "--to",
          "env:ZU_PG_URL",
        );
        equal(c3, 2);
        match(io3.stderrText(), /already holds 42 events/);
      });
    } finally {
      await server.stop();
    }
  },
);

Deno.test("a driver option written beside driver: is read as that option; given twice, refused", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/agent.yaml`,
      "provider: {name: scripted}\nevent_sink:\n  driver: sqlite\n  busy_timeout_ms: 100\ntask: {query: hi}\n",
    );
    // Read as options.busy_timeout_ms: the block is valid (the log just does not exist yet).
    const [code, first] = await zu(dir, {}, "events", "list", "--agent", dir);
    equal(code, 2);
    match(first.stderrText(), /the file does not exist/);
    await Deno.writeTextFile(
      `${dir}/agent.yaml`,
      "provider: {name: scripted}\nevent_sink:\n  driver: sqlite\n  busy_timeout_ms: 100\n  options: {busy_timeout_ms: 5}\ntask: {query: hi}\n",
    );
    const [twice, io] = await zu(dir, {}, "events", "list", "--agent", dir);
    equal(twice, 2);
    match(io.stderrText(), /event_sink\.busy_timeout_ms is given twice/);
    await Deno.writeTextFile(
      `${dir}/agent.yaml`,
      "provider: {name: scripted}\nevent_sink:\n  driver: sqlite\n  no_such_key: 1\ntask: {query: hi}\n",
    );
    const [unknown, io2] = await zu(dir, {}, "events", "list", "--agent", dir);
    equal(unknown, 2);
    match(io2.stderrText(), /event_sink\.no_such_key is not a sink key/);
  });
});
