import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { hardenSuite } from "./suite.ts";

const SHOP = fileURLToPath(new URL("../fixtures/agents/shop-price", import.meta.url));
const REPORTS = Deno.makeTempDirSync({ prefix: "zu_shop_price_harden_" });

// The example agent's fixture suite: zu's variants plus the whole taxonomy, one step each, with
// the HTML/JSON/JUnit/Markdown reports written.
hardenSuite(SHOP, {
  perturb: "all",
  workers: 0,
  reportDir: REPORTS,
  name: "shop-price hardens with every perturbation (script mode)",
  onReport: async (report) => {
    try {
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
  perturb: "all",
  mode: "hijacked",
  workers: 0,
  name: "shop-price blocks every injected instruction the hijacked model obeys",
});
