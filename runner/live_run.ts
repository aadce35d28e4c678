/**
 * One live run in the jail, as `zu run` and `zu capture` do it: the declared hosts resolved and
 * granted, tier-2 tool calls served by the host ({@link HostToolExecutor}), every event appended
 * to the caller's sink, and the host tools closed afterwards. The caller owns the sink; it may
 * hand an opener instead, called only once every input was checked (a refused run leaves no log).
 *
 * @example
 * ```ts ignore
 * import { runLive } from "./live_run.ts";
 * const run = await runLive(host, agent, { sink });
 * console.log(run.result.result.status, run.result.task);
 * ```
 *
 * With `inject` or `placeholder` bindings in `secrets`, the child's tools reach the network
 * through the run's egress proxy on the host, which adds the real values for the bound hosts
 * (`jail_egress.ts`); the child holds only placeholders.
 *
 * With a {@link RunLiveOptions.clearance} whose hold is not off, the child's `fetch` to a host its
 * `--allow-net` does not grant is relayed to the host and sent through the run's egress proxy,
 * which holds it on the run's clearance desk (`jail_relay.ts`, docs/clearance.md "Jailed runs");
 * the child's flags stay exactly as computed.
 *
 * @module
 */
import type { Event } from "../core/events.ts";
import { SecurityBlock } from "../core/errors.ts";
import type { Resolver } from "../core/net_guard.ts";
import type { EventSink, SecretBinding } from "../core/types.ts";
import {
  placeholderVariables,
  proxyAllowlist,
  withInterceptGrants,
} from "./jail/intercept_grants.ts";
import { gateEventWriter } from "./gate/gate_event_writer.ts";
import { startJailEgress } from "./jail_egress.ts";
import { RELAY_TOOL, startJailRelay } from "./jail_relay.ts";
import { ProxyDecisionBook } from "./proxy_decision_book.ts";
import type { RunClearance } from "./clearance/run_clearance.ts";
import { type InterceptSettings, startRunInterceptor } from "./run_interceptor.ts";
import type { HostToolExecutorOptions } from "./host_tools.ts";
import { type RunBrokerOptions, type RunSecrets, startRunBroker } from "./run_broker.ts";
import {
  type JailedRun,
  jailFor,
  permissionsFor,
  type RunHost,
  runJailed,
  type RunnableAgent,
} from "./jailed.ts";

/** A run's secrets: the resolver, and the operator's bindings (`SecretSettings` fits). */
export interface LiveRunSecrets extends RunSecrets {
  /** The operator's bindings: `inject`/`placeholder` ones go to the run's egress proxy. */
  bindings?: readonly SecretBinding[];
  /** What a placeholder sent to a host it is not bound to does. Default `block-and-log`. */
  violation?: InterceptSettings["violation"];
}

/** Test seams of the run's credential interceptor and egress proxy. */
export interface LiveRunInterceptOptions {
  /** Extra roots the interceptor trusts upstream (tests: the test CA). */
  caCerts?: string[];
  /** Resolves upstream names for the interceptor and the proxy (tests). */
  dnsResolver?: Resolver;
  /** Local origins upstreams may be on besides agent.yaml's (loopback `ip:port`). */
  localOrigins?: readonly string[];
  /** System roots added to the child's trust file. Default the Debian bundle when present. */
  systemRootsPath?: string | null;
}

/** Options of {@link runLive}. */
export interface RunLiveOptions {
  /**
   * The event log to append to (the caller's to close), or a function that opens it, called once
   * the agent and its permissions were checked; null keeps events in memory only.
   */
  sink: EventSink | null | (() => Promise<EventSink | null>);
  /** Replay a matching `track.json` inside the child. Default true. */
  track?: boolean;
  /** The task's query instead of the agent's. Default the agent's. */
  task?: string;
  /** Called for each event after it was stored. */
  onEvent?: (e: Event) => void;
  /** Options of the host tool executor (backend, egress, preflight). Default: the host's Docker. */
  hostTools?: Omit<HostToolExecutorOptions, "env">;
  /**
   * Where the providers' keys come from: the broker resolves them per request on the host.
   * Default: the host environment (exactly each provider's key variable).
   */
  secrets?: LiveRunSecrets;
  /** Test seams of the credential interceptor (used only with inject/placeholder bindings). */
  intercept?: LiveRunInterceptOptions;
  /** Options of the run's model broker besides the secrets (extra upstream roots, for tests). */
  broker?: Omit<RunBrokerOptions, "secrets">;
  /**
   * Resume a paused run instead of starting one: its events (the verdict included) and the
   * `harness.run.resumed` event the caller stored as its claim, handed to the child on stdin; the
   * child runs `resumeTask`. Default none.
   */
  resume?: { events: readonly Event[]; resumed: Event };
  /**
   * The run's live clearance (`openRunClearance`, the caller's to close), or a function that opens
   * it, called right after the sink's. With a hold, the child's `fetch` to an undeclared host is
   * relayed through the run's egress proxy and held on its desk; its reports become
   * `harness.egress.pending|clearance` events. Default none (or a hold of 0): Deno refuses such
   * a fetch at once, as without clearance.
   */
  clearance?: RunClearance | (() => Promise<RunClearance | null>);
}

/** A finished live run: the child's typed answer, the stored events and the raw outcome. */
export type LiveRun = JailedRun<"live">;

/** Runs `agent` live in the jail, appending its events to `options.sink`. */
export async function runLive(
  host: RunHost,
  agent: RunnableAgent,
  options: RunLiveOptions,
): Promise<LiveRun> {
  const jail = await jailFor(host, agent);
  // The providers' keys stay here: the child reaches its model through this broker.
  await using broker = await startRunBroker(host, jail, {
    ...options.broker,
    ...(options.secrets ? { secrets: options.secrets } : {}),
  });
  // inject/placeholder: the values stay here too, added by the run's egress proxy.
  const seams = options.intercept ?? {};
  const policy = jail.addressPolicy ?? {};
  const localOrigins = [...(policy.localOrigins ?? []), ...(seams.localOrigins ?? [])];
  const stop = new AbortController();
  const bindings = options.secrets?.bindings ?? [];
  await using interceptor = bindings.length && options.secrets
    ? await startRunInterceptor({
      resolver: options.secrets.resolver,
      bindings,
      ...(options.secrets.violation ? { violation: options.secrets.violation } : {}),
    }, {
      ...(seams.caCerts ? { caCerts: seams.caCerts } : {}),
      ...(seams.dnsResolver ? { dnsResolver: seams.dnsResolver } : {}),
      ...(localOrigins.length ? { localOrigins } : {}),
      ...(policy.allowCidrs?.length ? { allowCidrs: policy.allowCidrs } : {}),
      ...(seams.systemRootsPath !== undefined ? { systemRootsPath: seams.systemRootsPath } : {}),
      onTerminate: () => {
        if (stop.signal.aborted) return;
        stop.abort(
          new SecurityBlock(
            "The run was stopped: a placeholder was sent to a host it is not bound to (--secret-violation block-and-terminate)",
            { kind: "secret_violation" },
          ),
        );
      },
    })
    : null;
  let { perms, dns } = await permissionsFor(host, agent, {
    mode: "live",
    resolve: true,
    jail,
    broker: broker ? broker.address : "none",
  });
  // Every input is checked: the log (and the clearance, which reads and writes its file) open now.
  const sink = typeof options.sink === "function" ? await options.sink() : options.sink;
  const runClearance = typeof options.clearance === "function"
    ? await options.clearance()
    : options.clearance ?? null;
  const clearance = runClearance && runClearance.holdMs > 0
    ? { desk: runClearance.gate, runId: runClearance.runId() }
    : null;
  const proxyOptions = {
    allowlist: proxyAllowlist(perms, broker?.address ?? null),
    ...(localOrigins.length ? { localOrigins } : {}),
    ...(policy.allowCidrs?.length ? { allowCidrs: policy.allowCidrs } : {}),
    ...(seams.dnsResolver ? { resolver: seams.dnsResolver } : {}),
    ...(clearance ? { clearance } : {}),
  };
  const decisions = new ProxyDecisionBook();
  await using egress = interceptor
    ? await startJailEgress(interceptor, { ...proxyOptions, log: decisions.log })
    : null;
  // Live clearance: the child's fetch to an undeclared host comes here and goes through the run's
  // egress proxy (the bindings' one when it runs), held on the desk; the child's flags stay.
  await using relay = clearance
    ? await startJailRelay({
      ...(egress ? { proxy: egress.proxy } : proxyOptions),
      decisions,
      timeoutMs: runClearance!.holdMs + 30_000,
      ...(seams.caCerts ? { caCerts: seams.caCerts } : {}),
    })
    : null;
  if (interceptor && egress) {
    const vars = placeholderVariables(bindings);
    const placeholders = Object.fromEntries(
      Object.keys(interceptor.env).map((k) => [k, vars[k] ?? k]),
    );
    const { host: hostname, port } = egress.proxy;
    perms = withInterceptGrants(perms, {
      proxy: { hostname, port },
      hosts: interceptor.hosts,
      placeholders,
    });
  }
  const { HostToolExecutor } = await import("./host_tools.ts");
  // Tier-2 egress asks the same desk: its reports reach the run's log through the same receiver.
  const hostTools = new HostToolExecutor(agent.config, {
    ...(runClearance && runClearance.holdMs > 0 ? { clearance: runClearance } : {}),
    ...(sink && agent.config.repos.length > 0 ? { onGateEvent: gateEventWriter(sink) } : {}),
    ...options.hostTools,
    env: (k) => host.env(k),
  });
  const signal = host.signal ? AbortSignal.any([host.signal, stop.signal]) : stop.signal;
  const runHost = {
    env: (k: string) => host.env(k),
    stderr: (t: string) => host.stderr(t),
    signal,
  };
  try {
    // A bad `backend:` is refused here, before the child starts (exit 2); the default one
    // (the local daemon) loads only at the first host-run tool call.
    const { isDefaultSandboxBackend } = await import("./sandbox_registry.ts");
    if (!isDefaultSandboxBackend(agent.config.backend)) await hostTools.openBackend();
    const run = await runJailed(runHost, agent, {
      mode: "live",
      perms,
      dns,
      sink,
      childOptions: {
        track: options.track ?? true,
        ...(options.task !== undefined ? { task: options.task } : {}),
        ...(relay ? { relay: true, relay_hold_ms: runClearance!.holdMs } : {}),
      },
      ...(options.resume
        ? {
          stdinOptions: {
            resume_events: options.resume.events,
            resumed_event: options.resume.resumed,
          },
        }
        : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      onToolCall: (call) =>
        relay && call.tool === RELAY_TOOL ? relay.handle(call) : hostTools.call(call),
      ...(runClearance ? { clearance: runClearance } : {}),
      ...(broker ? { broker } : {}),
      ...(interceptor && egress
        ? {
          reporters: [{ source: "egress_proxy", listen: (fn) => interceptor.listen(fn) }],
          extraEnv: egress.env,
        }
        : {}),
    });
    // A violation under block-and-terminate fails the run even when the child still answered.
    if (stop.signal.aborted) throw stop.signal.reason;
    // Closing tears the run's sandboxes down, which meters them.
    await hostTools.close();
    return { ...run, sandbox: hostTools.sandboxCost() };
  } finally {
    await hostTools.close();
  }
}
