import { equal, ok, rejects } from "node:assert/strict";
import { SecurityBlock, UserError, ZuError } from "../../core/errors.ts";
import type { RunContext } from "../../core/types.ts";
import { newTaskSpec } from "../../core/contracts.ts";
import { pinnedRegistries } from "./jail_entry.ts";
import { isPermissionDenial, jailTool } from "./jail_tool.ts";

const ctx: RunContext = {
  spec: newTaskSpec({ query: "q" }),
  observation: null,
  events: [],
  tainted: false,
  mode: "execute",
  quarantined: false,
};

Deno.test("the jailed http_fetch resolves only the names the host resolved, and says so", async () => {
  const registries = await pinnedRegistries({ "shop.example": ["93.184.216.34"] });
  const tool = jailTool(
    registries.tools.get("http_fetch")({ allowed_domains: ["shop.example", "other.example"] }),
  );
  equal(tool.name, "http_fetch");
  await rejects(tool.call(ctx, { url: "https://other.example/" }), (e: unknown) => {
    ok(e instanceof SecurityBlock);
    equal(e.kind, "runtime_permission");
    equal(e.target, "other.example");
    return true;
  });
});

Deno.test("a declared name the host could not resolve is a DNS failure in the jail, never a jail refusal", async () => {
  const registries = await pinnedRegistries({ "shop.example": [] });
  const tool = jailTool(registries.tools.get("http_fetch")({ allowed_domains: ["shop.example"] }));
  await rejects(tool.call(ctx, { url: "https://shop.example/" }), (e: unknown) => {
    ok(!(e instanceof SecurityBlock), String(e));
    ok(e instanceof ZuError && e.code === "dns_failed", String(e));
    ok(
      /Cannot resolve host "shop\.example": .*did not resolve when the run started/.test(e.message),
    );
    ok(!/jail|Requires net/.test(e.message), e.message);
    return true;
  });
});

Deno.test("a dns_failed error is not a permission denial even when its cause chain names one", () => {
  const cause = new Deno.errors.NotCapable('Requires net access to "x.test"');
  const err = new UserError("dns_failed", 'Cannot resolve host "x.test": lookup failed', { cause });
  equal(isPermissionDenial(err), false);
  equal(isPermissionDenial(cause), true);
});

Deno.test("the jailed http_fetch still validates its arguments like the built-in", async () => {
  const registries = await pinnedRegistries({});
  let threw = false;
  try {
    registries.tools.get("http_fetch")({ nope: 1 });
  } catch (e) {
    threw = e instanceof TypeError && /unknown argument "nope"/.test(e.message);
  }
  ok(threw);
  ok(registries.tools.has("html_parse") && registries.tools.has("recall"));
});
