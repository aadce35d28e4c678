// The shared sink conformance suite against a real PostgreSQL server (one throwaway cluster for
// the file, a fresh schema per test), the sink opened from an agent-file block through openSink:
// url_env, schema, sign_key_env and filter_fields as an agent file sets them.
import { runSinkConformance } from "../conformance.ts";
import { openSink } from "../open_sink.ts";
import { pgMissing, pgServerForTest, pgTest } from "../../testing/pg_cluster.ts";

let server: Promise<{ url: string; stop(): Promise<void> }> | null = null;

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

if (pgMissing() !== null && Deno.env.get("ZU_REQUIRE_PG") !== "1") {
  pgTest('openSink("postgres") passes the sink conformance suite', () => Promise.resolve());
} else {
  runSinkConformance('openSink("postgres")', async (ctx) => {
    server ??= pgServerForTest();
    const { url } = await server;
    const options: Record<string, unknown> = {
      url_env: "CONF_PG_URL",
      schema: `conf_${crypto.randomUUID().slice(0, 8)}`,
    };
    if (ctx.signKey) options.sign_key_env = "CONF_SIGN_KEY";
    if (ctx.filterFields) options.filter_fields = ctx.filterFields;
    const vars: Record<string, string> = { CONF_PG_URL: url };
    if (ctx.signKey) vars.CONF_SIGN_KEY = hex(ctx.signKey);
    return await openSink(
      { driver: "postgres", path: null, encryption: "none", options },
      { dir: ctx.dir, env: (k) => vars[k] },
    );
  });
  pgTest("PostgresSink conformance: the server stops", async () => {
    if (server) await (await server).stop();
  });
}
