import { equal, ok } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const TOOL = `
export class Gh {
  name = "gh";
  tier = 1;
  egress = new Set(["api.github.com"]);
  schema = { name: "gh", description: "GitHub", parameters: { type: "object", properties: {} } };
  async call() { return {}; }
}
`;

Deno.test("zu explain-permissions --bind: the proxy line and exactly the placeholder variables, never a value", async () => {
  const canary = `zu-canary-${crypto.randomUUID()}`;
  const dir = await Deno.makeTempDir({ prefix: "zu_explain_icpt_" });
  try {
    await Deno.mkdir(`${dir}/tools`);
    await Deno.writeTextFile(`${dir}/tools/gh.ts`, TOOL);
    await Deno.writeTextFile(
      `${dir}/agent.yaml`,
      `provider:
  name: scripted
tiers:
  1:
    - ref: ./tools/gh.ts#Gh
plugins:
  detectors: []
  validators: []
task:
  query: Call GitHub
  max_tier: 1
`,
    );
    const env = { GH_REAL: canary, XDG_CONFIG_HOME: `${dir}/config` };
    const flags = [
      "--secret",
      "GH=env:GH_REAL",
      "--bind",
      "GH:placeholder:api.github.com:GH_TOKEN",
      "--secret",
      "UP=env:GH_REAL",
      "--bind",
      "UP:inject:uploads.github.com",
    ];
    const json = captureIo({ cwd: dir, env });
    equal(await main(["explain-permissions", dir, ...flags, "--json"], json), 0, json.stderrText());
    const out = JSON.parse(json.stdoutText()) as {
      flags: string[];
      explain: { flag: string; value: string; why: string }[];
    };
    ok(out.flags.includes("--allow-env=GH_TOKEN,LOG_STREAM,LOG_TOKENS"), out.flags.join(" "));
    ok(!out.flags.join(" ").includes("GH_REAL"));
    const ph = out.explain.find((e) => e.value === "GH_TOKEN");
    equal(ph?.why, 'placeholder of secret "GH" (the real value stays in zu)');
    const proxy = out.explain.find((e) => e.why.startsWith("HTTPS_PROXY"));
    ok(proxy?.why.includes("127.0.0.1:<port>"), proxy?.why);
    ok(proxy?.why.includes("api.github.com, uploads.github.com"));
    ok(out.explain.some((e) => e.why.startsWith("DENO_CERT")));
    // uploads.github.com is bound but no tool declares it: the jail would not let the child reach it.
    ok(out.explain.some((e) => e.why.includes('"uploads.github.com" is not declared egress')));
    ok(!out.explain.some((e) => e.why.includes('"api.github.com" is not declared')));
    const text = captureIo({ cwd: dir, env });
    equal(await main(["explain-permissions", dir, ...flags], text), 0, text.stderrText());
    ok(text.stdoutText().includes("--allow-env GH_TOKEN"), text.stdoutText());
    ok(text.stdoutText().includes("HTTPS_PROXY and HTTP_PROXY"));
    for (const o of [json, text]) {
      ok(!(o.stdoutText() + o.stderrText()).includes(canary), "no value is resolved or shown");
    }
    // Without bindings: no proxy, no placeholder.
    const plain = captureIo({ cwd: dir, env });
    equal(await main(["explain-permissions", dir, "--json"], plain), 0, plain.stderrText());
    ok(!plain.stdoutText().includes("HTTPS_PROXY") && !plain.stdoutText().includes("GH_TOKEN"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
