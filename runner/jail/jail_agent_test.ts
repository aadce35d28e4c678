import { equal, ok } from "node:assert/strict";
import { builtinRegistries, providerBuilder } from "../../agent/builtins.ts";
import { loadAgentConfig } from "../../agent/config.ts";
import { ScriptedProvider } from "../../agent/providers/scripted.ts";
import { jailAgentOf } from "./jail_agent.ts";
import { computeRunPermissions } from "./permission_flags.ts";

const NO_ENV = (_: string) => undefined;

async function agentDir(provider: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "zu_jail_agent_" });
  await Deno.writeTextFile(
    `${dir}/agent.yaml`,
    `provider:\n  name: ${provider}\ntask:\n  query: What is the answer?\n`,
  );
  return dir;
}

Deno.test("a custom-registered provider's declared host and key variable appear in the jail's flags", async () => {
  const registries = builtinRegistries();
  registries.providers.register(
    "acme-llm",
    providerBuilder(() => ScriptedProvider.fromMoves([]), {
      baseUrl: "https://llm.acme.example:8443/v1",
      apiKeyEnv: "ACME_LLM_KEY",
      baseUrlEnv: "ACME_LLM_BASE",
    }),
  );
  const dir = await agentDir("acme-llm");
  try {
    const config = await loadAgentConfig(dir, { env: NO_ENV, registries });
    const agent = await jailAgentOf(config, { env: NO_ENV, registries });
    const p = computeRunPermissions(agent, { mode: "live", env: NO_ENV });
    ok(p.flags.includes("--allow-net=llm.acme.example:8443"), p.flags.join(" "));
    ok(p.env.includes("ACME_LLM_KEY") && p.env.includes("ACME_LLM_BASE"), p.env.join(","));
    ok(!p.env.includes("OPENAI_API_KEY"), "no key variable is guessed");
    const why = p.explain.find((e) => e.value === "llm.acme.example:8443")?.why ?? "";
    ok(why.includes("declared in the provider registry"), why);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the built-in providers take their host and key variable from the registry, not their name", async () => {
  const dir = await agentDir("anthropic");
  try {
    const config = await loadAgentConfig(dir, { env: NO_ENV });
    const agent = await jailAgentOf(config, { env: NO_ENV });
    equal(agent.provider?.endpoint?.apiKeyEnv, "ANTHROPIC_API_KEY");
    const p = computeRunPermissions(agent, {
      mode: "live",
      env: (k) => k === "ANTHROPIC_BASE_URL" ? "http://127.0.0.1:9911" : undefined,
    });
    ok(p.flags.includes("--allow-net=127.0.0.1:9911"), p.flags.join(" "));
    ok(p.env.includes("ANTHROPIC_API_KEY") && p.env.includes("ANTHROPIC_BASE_URL"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
