/**
 * Starting the host side of a contained run's secrets (private): the host socket directory, the
 * model broker on `broker.sock` (route mode), the TLS interceptor on `intercept.sock` and its CA
 * bundle file (inject/placeholder modes), and what the agent container gets instead of keys.
 * @module
 */
import {
  agentInBox,
  BROKER_ORIGIN,
  brokerRoutes,
  type ContainedIntercept,
  loopbackOrigins,
  rewriteStagedAgent,
  type StartContainedBroker,
} from "./contained_broker.ts";
import {
  BROKER_SOCKET,
  createHostSocketDir,
  grantSocket,
  type HostSockets,
  INTERCEPT_SOCKET,
  removeHostSocketDir,
} from "./host_sockets.ts";
import { BROKER_HOST } from "../../backends/egress/sidecar_forward.ts";
import { caEnv, SANDBOX_CA_PATH } from "../../backends/egress/tls/ca_bundle.ts";
import type { JailAgent } from "../jail/permission_flags.ts";

/** The host side of a run's secrets, started. */
export interface ContainedSecrets {
  /** The agent as the in-box jail sees it (routed providers call `http://zu-vault/r/<id>`). */
  jail: JailAgent;
  /** What the sidecar forwards to the host. */
  hostSockets: HostSockets;
  /** Container variables set instead of host values: key variables → phantom, base URLs → route. */
  replaced: Map<string, string>;
  /** More container variables (the CA variables, placeholders). */
  env: Record<string, string>;
  /** More variables the jailed child may read (placeholders). */
  envKeys: string[];
  /** Read-only binds for the agent container (the CA bundle). */
  binds: string[];
  /** Stops the broker and interceptor and removes their files. */
  close(): Promise<void>;
}

/** Starts what `startBroker` and `intercept` ask for; null when neither has anything to do. */
export async function startContainedSecrets(input: {
  stagedFile: string;
  jail: JailAgent;
  env: (name: string) => string | undefined;
  startBroker?: StartContainedBroker | undefined;
  intercept?: ContainedIntercept | undefined;
}): Promise<ContainedSecrets | null> {
  const routes = input.startBroker ? brokerRoutes(input.jail, input.env) : [];
  const intercept = input.intercept && input.intercept.hosts.length > 0 ? input.intercept : null;
  if (routes.length === 0 && intercept === null) return null;
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    const dir = await createHostSocketDir();
    closers.push(() => removeHostSocketDir(dir));
    const hostSockets: HostSockets = { dir };
    const replaced = new Map<string, string>();
    const routeUrls = new Map<string, string>();
    if (routes.length > 0) {
      const unixPath = `${dir}/${BROKER_SOCKET}`;
      const broker = await input.startBroker!({
        routes,
        unixPath,
        localOrigins: loopbackOrigins(routes),
      });
      closers.push(() => broker.close());
      await grantSocket(unixPath);
      hostSockets.forwardHttp = { [BROKER_HOST]: BROKER_SOCKET };
      for (const r of routes) {
        const url = broker.routeUrl(r.id, BROKER_ORIGIN);
        routeUrls.set(r.id, url);
        replaced.set(r.keyEnv, broker.phantom);
      }
      await rewriteStagedAgent(input.stagedFile, routeUrls);
    }
    const jail = agentInBox(input.jail, routeUrls);
    // A provider's base-URL variable, if the container reads one, names its route too.
    [input.jail.provider, ...(input.jail.extraProviders ?? [])].forEach((p, i) => {
      const url = routeUrls.get(`m${i}`);
      const baseEnv = p ? p.baseUrlEnv ?? p.endpoint?.baseUrlEnv ?? null : null;
      if (url !== undefined && baseEnv) replaced.set(baseEnv, url);
    });
    const env: Record<string, string> = {};
    const binds: string[] = [];
    const envKeys: string[] = [];
    if (intercept) {
      const unixPath = `${dir}/${INTERCEPT_SOCKET}`;
      const running = await intercept.start({ unixPath });
      closers.push(() => running.close());
      await grantSocket(unixPath);
      hostSockets.forwardConnect = Object.fromEntries(
        intercept.hosts.map((h) => [h, INTERCEPT_SOCKET]),
      );
      // The CA bundle: world-readable (the sandbox user reads it), in its own directory.
      const caDir = await Deno.makeTempDir({ prefix: "zu_ca_" });
      closers.push(() => Deno.remove(caDir, { recursive: true }).catch(() => {}));
      await Deno.chmod(caDir, 0o755);
      await Deno.writeTextFile(`${caDir}/ca.pem`, intercept.caBundlePem, { mode: 0o644 });
      await Deno.chmod(`${caDir}/ca.pem`, 0o644);
      binds.push(`${caDir}/ca.pem:${SANDBOX_CA_PATH}`);
      Object.assign(env, caEnv(SANDBOX_CA_PATH));
      for (const [k, v] of Object.entries(intercept.env ?? {})) {
        env[k] = v;
        envKeys.push(k);
      }
    }
    return { jail, hostSockets, replaced, env, envKeys, binds, close };
  } catch (e) {
    await close();
    throw e;
  }
}
