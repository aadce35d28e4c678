import assert from "node:assert/strict";
import type { RunContext } from "../core/types.ts";
import { AllowedDomainsGate, checkHostPattern, hostMatches } from "./allowed_domains_gate.ts";

const ctx = {} as RunContext;

Deno.test("hostMatches follows zu's grammar: exact, *.domain with its apex, *, odd globs", () => {
  assert.equal(hostMatches("shop.example", "shop.example"), true);
  assert.equal(hostMatches("SHOP.example.", "shop.EXAMPLE"), true);
  assert.equal(hostMatches("notshop.example", "shop.example"), false);
  assert.equal(hostMatches("a.b.shop.example", "*.shop.example"), true);
  assert.equal(hostMatches("shop.example", "*.shop.example"), true);
  assert.equal(hostMatches("evilshop.example", "*.shop.example"), false);
  assert.equal(hostMatches("anything.test", "*"), true);
  assert.equal(hostMatches("api7.example", "api*.example"), true);
  assert.equal(hostMatches("", "*"), false);
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

Deno.test("checkHostPattern refuses URLs and empty entries", () => {
  assert.deepEqual(checkHostPattern(" shop.example "), { pattern: "shop.example" });
  assert.ok("error" in checkHostPattern("https://shop.example"));
  assert.ok("error" in checkHostPattern("shop.example:443"));
  assert.ok("error" in checkHostPattern(""));
  assert.ok("error" in checkHostPattern(42));
});
