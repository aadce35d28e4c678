import { equal, match, notEqual, ok } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { newEvent } from "../core/events.ts";
import { AesGcmCodec } from "../sinks/encryption/mod.ts";
import { SqliteSink } from "../sinks/sqlite/mod.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const KEY_A = "11".repeat(32);
const KEY_B = "22".repeat(32);

async function digest(path: string): Promise<string> {
  const bytes = await Deno.readFile(path);
  const h = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(h), (b) => b.toString(16).padStart(2, "0")).join("");
}

function rows(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

interface Case {
  name: string;
  args: string[];
  env?: Record<string, string>;
  message: RegExp;
}

Deno.test("bad input everywhere is one line, exit 2, and leaves the event database untouched", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_bad_" });
  try {
    const io0 = captureIo({ cwd: dir });
    equal(await main(["init", "good"], io0), 0, io0.stderrText());
    const prep = captureIo({ cwd: dir });
    equal(await main(["replay", "good", "--db", "events.db"], prep), 0, prep.stderrText());
    const db = `${dir}/events.db`;
    const before = { hash: await digest(db), rows: rows(db) };
    ok(before.rows > 0);

    // malformed agent.yaml
    await Deno.mkdir(`${dir}/bad-yaml`);
    await Deno.writeTextFile(`${dir}/bad-yaml/agent.yaml`, "provider: [\n  name: x\n");
    // agent.yaml missing its provider
    await Deno.mkdir(`${dir}/no-provider`);
    await Deno.writeTextFile(`${dir}/no-provider/agent.yaml`, "task:\n  query: q\n");
    // malformed bundle
    await Deno.mkdir(`${dir}/bad-bundle/fixtures`, { recursive: true });
    await Deno.copyFile(`${dir}/good/agent.yaml`, `${dir}/bad-bundle/agent.yaml`);
    await Deno.writeTextFile(`${dir}/bad-bundle/fixtures/capture.json`, "{not json");
    // bundle with the wrong shape
    await Deno.mkdir(`${dir}/odd-bundle/fixtures`, { recursive: true });
    await Deno.copyFile(`${dir}/good/agent.yaml`, `${dir}/odd-bundle/agent.yaml`);
    await Deno.writeTextFile(`${dir}/odd-bundle/fixtures/capture.json`, '{"task": 1, "moves": {}}');
    // encrypted bundle, read with the wrong key
    await Deno.mkdir(`${dir}/enc/fixtures`, { recursive: true });
    await Deno.copyFile(`${dir}/good/agent.yaml`, `${dir}/enc/agent.yaml`);
    const { readBundle, writeBundle } = await import("../harness/bundle.ts");
    const plain = await readBundle(`${dir}/good/fixtures/capture.json`);
    await writeBundle(`${dir}/enc/fixtures/capture.json`, plain, {
      env: { ZU_FIXTURE_KEY: KEY_A },
    });
    // no agent file in a directory
    await Deno.mkdir(`${dir}/empty`);

    const cases: Case[] = [
      {
        name: "missing agent",
        args: ["replay", "nowhere", "--db", "events.db"],
        message: /Cannot find agent "nowhere".*zu init/,
      },
      {
        name: "directory without agent",
        args: ["run", "empty", "--db", "events.db"],
        message: /holds no agent\.yaml/,
      },
      {
        name: "malformed yaml (replay)",
        args: ["replay", "bad-yaml", "--db", "events.db"],
        message: /bad-yaml\/agent\.yaml/,
      },
      {
        name: "malformed yaml (run)",
        args: ["run", "bad-yaml", "--db", "events.db"],
        message: /not valid YAML/,
      },
      {
        name: "missing provider",
        args: ["capture", "no-provider", "--db", "events.db"],
        message: /provider/,
      },
      {
        name: "malformed bundle",
        args: ["replay", "bad-bundle", "--db", "events.db"],
        message: /Cannot load bundle/,
      },
      {
        name: "bundle of the wrong shape",
        args: ["harden", "odd-bundle"],
        message: /Cannot load bundle/,
      },
      {
        name: "missing bundle",
        args: ["replay", "good", "--bundle", "nope.json", "--db", "events.db"],
        message: /zu capture/,
      },
      {
        name: "wrong fixture key",
        args: ["replay", "enc", "--db", "events.db"],
        env: { ZU_FIXTURE_KEY: KEY_B },
        message: /Cannot load bundle .*decrypt/,
      },
      {
        name: "encrypted bundle without key",
        args: ["replay", "enc", "--db", "events.db"],
        message: /ZU_FIXTURE_KEY/,
      },
      {
        name: "bad report extension",
        args: ["harden", "good", "--report", "r.pdf"],
        message: /\.html, \.json/,
      },
      {
        name: "unknown perturbation",
        args: ["harden", "good", "--perturb", "nope"],
        message: /Unknown perturbation "nope"/,
      },
      {
        name: "events on a missing db",
        args: ["events", "list", "--db", "missing.db"],
        message: /does not exist/,
      },
      {
        name: "unknown command",
        args: ["frobnicate", "--db", "events.db"],
        message: /unknown command/,
      },
      {
        name: "unknown flag",
        args: ["replay", "good", "--db", "events.db", "--fast"],
        message: /unknown flag "--fast"/,
      },
    ];
    for (const c of cases) {
      const io = captureIo({ cwd: dir, env: c.env ?? {} });
      const code = await main(c.args, io);
      equal(code, 2, `${c.name}: ${io.stderrText()}${io.stdoutText()}`);
      const err = io.stderrText();
      ok(err.startsWith("error: "), `${c.name}: ${err}`);
      equal(err.trimEnd().split("\n").length, 1, `${c.name}: one line: ${err}`);
      match(err, c.message, c.name);
      equal(await digest(db), before.hash, `${c.name}: db bytes changed`);
      equal(rows(db), before.rows, `${c.name}: row count changed`);
    }
    // a reader never creates the file it was pointed at
    await Deno.stat(`${dir}/missing.db`).then(() => ok(false, "missing.db was created"), () => {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reading an encrypted event log with the wrong key is one line, exit 2, and changes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_badkey_" });
  try {
    const db = `${dir}/enc.db`;
    const env = (k: string) => (k === "ZU_EVENT_KEY" ? KEY_A : undefined);
    const sink = new SqliteSink(db, { codec: AesGcmCodec.fromEnv({ env }) });
    await sink.append(
      newEvent({
        task_id: crypto.randomUUID(),
        type: "harness.task.started",
        payload: { q: "secret" },
      }),
    );
    await sink.close();
    const before = await digest(db);
    const good = captureIo({ cwd: dir, env: { ZU_EVENT_KEY: KEY_A } });
    equal(await main(["events", "list", "--db", "enc.db", "--json"], good), 0, good.stderrText());
    equal(JSON.parse(good.stdoutText())[0].payload.q, "secret");
    for (const e of [{ ZU_EVENT_KEY: KEY_B }, {}] as Record<string, string>[]) {
      const io = captureIo({ cwd: dir, env: e });
      equal(await main(["events", "list", "--db", "enc.db"], io), 2, io.stderrText());
      ok(io.stderrText().startsWith("error: "));
      equal(io.stderrText().trimEnd().split("\n").length, 1, io.stderrText());
      match(io.stderrText(), /ZU_EVENT_KEY/);
      notEqual(io.stderrText().indexOf("secret"), 0);
    }
    equal(await digest(db), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
