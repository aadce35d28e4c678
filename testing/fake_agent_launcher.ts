/**
 * A fake of the `AgentLauncher` port (a contained run): it records each launch request, plays
 * scripted agent output lines (`{"zu_jail":"event",...}` lines are appended to the sink, every
 * other line goes to `onAgentLine`) and answers a scripted outcome. No Docker.
 *
 * @example
 * ```ts
 * import { FakeAgentLauncher } from "./fake_agent_launcher.ts";
 * import { MemorySink } from "../sinks/memory/mod.ts";
 * const lines: Record<string, unknown>[] = [];
 * const launcher = new FakeAgentLauncher({ sink: new MemorySink(), onAgentLine: (l) => lines.push(l) }, {
 *   lines: [{ zu_jail: "result", result: { ok: true } }],
 * });
 * const outcome = await launcher.run({ command: ["deno"], allowlist: [], timeoutMs: 1000 });
 * console.assert(outcome.exitCode === 0 && lines.length === 1 && launcher.requests.length === 1);
 * ```
 * @module
 */
import type { Event } from "../core/events.ts";
import type { AgentLauncher, EventSink, LaunchOutcome, LaunchRequest } from "../core/types.ts";

/** Where a contained run's output goes (what the runner hands its launcher). */
export interface FakeLauncherWiring {
  /** The host's sink: event lines are appended here. */
  sink: EventSink;
  /** Every other JSON line of the agent. */
  onAgentLine?: (line: Record<string, unknown>) => void;
}

/** What the fake plays. */
export interface FakeAgentLauncherOptions {
  /** The agent's stdout lines, in order. Default none. */
  lines?: readonly Record<string, unknown>[];
  /** The proxy's decisions. Default none. */
  decisions?: readonly Record<string, unknown>[];
  /** The agent's exit code. Default 0. */
  exitCode?: number | null;
  /** Killed at the run's timeout. Default false. */
  timedOut?: boolean;
}

/** A scripted {@link AgentLauncher}. */
export class FakeAgentLauncher implements AgentLauncher {
  /** Every request, in order. */
  readonly requests: LaunchRequest[] = [];
  #wiring: FakeLauncherWiring;
  #options: FakeAgentLauncherOptions;

  /** Creates the fake for one run's wiring. */
  constructor(wiring: FakeLauncherWiring, options: FakeAgentLauncherOptions = {}) {
    this.#wiring = wiring;
    this.#options = options;
  }

  /** Records `request`, plays the lines and answers the scripted outcome. */
  async run(request: LaunchRequest): Promise<LaunchOutcome> {
    this.requests.push(request);
    let events = 0;
    for (const line of this.#options.lines ?? []) {
      if (line.zu_jail === "event") {
        await this.#wiring.sink.append(line.event as Event);
        events++;
      } else {
        this.#wiring.onAgentLine?.(line);
      }
    }
    return {
      exitCode: this.#options.exitCode === undefined ? 0 : this.#options.exitCode,
      timedOut: this.#options.timedOut ?? false,
      events,
      rejectedEvents: 0,
      proxyDecisions: [...(this.#options.decisions ?? [])].map((d) => ({ ...d })),
      allowlist: [...request.allowlist],
      proxyFlags: [],
      network: "zu-net-fake",
      stderr: "",
      durationMs: 0,
    };
  }
}
