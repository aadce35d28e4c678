// A writer process for the mixed-batch test: reads a JSON array of events on stdin, opens
// `writers` PostgresSinks (one shared writer connection: their appends combine into one batch
// call) and appends every event through them at once, round robin. Prints
// `<event_id> <stored hash>` for each acknowledged append, the moment it resolves.
// Run: ZU_PG_URL=... deno run --allow-net=127.0.0.1:<port> \
//   --allow-env=ZU_PG_URL,PGAPPNAME,PGTARGETSESSIONATTRS pg_mixed_writer.ts <schema> <writers>
import type { Event } from "../../../core/events.ts";
import { PostgresSink } from "../postgres_sink.ts";

const [schema, writersS] = Deno.args;
const url = Deno.env.get("ZU_PG_URL")!;
const events = JSON.parse(await new Response(Deno.stdin.readable).text()) as Event[];
const sinks = await Promise.all(
  Array.from({ length: Number(writersS) }, () => PostgresSink.open(url, { schema: schema! })),
);
const out: string[] = [];
await Promise.all(
  events.map((e, i) =>
    sinks[i % sinks.length]!.append(e).then((stored) =>
      out.push(`${stored.event_id} ${stored.hash}`)
    )
  ),
);
for (const s of sinks) await s.close();
console.log(out.join("\n"));
