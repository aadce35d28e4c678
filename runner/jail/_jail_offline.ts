/**
 * The offline modes of the jailed child: `offline` (replay the bundle) and `harden` (replay
 * every perturbed variant). The bundle arrives decrypted on stdin; the child has no network and
 * needs no key.
 *
 * @module
 */
import { writeJailLine } from "./protocol.ts";
import { installDenialHandlers, safeEnv } from "./jail_child.ts";
import { jailTools } from "./jail_tool.ts";

async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

/** Runs `mode` for the agent file `agent` with command options `options`. */
export async function runOfflineMode(
  mode: string,
  agent: string,
  options: Record<string, unknown>,
): Promise<void> {
  const { loadAgentConfig } = await import("../../agent/config.ts");
  const { parseBundle } = await import("../../harness/bundle.ts");
  const bundle = parseBundle(await readStdin(), String(options.bundlePath ?? "<stdin>"));
  const config = await loadAgentConfig(agent, { env: safeEnv });
  if (mode === "offline") {
    const { replayOffline } = await import("../../harness/offline.ts");
    let ctx: { task_id: string; trace_id: string } | null = null;
    installDenialHandlers(() => ctx);
    const modelMode = options.model === "hijacked" ? "hijacked" : "script";
    const { assembleRun } = await import("../../agent/config.ts");
    const assembled = await assembleRun(config, { env: safeEnv });
    const jailed = {
      ...assembled,
      plugins: { ...assembled.plugins, tools: jailTools(assembled.plugins.tools) },
    };
    const out = await replayOffline(jailed, bundle, { mode: modelMode, env: safeEnv });
    const first = out.events[0];
    if (first) ctx = { task_id: first.task_id, trace_id: first.trace_id };
    for (const event of out.events) writeJailLine({ zu_jail: "event", event });
    writeJailLine({
      zu_jail: "result",
      result: {
        result: out.result,
        unused: out.unused,
        fixtureErrors: out.fixtureErrors,
        attack: out.attack,
      },
    });
    return;
  }
  if (mode === "harden") {
    const { harden } = await import("../../harness/harden.ts");
    const { isDefence } = await import("../../harness/defences.ts");
    let provider = undefined;
    const modelMode = options.model === "hijacked"
      ? "hijacked"
      : options.model === "oracle"
      ? "oracle"
      : options.model === "live"
      ? "live"
      : "script";
    if (modelMode === "live") {
      const { assembleRun } = await import("../../agent/config.ts");
      const { applyModelOverrides, parseModelOverrides } = await import("./model_routes.ts");
      const routed = applyModelOverrides(config, parseModelOverrides(options.models), safeEnv);
      provider = (await assembleRun(routed.config, { env: routed.env })).provider;
    }
    const perturb = Array.isArray(options.perturb)
      ? (options.perturb as string[])
      : options.perturb === "none"
      ? "none"
      : "all";
    const report = await harden(config.agentDir, {
      bundle,
      mode: modelMode,
      perturb,
      ...(provider ? { provider } : {}),
      ...(typeof options.minScore === "number" ? { minScore: options.minScore } : {}),
      ...(typeof options.workers === "number" ? { workers: options.workers } : {}),
      ...(typeof options.seed === "number" ? { seed: options.seed } : {}),
      ...(Array.isArray(options.defencesOff)
        ? { defencesOff: (options.defencesOff as string[]).filter(isDefence) }
        : {}),
      ...(options.defenceMatrix === true ? { defenceMatrix: true } : {}),
      onProgress: (done, total) => writeJailLine({ zu_jail: "progress", done, total }),
    });
    writeJailLine({ zu_jail: "result", result: { report } });
    return;
  }
  throw new TypeError(`Unknown jail mode "${mode}"`);
}
