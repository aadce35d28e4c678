import { equal, ok, rejects } from "node:assert/strict";
import { SecurityBlock } from "../../core/errors.ts";
import type { RunContext } from "../../core/types.ts";
import { newTaskSpec } from "../../core/contracts.ts";
import { pinnedRegistries } from "./jail_entry.ts";
import { jailTool } from "./jail_tool.ts";

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
