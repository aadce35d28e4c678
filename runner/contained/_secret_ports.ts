/**
 * The default host-side secret ports of a contained run (private): the real model broker unless
 * the caller passed one (or `null`), and the run's interceptor when the secret settings hold
 * inject/placeholder bindings; both report into the run's {@link CredentialReports}.
 * @module
 */
import { RunFailure } from "../../core/errors.ts";
import type { ContainedIntercept, StartContainedBroker } from "./contained_broker.ts";
import { modelBrokerStarter, startContainedIntercept } from "./contained_vault.ts";
import type { CredentialReports } from "./_credential_reports.ts";
import type { RunSandboxedOptions } from "./run_contained.ts";

/** The broker factory of a run: the caller's, none (`null`), or the real one by default. */
export function brokerOf(
  options: RunSandboxedOptions,
  env: (name: string) => string | undefined,
  reports: CredentialReports,
): StartContainedBroker | undefined {
  if (options.startBroker === null) return undefined;
  return options.startBroker ?? modelBrokerStarter({
    env,
    ...(options.secrets
      ? { resolver: options.secrets.resolver, bindings: options.secrets.bindings }
      : {}),
    // The operator's sandbox name pins and ranges hold for the broker's upstreams too.
    ...(options.resolver ? { resolveHost: options.resolver } : {}),
    ...(options.allowCidrs ? { allowCidrs: options.allowCidrs } : {}),
    ...options.brokerOptions,
    onReport: reports.report,
  });
}

/**
 * The interceptor of a run: the caller's, else one for the settings' inject/placeholder
 * bindings (none without). A misplaced placeholder under `block-and-terminate` aborts
 * `terminate` with a `security_block` failure (the launcher then stops the agent container).
 */
export async function interceptOf(
  options: RunSandboxedOptions,
  agentFile: string,
  reports: CredentialReports,
  terminate: AbortController,
): Promise<ContainedIntercept | undefined> {
  if (options.intercept) return options.intercept;
  if (!options.secrets) return undefined;
  const intercept = await startContainedIntercept(options.secrets, {
    ...options.interceptOptions,
    onReport: reports.report,
    onTerminate: () =>
      terminate.abort(
        new RunFailure(
          "security_block",
          `Cannot finish "${agentFile}" sandboxed: a secret's placeholder was sent to a host it is not bound to (block-and-terminate)`,
        ),
      ),
    ...(options.onProxyLine ? { onLine: options.onProxyLine } : {}),
  });
  return intercept ?? undefined;
}
