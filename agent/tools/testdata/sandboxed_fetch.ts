/**
 * Child script for `http_fetch_test.ts`: runs HttpFetch once (the environment decides the mode)
 * and prints the observation as JSON, or the error as `{error, kind}`.
 *
 * @module
 */
import { HttpFetch } from "../http_fetch.ts";

const url = Deno.args[0] ?? "";
try {
  const obs = await new HttpFetch({ allowedDomains: ["shop.test"] }).call({} as never, { url });
  console.log(JSON.stringify(obs));
} catch (e) {
  console.log(JSON.stringify({ error: String(e), kind: (e as { kind?: string }).kind ?? null }));
  Deno.exitCode = 1;
}
