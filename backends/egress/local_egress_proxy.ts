/**
 * {@link LocalEgressProxy}: the `EgressProxy` port over the in-process proxy.
 *
 * @example
 * ```ts ignore
 * import { LocalEgressProxy } from "./local_egress_proxy.ts";
 * const handle = await new LocalEgressProxy().launch({ allowlist: ["api.example.com"] });
 * await handle.close();
 * ```
 * @module
 */
import type { EgressProxy, EgressProxyHandle } from "../../core/types.ts";
import { splitHostPort } from "../../core/host_port.ts";
import { type EgressProxyOptions, startEgressProxy } from "./egress_proxy.ts";

/**
 * The {@link EgressProxy} port over {@link startEgressProxy} (in-process).
 *
 * @example
 * ```ts ignore
 * import { LocalEgressProxy } from "./local_egress_proxy.ts";
 * const handle = await new LocalEgressProxy().launch({ allowlist: ["api.example.com"] });
 * await handle.close();
 * ```
 */
export class LocalEgressProxy implements EgressProxy {
  #defaults: Omit<EgressProxyOptions, "allowlist">;

  /** Defaults applied to every launch (resolver, log, timeouts, ...). */
  constructor(defaults: Omit<EgressProxyOptions, "allowlist"> = {}) {
    this.#defaults = defaults;
  }

  /** Starts a proxy; `listen` is `host:port` (default `127.0.0.1:0`). */
  async launch(
    spec: { allowlist: string[]; listen?: string; allowCidrs?: string[] },
  ): Promise<EgressProxyHandle> {
    const listen = spec.listen ? splitHostPort(spec.listen, { allowZeroPort: true }) : null;
    return await startEgressProxy({
      ...this.#defaults,
      allowlist: spec.allowlist,
      ...(listen ? { hostname: listen.host, port: listen.port ?? 0 } : {}),
      ...(spec.allowCidrs ? { allowCidrs: spec.allowCidrs } : {}),
    });
  }
}
