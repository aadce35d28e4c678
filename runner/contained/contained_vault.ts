/**
 * The real host side of a contained run's secrets: {@link modelBrokerStarter} starts the model
 * broker (`startModelBroker`) for the routes a contained run asks for, listening on the host
 * socket the sidecar forwards `http://zu-vault/...` to; {@link startContainedIntercept} starts
 * the run's credential interceptor (`startRunInterceptor`) and serves its hand-off on the socket
 * the sidecar's `--forward-connect` reaches ({@link serveHandoffSocket}). Both report each use
 * of a secret (never a value) through `onReport`, which the runner turns into
 * `harness.egress.credential` / `harness.egress.secret_echo` events.
 *
 * @example
 * ```ts ignore
 * import { modelBrokerStarter, startContainedIntercept } from "./contained_vault.ts";
 * const startBroker = modelBrokerStarter({ env: Deno.env.get, onReport: console.log });
 * const intercept = await startContainedIntercept(settings, { onReport: console.log });
 * await runSandboxed("agent.yaml", { sink, timeoutMs: 600_000, startBroker, ...(intercept ? { intercept } : {}) });
 * ```
 * @module
 */
import type { Resolver } from "../../core/net_guard.ts";
import type { SecretBinding, SecretResolver } from "../../core/types.ts";
import { serveHandoffSocket } from "../../backends/egress/handoff_socket.ts";
import {
  type BrokerReport,
  dialable,
  hostEnvResolver,
  policyOf,
  routeSecrets,
} from "../run_broker.ts";
import {
  type InterceptSettings,
  type RunInterceptorOptions,
  startRunInterceptor,
} from "../run_interceptor.ts";
import type { ContainedIntercept, StartContainedBroker } from "./contained_broker.ts";

/** Who reported a use of a secret: the model broker or the egress interceptor. */
export type ContainedReportSource = "model_broker" | "egress_proxy";

/** Receives the reports of a contained run's broker and interceptor. */
export type ContainedReporter = (source: ContainedReportSource, report: BrokerReport) => void;

/** Options of {@link modelBrokerStarter}. */
export interface ContainedBrokerOptions {
  /** Reads the host's environment (the fallback for keys, and which routes carry one). */
  env: (name: string) => string | undefined;
  /** The operator's resolver (the vault). Default: the host environment. */
  resolver?: SecretResolver;
  /** The operator's bindings (a `route` binding names the secret of the provider it binds). */
  bindings?: readonly SecretBinding[];
  /** Extra upstream roots (tests). */
  caCerts?: string[];
  /** Resolves upstream names (the operator's sandbox pins, tests). Default the system resolver. */
  resolveHost?: Resolver;
  /** Operator-named non-global ranges the upstreams may be on (`ZU_SANDBOX_ALLOW_CIDRS`). */
  allowCidrs?: readonly string[];
  /** Receives each report (source `model_broker`). */
  onReport?: ContainedReporter;
}

/**
 * A contained run's broker factory over the real model broker: each route's key variable is the
 * secret's name, resolved per request by the operator's resolver (else read from the host's
 * environment); a route whose variable is unset and that has no operator resolver is keyless.
 * The broker listens on the request's unix socket only (no TCP port), may dial the request's
 * loopback origins and the private literals the routes name, and answers route URLs on
 * `http://zu-vault` (the sidecar forwards requests with `Host: zu-vault`).
 */
export function modelBrokerStarter(options: ContainedBrokerOptions): StartContainedBroker {
  return async (request) => {
    const { startModelBroker } = await import("../../backends/egress/model_broker.ts");
    const secrets = options.resolver
      ? { resolver: options.resolver, ...(options.bindings ? { bindings: options.bindings } : {}) }
      : undefined;
    const secretOf = await routeSecrets(
      request.routes.map((r) => ({ ...r, upstream: dialable(r.upstream) })),
      { env: options.env, ...(secrets ? { secrets } : {}) },
    );
    const routes = request.routes.map((r) => ({
      id: r.id,
      upstream: dialable(r.upstream),
      secret: secretOf.get(r.id) ?? null,
      authHeader: r.authHeader,
    }));
    const allowCidrs = [
      ...(options.allowCidrs ?? []),
      ...policyOf(routes.map((r) => r.upstream)).allowCidrs,
    ];
    const report = options.onReport ?? (() => {});
    const broker = await startModelBroker({
      routes,
      resolver: options.resolver ?? hostEnvResolver(options.env),
      unixPath: request.unixPath,
      ...(request.localOrigins.length ? { localOrigins: request.localOrigins } : {}),
      ...(allowCidrs.length ? { allowCidrs } : {}),
      ...(options.caCerts ? { caCerts: options.caCerts } : {}),
      ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
      onCredential: (use) => report("model_broker", { kind: "credential", use }),
      onEcho: (echo) => report("model_broker", { kind: "echo", echo }),
    });
    return {
      phantom: broker.phantom,
      routeUrl: (id, origin) => broker.routeUrl(id, origin),
      close: () => broker.close(),
    };
  };
}

/** Options of {@link startContainedIntercept}. */
export interface ContainedInterceptOptions extends
  Pick<
    RunInterceptorOptions,
    "caCerts" | "dnsResolver" | "localOrigins" | "allowCidrs" | "systemRootsPath"
  > {
  /** Receives each report (source `egress_proxy`). */
  onReport?: ContainedReporter;
  /** Called on a misplaced placeholder under `block-and-terminate` (stop the agent). */
  onTerminate?: () => void;
  /** Each decision line of the hand-off socket (`{"event":"handoff.decision",...}`). */
  onLine?: (line: Record<string, unknown>) => void;
}

/**
 * The contained run's interceptor for the `inject`/`placeholder` bindings of `settings`, or
 * null when there are none: the sidecar forwards CONNECTs to its hosts over the socket that
 * `start` serves, the agent container trusts its bundle and gets its placeholders. Rejects (a
 * `UserError`) when a bound secret cannot be resolved, before any container exists.
 */
export async function startContainedIntercept(
  settings: InterceptSettings,
  options: ContainedInterceptOptions = {},
): Promise<ContainedIntercept | null> {
  const { onReport, onTerminate, onLine, ...rest } = options;
  const icpt = await startRunInterceptor(settings, {
    ...rest,
    ...(onTerminate ? { onTerminate } : {}),
  });
  if (icpt === null) return null;
  icpt.listen((r) => onReport?.("egress_proxy", r));
  return {
    hosts: icpt.hosts,
    caBundlePem: icpt.caBundlePem,
    env: icpt.env,
    start({ unixPath }) {
      const socket = serveHandoffSocket({
        path: unixPath,
        handoff: icpt.handoff,
        ...(onLine ? { log: onLine } : {}),
      });
      return Promise.resolve({
        close: async () => {
          await socket.close();
          await icpt.close();
        },
      });
    },
  };
}
