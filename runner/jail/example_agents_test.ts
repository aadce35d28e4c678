import { jailAgentOf } from "./jail_agent.ts";
import { deepEqual } from "node:assert/strict";
import { loadAgentConfig } from "../../agent/config.ts";
import { computeRunPermissions, type JailAgent } from "./permission_flags.ts";

// The permission flags of every example agent, pinned. Regenerate with:
//   ZU_UPDATE_SNAPSHOTS=1 deno test -A runner/jail/example_agents_test.ts
const EXPECTED = new URL("./testdata/example_agent_flags.json", import.meta.url);
const AGENTS = new URL("../../fixtures/agents/", import.meta.url);
const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const NO_ENV = (_: string) => undefined;

async function jailAgent(dir: string): Promise<JailAgent> {
  return jailAgentOf(await loadAgentConfig(dir, { env: NO_ENV }), { env: NO_ENV });
}

Deno.test("the permission flags of every example agent match the pinned snapshot", async () => {
  const actual: Record<string, { live: string[]; offline: string[] }> = {};
  const names = [...Deno.readDirSync(AGENTS)].filter((e) => e.isDirectory).map((e) => e.name)
    .sort();
  for (const name of names) {
    const agent = await jailAgent(new URL(name, AGENTS).pathname);
    const rel = (flags: string[]) => flags.map((f) => f.replaceAll(ROOT, "<zu>"));
    actual[name] = {
      live: rel(computeRunPermissions(agent, { mode: "live", env: NO_ENV }).flags),
      offline: rel(computeRunPermissions(agent, { mode: "offline", env: NO_ENV }).flags),
    };
  }
  if (Deno.env.get("ZU_UPDATE_SNAPSHOTS") === "1") {
    await Deno.mkdir(new URL("./testdata/", import.meta.url), { recursive: true });
    await Deno.writeTextFile(EXPECTED, JSON.stringify(actual, null, 2) + "\n");
  }
  deepEqual(actual, JSON.parse(await Deno.readTextFile(EXPECTED)));
});
