import { equal, match, ok } from "node:assert/strict";
import { newEvent } from "../core/events.ts";
import { SqliteSink } from "../sinks/sqlite/mod.ts";
import { type CapturedIo, captureIo } from "./_io.ts";
import { main } from "./main.ts";

const T1 = "1b2c3d4e-0000-4000-8000-000000000001";
const T2 = "1b2c3d4e-0000-4000-8000-000000000002";
const T3 = "9f8e7d6c-0000-4000-8000-000000000003";

async function withLog(fn: (dir: string, ids: string[]) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu_event_ids_" });
  try {
    const ids: string[] = [];
    const sink = new SqliteSink(`${dir}/events.db`);
    try {
      for (const trace of [T1, T2, T3]) {
        for (const type of ["harness.task.started", "harness.task.completed"]) {
          const e = await sink.append(newEvent({ task_id: trace, trace_id: trace, type }));
          ids.push(e.event_id);
        }
      }
    } finally {
      await sink.close();
    }
    await fn(dir, ids);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function zu(dir: string, ...args: string[]): Promise<[number, CapturedIo]> {
  const io = captureIo({ cwd: dir });
  const code = await main(args, io);
  return [code, io];
}

Deno.test("zu events list --trace takes the short trace id that list prints", async () => {
  await withLog(async (dir) => {
    const [, all] = await zu(dir, "events", "list", "--db", "events.db");
    const shortT3 = /trace=(\S+)/.exec(all.stdoutText().trimEnd().split("\n").at(-1)!)![1]!;
    equal(shortT3, T3.slice(0, 8));
    const [code, io] = await zu(dir, "events", "list", "--db", "events.db", "--trace", shortT3);
    equal(code, 0, io.stderrText());
    const lines = io.stdoutText().trimEnd().split("\n");
    equal(lines.length, 2);
    ok(lines.every((l) => l.includes(`trace=${shortT3}`)));
    const [, whole] = await zu(dir, "events", "list", "--db", "events.db", "--trace", T1);
    equal(whole.stdoutText().trimEnd().split("\n").length, 2, "a whole id still works");
  });
});

Deno.test("an ambiguous id prefix is one error line naming the candidates", async () => {
  await withLog(async (dir) => {
    const [code, io] = await zu(dir, "events", "list", "--db", "events.db", "--trace", "1b2c");
    equal(code, 2);
    const lines = io.stderrText().trim().split("\n");
    equal(lines.length, 1, io.stderrText());
    match(lines[0]!, /"1b2c": it starts 2 ids/);
    ok(lines[0]!.includes(T1) && lines[0]!.includes(T2));
  });
});

Deno.test("zu events show takes a unique prefix of an event id", async () => {
  await withLog(async (dir, ids) => {
    const id = ids[4]!;
    const [code, io] = await zu(dir, "events", "show", id.slice(0, 13), "--db", "events.db");
    equal(code, 0, io.stderrText());
    equal(JSON.parse(io.stdoutText()).event_id, id);
    const [missing, err] = await zu(dir, "events", "show", "no-such-id", "--db", "events.db");
    equal(missing, 1);
    match(err.stderrText(), /no event "no-such-id"/);
  });
});

Deno.test("zu events verify --trace takes a prefix too", async () => {
  await withLog(async (dir) => {
    const [code, io] = await zu(dir, "events", "verify", "--db", "events.db", "--trace", "9f8e");
    equal(code, 0, io.stderrText());
    match(io.stdoutText(), new RegExp(`ok +${T3} +2 events`));
    match(io.stdoutText(), /1\/1 traces intact/);
  });
});
