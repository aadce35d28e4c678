// The shared sink conformance suite against a real PostgreSQL server (one throwaway cluster for
// the file, a fresh schema per test).
import { runSinkConformance } from "../conformance.ts";
import { pgMissing, pgServerForTest, pgTest } from "../../testing/pg_cluster.ts";
import { PostgresSink } from "./postgres_sink.ts";

let server: Promise<{ url: string; stop(): Promise<void> }> | null = null;
const schemas: string[] = [];

if (pgMissing() !== null && Deno.env.get("ZU_REQUIRE_PG") !== "1") {
  pgTest("PostgresSink passes the sink conformance suite", () => Promise.resolve());
} else {
  runSinkConformance("PostgresSink", async (ctx) => {
    server ??= pgServerForTest();
    const { url } = await server;
    const schema = `conf_${crypto.randomUUID().slice(0, 8)}`;
    schemas.push(schema);
    return await PostgresSink.open(url, {
      schema,
      ...(ctx.signKey ? { signKey: ctx.signKey } : {}),
      ...(ctx.filterFields ? { filterFields: ctx.filterFields } : {}),
    });
  });
  pgTest("PostgresSink conformance: the server stops", async () => {
    if (server) await (await server).stop();
  });
}
