import assert from "node:assert/strict";
import type { RunContext } from "../core/types.ts";
import { AllowedDomainsGate, checkHostPattern } from "./allowed_domains_gate.ts";

const ctx = {} as RunContext;

Deno.test("AllowedDomainsGate follows core's grammar: apex and subdomains, IDNA, ports", () => {
  const gate = new AllowedDomainsGate(["*.shop.example", "bücher.de", "api.test:8443"]);
  assert.equal(gate.allowsUrl("https://shop.example/"), true);
  assert.equal(gate.allowsUrl("https://a.b.shop.example/"), true);
  assert.equal(gate.allowsUrl("https://SHOP.example./"), true);
  assert.equal(gate.allowsUrl("https://evilshop.example/"), false);
  assert.equal(gate.allowsUrl("https://shop.example:8443/"), false);
  assert.equal(gate.allowsUrl("https://xn--bcher-kva.de/"), true);
  assert.equal(gate.allowsUrl("https://api.test:8443/"), true);
  assert.equal(gate.allowsUrl("https://api.test/"), false);
});

Deno.test("AllowedDomainsGate refuses a bare star or a glob at construction", () => {
  assert.throws(() => new AllowedDomainsGate(["*"]), TypeError);
  assert.throws(() => new AllowedDomainsGate(["api*.example"]), TypeError);
});

Deno.test("AllowedDomainsGate denies off-list navigation and ignores other tools", () => {
  const gate = new AllowedDomainsGate(["*.shop.example"]);
  assert.equal(
    gate.check({ name: "http_fetch", args: { url: "https://www.shop.example/a" } }, ctx),
    null,
  );
  assert.equal(gate.check({ name: "recall", args: { url: "https://evil.example/" } }, ctx), null);
  assert.equal(gate.check({ name: "browser", args: { op: "read" } }, ctx), null);
  const v = gate.check({ name: "render_dom", args: { url: "https://evil.example/" } }, ctx);
  assert.equal(v?.severity, "deny");
  assert.equal(v?.detector, "allowed_domains");
  assert.equal(
    gate.check({ name: "http_fetch", args: { url: "not a url" } }, ctx)?.severity,
    "deny",
  );
  assert.equal(
    gate.check({ name: "http_fetch", args: { url: "http://[::ffff:127.0.0.1]/" } }, ctx)?.severity,
    "deny",
  );
  assert.equal(gate.allowsUrl("https://shop.example/x"), true);
  assert.equal(gate.allowsUrl("https://shop.example.evil.test/x"), false);
});

Deno.test("checkHostPattern refuses URLs, a bare star and empty entries, and accepts ports", () => {
  assert.deepEqual(checkHostPattern(" shop.example "), { pattern: "shop.example" });
  assert.deepEqual(checkHostPattern("shop.example:8443"), { pattern: "shop.example:8443" });
  assert.ok("error" in checkHostPattern("https://shop.example"));
  assert.ok("error" in checkHostPattern("*"));
  assert.ok("error" in checkHostPattern(""));
  assert.ok("error" in checkHostPattern(42));
});
