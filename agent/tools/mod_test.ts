import assert from "node:assert/strict";
import * as mod from "./mod.ts";
import { builtinTools, HttpFetch } from "./mod.ts";

Deno.test("agent/tools/mod.ts exports exactly the tools and the factory table", () => {
  assert.deepEqual(Object.keys(mod).sort(), [
    "BROWSER_OPS",
    "Browser",
    "CODE_LANGUAGES",
    "HtmlParse",
    "HttpFetch",
    "RECALL_WINDOW",
    "Recall",
    "RenderDom",
    "RunCode",
    "Shell",
    "backendExecSession",
    "builtinTools",
    "closeRunSessions",
    "closeRunWorkspaces",
    "execObservation",
    "openRunSessionKeys",
    "renderObservation",
  ]);
});

Deno.test("builtinTools builds each tool under its registry name", () => {
  const tools = builtinTools();
  assert.deepEqual([...tools.keys()], [
    "http_fetch",
    "html_parse",
    "recall",
    "render_dom",
    "browser",
    "shell",
    "run_code",
  ]);
  for (const [name, factory] of tools) assert.equal(factory().name, name);
});

Deno.test("builtinTools passes configuration arguments to http_fetch", async () => {
  const tool = builtinTools().get("http_fetch")!({
    allowed_domains: ["*.shop.test"],
    timeout_ms: 5000,
  });
  assert.ok(tool instanceof HttpFetch);
  await assert.rejects(tool.call({} as never, { url: "https://evil.test/" }), /allowed_domains/);
});

Deno.test("builtinTools refuses an unknown or mistyped argument instead of ignoring it", () => {
  const tools = builtinTools();
  assert.throws(
    () => tools.get("http_fetch")!({ allowed_domain: ["x"] }),
    /unknown argument "allowed_domain"/,
  );
  assert.throws(
    () => tools.get("http_fetch")!({ allowed_domains: "x" }),
    /must be a list of strings/,
  );
  assert.throws(() => tools.get("http_fetch")!({ allow_private: "yes" }), /true or false/);
  assert.throws(() => tools.get("html_parse")!({ max_bytes: -1 }), /positive number/);
  assert.throws(() => tools.get("recall")!({ anything: 1 }), TypeError);
  // Function-valued seams cannot come from configuration.
  assert.throws(
    () => tools.get("http_fetch")!({ dialer: () => ({}) }),
    /unknown argument "dialer"/,
  );
  assert.throws(() => tools.get("http_fetch")!({ transport: () => ({}) }), /unknown argument/);
});
