// A writer process for the multi-process tests: `writers` PostgresSinks append `perWriter` events
// (0 = until killed) over `traces` shared traces, `batch` appends in flight per writer (group
// commit). Prints each acknowledged event id on its own line, the moment append resolves.
// Run: ZU_PG_URL=... deno run --allow-net=127.0.0.1:<port> \
//   --allow-env=ZU_PG_URL,PGAPPNAME,PGTARGETSESSIONATTRS pg_writer.ts \
//   <schema> <writers> <perWriter> <traces> <batch>
import { newEvent } from "../../../core/events.ts";
import { PostgresSink } from "../postgres_sink.ts";

const [schema, writersS, perS, tracesS, batchS] = Deno.args;
const writers = Number(writersS);
const per = Number(perS);
const traces = Number(tracesS);
const batch = Number(batchS);
const url = Deno.env.get("ZU_PG_URL")!;
const enc = new TextEncoder();
const trace = (n: number) => `eeeeeeee-0000-4000-8000-${String(n).padStart(12, "0")}`;

const sinks = await Promise.all(
  Array.from({ length: writers }, () => PostgresSink.open(url, { schema: schema!, notify: false })),
);
await Promise.all(sinks.map(async (sink, w) => {
  for (let i = 0; per === 0 || i < per;) {
    const n = per === 0 ? batch : Math.min(batch, per - i);
    await Promise.all(Array.from({ length: n }, (_, k) =>
      sink.append(
        newEvent({
          task_id: trace((w + i + k) % traces),
          type: "harness.turn.started",
          payload: { pid: Deno.pid, w, i: i + k },
        }),
      ).then((stored) => {
        Deno.stdout.writeSync(enc.encode(stored.event_id + "\n"));
      })));
    i += n;
  }
}));
for (const s of sinks) await s.close();
