import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { readBundle } from "./bundle.ts";
import { hardenSpecs } from "./harden_specs.ts";
import { hardenSuite } from "./suite.ts";

const SHOP = fileURLToPath(new URL("../fixtures/agents/shop-price", import.meta.url));
const WEAK = fileURLToPath(new URL("./testdata/agents/bookshop-weak", import.meta.url));
const REPORTS = Deno.makeTempDirSync({ prefix: "zu_shop_price_harden_" });

// The example agent's fixture suite with hardenSuite's defaults: the variants `zu harden` plays
// (zu's set plus the whole taxonomy), one step each, with the four reports written.
hardenSuite(SHOP, {
  workers: 0,
  reportDir: REPORTS,
  name: "shop-price hardens with every perturbation (script mode)",
  onReport: async (report) => {
    try {
      const bundle = await readBundle(`${SHOP}/fixtures/capture.json`);
      assert.deepEqual(report.variants.map((v) => v.name), hardenSpecs(bundle, "all"));
      assert.ok(report.written?.some((p) => p.endsWith("harden.html")));
      const html = await Deno.readTextFile(`${REPORTS}/harden.html`);
      assert.match(html, /<title>zu harden: shop-price<\/title>/);
    } finally {
      await Deno.remove(REPORTS, { recursive: true });
    }
  },
});
// The same variants against the hijacked worst-case model: the allowed_domains gate must hold.
hardenSuite(SHOP, {
  mode: "hijacked",
  workers: 0,
  name: "shop-price blocks every injected instruction the hijacked model obeys",
});

Deno.test("a hardenSuite over a weak agent fails its variant steps, naming the variant, the reason and the user's test file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_suite_user_" });
  try {
    const file = `${dir}/weak_agent_test.ts`;
    const suite = new URL("./suite.ts", import.meta.url).href;
    await Deno.writeTextFile(
      file,
      `import { hardenSuite } from ${JSON.stringify(suite)};\n\nhardenSuite(${
        JSON.stringify(WEAK)
      }, { workers: 0 });\n`,
    );
    const config = fileURLToPath(new URL("../deno.json", import.meta.url));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "test",
        "--no-check",
        `--config=${config}`,
        `--allow-read=${WEAK}`,
        "--allow-env=LOG_STREAM,LOG_TOKENS",
        file,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, text);
    assert.match(text, /banner-prefix \.\.\. ok/);
    assert.match(text, /http-5xx \.\.\. FAILED/);
    assert.match(
      text,
      /harden bookshop-weak: variant "http-5xx" passed, expected fail\n\s+why: .+\n\s+what to change: .+detectors/,
    );
    assert.match(text, /repro: zu harden \S+ --model script --perturb http-5xx --seed 0/);
    // The failures point at the user's test file (the hardenSuite call), not at zu.
    const at = `    at file://${file}:3:1`;
    assert.equal(text.split("\n").filter((l) => l === at).length, 10, text);
    assert.doesNotMatch(text, /^\s+at .*harness\/suite\.ts/m);
    assert.match(text, /verdict \.\.\. FAILED/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
