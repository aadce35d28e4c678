/**
 * Test child for the durability tests: appends events to a SqliteSink and prints each
 * acknowledged event id on its own line, as soon as its append resolved.
 *
 * Usage: `deno run --allow-read --allow-write append_child.ts <db> <label> <count> <concurrency>`
 * (`count` 0 = until killed). Traces: one shared by every writer, and one per label. With
 * `ZU_EVENT_KEY` set (and `--allow-env`), rows are encrypted with `AesGcmCodec`.
 *
 * @module
 */
import { newEvent } from "../../../core/events.ts";
import { AesGcmCodec } from "../../encryption/aes_gcm_codec.ts";
import { SqliteSink } from "../sqlite_sink.ts";

const [path, label, countText, concText] = Deno.args;
if (!path || !label) {
  throw new TypeError("Usage: append_child.ts <db> <label> <count> <concurrency>");
}
const count = Number(countText ?? "0");
const concurrency = Number(concText ?? "1");
const SHARED = "00000000-0000-4000-8000-000000000000";
const encoder = new TextEncoder();

const encrypt = Deno.permissions.querySync({ name: "env", variable: "ZU_EVENT_KEY" }).state ===
    "granted" && Deno.env.get("ZU_EVENT_KEY") !== undefined;
const sink = new SqliteSink(path, {
  busyTimeoutMs: 5000,
  filterFields: ["grant_id"],
  ...(encrypt ? { codec: AesGcmCodec.fromEnv() } : {}),
});
let next = 0;
async function worker(): Promise<void> {
  while (count === 0 || next < count) {
    const n = next++;
    const task = n % 2 === 0 ? SHARED : `trace-${label}`;
    const stored = await sink.append(
      newEvent({
        task_id: task,
        type: "harness.turn.started",
        payload: { label, n, ctx: { grant_id: n } },
      }),
    );
    Deno.stdout.writeSync(encoder.encode(`${stored.event_id}\n`));
  }
}
try {
  await Promise.all(Array.from({ length: concurrency }, worker));
  await sink.close();
  Deno.stdout.writeSync(encoder.encode("done\n"));
} catch (e) {
  Deno.stderr.writeSync(
    encoder.encode(`child ${label} failed: ${e instanceof Error ? e.stack : e}\n`),
  );
  Deno.exit(1);
}
