import { equal, match, ok, rejects } from "node:assert/strict";
import { UserError } from "../../core/errors.ts";
import type { Event } from "../../core/events.ts";
import { loadAgentConfig } from "../../agent/config.ts";
import { MemorySink } from "../../sinks/memory/mod.ts";
import { runAgent } from "../run_agent.ts";
import { permissionsFor } from "../jailed.ts";
import { confinedAgentDir } from "./agent_dir.ts";
import { runInJail } from "./child_runner.ts";

const PROBE = new URL("./testdata/probe_entry.ts", import.meta.url);
const HOST = { env: (_: string) => undefined, stderr: (_: string) => {} };

/** `<tmp>/agent` (a scripted agent) and `<tmp>/outside/secret.txt`. */
async function layout(): Promise<{ root: string; agentDir: string; secret: string }> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "zu_agent_dir_" }));
  const agentDir = `${root}/agent`;
  await Deno.mkdir(`${agentDir}/pages`, { recursive: true });
  await Deno.writeTextFile(
    `${agentDir}/agent.yaml`,
    [
      "provider:",
      "  name: scripted",
      "  script: [{text: '{\"answer\": 42}'}]",
      "task: {query: What is the answer?}",
    ].join("\n") + "\n",
  );
  await Deno.writeTextFile(`${agentDir}/pages/inside.txt`, "inside-ok");
  await Deno.mkdir(`${root}/outside`);
  const secret = `${root}/outside/secret.txt`;
  await Deno.writeTextFile(secret, "host-secret");
  return { root, agentDir, secret };
}

async function loaded(agentDir: string) {
  const config = await loadAgentConfig(agentDir, { env: HOST.env });
  return { file: `${agentDir}/agent.yaml`, config };
}

Deno.test("a symlink in the agent directory that leads outside stops the jailed run before any child starts", async () => {
  const { root, agentDir, secret } = await layout();
  try {
    await Deno.symlink(secret, `${agentDir}/pages/leak.txt`);
    const agent = await loaded(agentDir);
    const sink = new MemorySink();
    await rejects(
      runAgent(agent, { mode: "jailed", host: HOST, sink, track: false }),
      (e: unknown) => {
        ok(e instanceof UserError, String(e));
        equal(e.code, "agent_invalid");
        match(e.message, /"pages\/leak\.txt" is a symlink to ".*\/outside\/secret\.txt" outside/);
        ok(!e.message.includes("\n"), "one line");
        return true;
      },
    );
    equal(await sink.count(), 0, "no child ran, so nothing was recorded");
    await rejects(permissionsFor(HOST, agent, { mode: "offline" }), UserError);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a symlink that leads nowhere or to an outside directory is refused too", async () => {
  const { root, agentDir } = await layout();
  try {
    await Deno.symlink(`${root}/gone`, `${agentDir}/dangling`);
    await rejects(confinedAgentDir(agentDir), /"dangling" is a symlink that leads nowhere/);
    await Deno.remove(`${agentDir}/dangling`);
    await Deno.symlink(`${root}/outside`, `${agentDir}/pages/dir`);
    await rejects(confinedAgentDir(agentDir), /"pages\/dir" is a symlink to ".*\/outside"/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the jailed child reads the agent directory by its real path and nothing outside it", async () => {
  const { root, agentDir, secret } = await layout();
  try {
    // The agent is named through a symlinked alias; a link inside that stays inside is fine.
    await Deno.symlink(agentDir, `${root}/alias`);
    await Deno.symlink(`${agentDir}/pages/inside.txt`, `${agentDir}/pages/again.txt`);
    const agent = await loaded(`${root}/alias`);
    const { perms } = await permissionsFor(HOST, agent, { mode: "offline" });
    ok(perms.flags.includes(`--allow-read=${agentDir}`), perms.flags.join(" "));
    ok(!perms.flags.some((f) => f.includes("/alias")), "the alias is never granted");

    const read = async (path: string) => {
      const events: Event[] = [];
      const r = await runInJail(PROBE, ["read", path], perms, {
        onEvent: (e) => void events.push(e),
      });
      const out = r.result as { observation?: Record<string, unknown> } | undefined;
      return { code: r.code, stderr: r.stderr, events, observation: out?.observation ?? {} };
    };
    const inside = await read(`${agentDir}/pages/again.txt`);
    equal(inside.code, 0, inside.stderr);
    equal(inside.observation.text, "inside-ok");

    const outside = await read(secret);
    equal(outside.code, 0, outside.stderr);
    equal(outside.observation.blocked, "runtime_permission");
    ok(!JSON.stringify(outside.observation).includes("host-secret"));
    equal(outside.events[0]?.type, "harness.defense.blocked");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
