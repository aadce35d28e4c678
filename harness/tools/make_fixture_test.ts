import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { bundlePath, serializeBundle } from "../bundle.ts";
import { makeFixture } from "./make_fixture.ts";

const SHOP = fileURLToPath(new URL("../../fixtures/agents/shop-price", import.meta.url));

Deno.test("the committed shop-price bundle is exactly what a loopback capture of the agent produces", async () => {
  const out = await makeFixture(SHOP, { write: false });
  assert.equal(out.result.status, "success");
  const committed = await Deno.readTextFile(bundlePath(SHOP));
  assert.equal(serializeBundle(out.bundle), committed);
  const page = await Deno.readTextFile(`${SHOP}/pages/product.html`);
  assert.equal(out.bundle.observations.http_fetch?.[0]?.html, page, "the full page, not a summary");
});
