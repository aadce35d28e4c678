import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { ContainmentRequired } from "../core/errors.ts";
import { containmentBasis, enforceContainment, needsContainment } from "./security.ts";
import { fixtureTool } from "./_testing.ts";

const tools = new Map([
  ["zeta", fixtureTool("zeta", () => ({}), { egress: ["api.example"] })],
  ["alpha", fixtureTool("alpha", () => ({}), { capabilities: ["net"] })],
  ["pure", fixtureTool("pure", () => ({}))],
]);

Deno.test("enforceContainment lists sorted offenders unless ZU_SANDBOXED is set", () => {
  throws(
    () => enforceContainment("required", tools, { env: () => "" }),
    (e: unknown) => e instanceof ContainmentRequired && e.offenders.join() === "alpha,zeta",
  );
  enforceContainment("required", tools, { env: (n) => (n === "ZU_SANDBOXED" ? "1" : undefined) });
  enforceContainment("audit", tools, { env: () => undefined });
  throws(() => enforceContainment("strict" as never, tools), TypeError);
});

Deno.test("needsContainment counts capabilities, egress and tier 2", () => {
  equal(needsContainment(fixtureTool("t", () => ({}), { tier: 2 })), true);
  equal(needsContainment(fixtureTool("t", () => ({}))), false);
});

Deno.test("containmentBasis is corroborated only with all three variables", () => {
  const all = {
    ZU_SANDBOXED: "1",
    HTTPS_PROXY: "http://p:1",
    ZU_SANDBOX_NETWORK: "zu-net",
  } as Record<string, string>;
  deepStrictEqual(containmentBasis("required", { env: (n) => all[n] }), {
    policy: "required",
    sandboxed: true,
    corroborated: true,
    signals: { HTTPS_PROXY: true, ZU_SANDBOX_NETWORK: true },
  });
  equal(
    containmentBasis("required", { env: (n) => (n === "ZU_SANDBOXED" ? undefined : all[n]) })
      .corroborated,
    false,
  );
});
