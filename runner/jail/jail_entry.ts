/**
 * The program a jailed child runs: loads the agent, runs it with an in-child bus whose events go
 * to stdout as protocol lines, and reports the result. Started by `zu run`, `zu capture`,
 * `zu replay` and `zu harden` through {@link runInJail} with exactly the computed flags.
 *
 * Usage: `deno run <flags> jail_entry.ts --agent <file> --mode live|offline|harden
 * [--dns <json>] [--options <json>] [--stdin-options]` (`--stdin-options`: the first stdin line
 * is a JSON object merged into the options: the model broker's routes and phantom, and
 * `resume_events`, the events of a paused run to resume with `resumeTask`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { EventBus } from "../../core/bus.ts";
import type { Event } from "../../core/events.ts";
import { RunFailure, UserError } from "../../core/errors.ts";
import { Registry } from "../../core/registry.ts";
import type { Tool } from "../../core/types.ts";
import type { AgentRegistries, ToolFactory } from "../../agent/builtins.ts";
import { exitProcess } from "../../agent/plugin_guard.ts";
import { writeJailLine } from "./protocol.ts";
import { installDenialHandlers, LineSink, safeEnv } from "./jail_child.ts";
import { jailTools } from "./jail_tool.ts";
import { applyModelOverrides, parseModelOverrides } from "./model_routes.ts";
import { HOST_EXECUTED_TOOLS, hostForwardedTool, HostToolClient } from "./host_tool.ts";
import { installFetchRelay, type RelayChannel } from "./fetch_relay.ts";

function camel(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  }
  return out;
}

function pinnedResolver(dns: Record<string, string[]>): (host: string) => Promise<string[]> {
  return (host: string): Promise<string[]> => {
    const ips = dns[host.toLowerCase().replace(/\.$/, "")];
    if (ips && ips.length) return Promise.resolve([...ips]);
    if (ips) {
      // Declared, but the host's DNS gave no answer at launch: a DNS failure, not a refusal.
      return Promise.reject(
        new Error(`the name did not resolve when the run started (no address was granted)`),
      );
    }
    return Promise.reject(
      new Deno.errors.NotCapable(
        `Requires net access to "${host}": it was not declared, so the jail did not resolve it`,
      ),
    );
  };
}

/**
 * Registries whose `http_fetch` resolves names only from `dns` (the host's answers at launch):
 * the child has no DNS permission, and every address it may dial was granted by name.
 */
export async function pinnedRegistries(dns: Record<string, string[]>): Promise<AgentRegistries> {
  const { builtinRegistries } = await import("../../agent/builtins.ts");
  const { HttpFetch } = await import("../../agent/tools/http_fetch.ts");
  const base = builtinRegistries();
  const tools = new Registry<ToolFactory>("tools");
  for (const name of base.tools.names()) {
    if (name !== "http_fetch") tools.register(name, base.tools.get(name));
  }
  const builtinFetch = base.tools.get("http_fetch");
  const resolver = pinnedResolver(dns);
  tools.register("http_fetch", (args = {}) => {
    builtinFetch(args); // validates the arguments exactly as the built-in does
    return new HttpFetch({ ...camel(args), resolver }) as Tool;
  });
  return { ...base, tools };
}

/**
 * Registries whose `http_fetch` sends a URL the child's grant does not cover through the fetch
 * relay (live clearance, `relayed_http_fetch.ts`); a covered one goes to `registries`' own.
 */
export async function relayedRegistries(
  registries: AgentRegistries,
  channel: RelayChannel,
  holdMs = 0,
): Promise<AgentRegistries> {
  const { HttpFetch } = await import("../../agent/tools/http_fetch.ts");
  const { relayTransport, routedHttpFetch } = await import("./relayed_http_fetch.ts");
  const tools = new Registry<ToolFactory>("tools");
  for (const name of registries.tools.names()) {
    const make = registries.tools.get(name);
    if (name !== "http_fetch") {
      tools.register(name, make);
      continue;
    }
    tools.register(name, (args = {}) => {
      const direct = make(args); // validates the arguments exactly as the built-in does
      // The operator's hold comes on top of the tool's own timeout (default 20 s).
      const options = camel(args);
      const own = typeof options.timeoutMs === "number" ? options.timeoutMs : 20_000;
      const relayed = new HttpFetch({
        ...options,
        timeoutMs: own + holdMs,
        transport: relayTransport(channel),
      });
      return routedHttpFetch(direct, relayed as Tool);
    });
  }
  return { ...registries, tools };
}

/**
 * Replaces the tier-2 tools of `registries` with stand-ins that run the tool's own checks here
 * (actions, view arguments, scheme, `allowed_domains`, SSRF with the pinned answers in `dns`)
 * and forward the call to the host through `client`: the child never touches the Docker socket.
 */
export async function hostToolRegistries(
  registries: AgentRegistries,
  client: Pick<HostToolClient, "call">,
  dns: Record<string, string[]> | null,
): Promise<AgentRegistries> {
  const { BrowserToolConfig, viewArgs } = await import("../../agent/tools/browser_target.ts");
  const { InvalidActionError, validateActions } = await import(
    "../../images/browser/actions.ts"
  );
  const tools = new Registry<ToolFactory>("tools");
  for (const name of registries.tools.names()) {
    const make = registries.tools.get(name);
    if (!HOST_EXECUTED_TOOLS.includes(name)) {
      tools.register(name, make);
      continue;
    }
    tools.register(name, (args = {}) => {
      const tool = make(args); // validates the arguments exactly as the built-in does
      const resolver = dns ? pinnedResolver(dns) : undefined;
      const config = new BrowserToolConfig({
        ...camel(args),
        ...(resolver ? { resolver } : {}),
      });
      return hostForwardedTool(tool, client, async (callArgs) => {
        // shell and run_code: the host checks their arguments (nothing here to pre-check).
        if (name !== "render_dom" && name !== "browser") return null;
        try {
          validateActions(callArgs["actions"]);
        } catch (error) {
          if (error instanceof InvalidActionError) {
            return { error: error.message, blocked: error.blocked };
          }
          throw error;
        }
        viewArgs(callArgs);
        if (name === "render_dom" || callArgs["op"] === "open") {
          await config.checkTarget(callArgs["url"]);
        }
        return null;
      });
    });
  }
  return { ...registries, tools };
}

/**
 * The first line of stdin as a JSON object, read byte by byte so the rest of stdin (tool results,
 * a bundle) stays unread for its own reader.
 */
async function readFirstLine(): Promise<Record<string, unknown>> {
  const bytes: number[] = [];
  const one = new Uint8Array(1);
  for (;;) {
    const n = await Deno.stdin.read(one);
    if (n === null || one[0] === 10) break;
    if (n === 1) bytes.push(one[0] as number);
  }
  const value = JSON.parse(new TextDecoder().decode(new Uint8Array(bytes)));
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError("jail_entry --stdin-options needs a JSON object on the first stdin line");
  }
  return value as Record<string, unknown>;
}

function fail(err: unknown): never {
  if (err instanceof UserError || err instanceof RunFailure) {
    writeJailLine({
      zu_jail: "error",
      code: err.code,
      user: err instanceof UserError,
      message: err.message,
    });
    exitProcess(2);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  writeJailLine({
    zu_jail: "error",
    code: "bug",
    user: false,
    message: `${e.name}: ${e.message}`,
    stack: e.stack ?? "",
  });
  exitProcess(1);
}

async function live(
  agent: string,
  dns: Record<string, string[]> | null,
  options: Record<string, unknown>,
): Promise<void> {
  const { loadAgentConfig, assembleRun } = await import("../../agent/config.ts");
  const { runTask } = await import("../../agent/loop.ts");
  const { builtinRegistries } = await import("../../agent/builtins.ts");
  const client = new HostToolClient();
  // Live clearance: fetch to a host this child may not reach is relayed to the host's egress
  // proxy, which holds it for an operator (fetch_relay.ts); installed before any plugin loads.
  const relay = options.relay === true;
  if (relay) installFetchRelay(client);
  const base = dns ? await pinnedRegistries(dns) : builtinRegistries();
  const registries = await hostToolRegistries(
    relay ? await relayedRegistries(base, client, Number(options.relay_hold_ms) || 0) : base,
    client,
    dns,
  );
  const loaded = await loadAgentConfig(agent, { env: safeEnv, registries });
  // Providers talk to the host's model broker with the phantom: the key never enters the child.
  const { config, env } = applyModelOverrides(loaded, parseModelOverrides(options.models), safeEnv);
  // A task given by the caller (zu serve's POST /v1/runs) replaces the agent's query.
  const task = typeof options.task === "string" ? { task: { query: options.task } } : {};
  const run = await assembleRun(config, { env, registries, ...task });
  if (Array.isArray(options.resume_events)) {
    // A resumed run keeps its task id: the events it appends continue its log.
    const first = options.resume_events[0] as { task_id?: unknown } | undefined;
    if (typeof first?.task_id === "string") run.spec = { ...run.spec, task_id: first.task_id };
  }
  installDenialHandlers({ task_id: run.spec.task_id, trace_id: run.spec.task_id });
  const bus = new EventBus(new LineSink());
  const plugins = { ...run.plugins, tools: jailTools(run.plugins.tools) };
  let track = null;
  if (options.track !== false) {
    const { Track } = await import("../../agent/track.ts");
    track = await Track.load(`${config.agentDir}/track.json`);
  }
  const resumeEvents = options.resume_events;
  const result = Array.isArray(resumeEvents)
    ? await (await import("../../agent/resume.ts")).resumeTask(
      run.spec,
      run.provider,
      plugins,
      bus,
      resumeEvents,
      {
        ...run.runOptions,
        env: safeEnv,
        ...(options.resumed_event && typeof options.resumed_event === "object"
          ? { resumed: options.resumed_event as Event }
          : {}),
      },
    )
    : await runTask(run.spec, run.provider, plugins, bus, {
      ...run.runOptions,
      env: safeEnv,
      ...(track ? { track } : {}),
    });
  await bus.close();
  await client.close();
  writeJailLine({
    zu_jail: "result",
    result: {
      result,
      task: run.spec.query,
      task_id: run.spec.task_id,
      model: run.provider.model,
      replayed_track: track !== null && track.matches(run.spec.query),
    },
  });
}

/** Runs the child program with `args`. */
export async function jailMain(args: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      agent: { type: "string" },
      mode: { type: "string" },
      dns: { type: "string" },
      options: { type: "string" },
      "stdin-options": { type: "boolean" },
    },
    strict: true,
  });
  const agent = values.agent;
  if (!agent) throw new TypeError("jail_entry needs --agent");
  const dns = values.dns ? JSON.parse(values.dns) as Record<string, string[]> : null;
  const mode = values.mode ?? "live";
  const options = values.options ? JSON.parse(values.options) as Record<string, unknown> : {};
  if (values["stdin-options"]) Object.assign(options, await readFirstLine());
  if (mode === "live") return await live(agent, dns, options);
  const { runOfflineMode } = await import("./_jail_offline.ts");
  await runOfflineMode(mode, agent, options);
}

if (import.meta.main) {
  try {
    await jailMain(Deno.args);
  } catch (err) {
    fail(err);
  }
}
