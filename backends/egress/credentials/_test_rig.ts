/**
 * The attack-test rig (private, tests only): a recording upstream (or two), the real egress
 * proxy with the credential interceptor as its hand-off, a canary vault and every record the
 * interceptor and the proxy emit, for a canary grep.
 * @module
 */
import { type RunningEgressProxy, startEgressProxy } from "../egress_proxy.ts";
import {
  type RecordingUpstream,
  type RecordingUpstreamOptions,
  startRecordingUpstream,
  TEST_CA_PEM,
} from "../../../testing/recording_upstream.ts";
import type { CredentialUse, SecretBinding, SecretEcho } from "../../../core/types.ts";
import { createCredentialInterceptor, type InterceptorOptions } from "./credential_interceptor.ts";
import { PlaceholderSet } from "./placeholder.ts";
import { CanaryVault, testConnectUpstream, testTerminate } from "./_test_tls.ts";

/** Options of {@link startRig}. */
export interface RigOptions {
  /** Bindings, given the upstream's port. */
  bindings: (port: number) => SecretBinding[];
  /** The upstream's options. */
  upstream?: RecordingUpstreamOptions;
  /** Names the interceptor's and the proxy's DNS resolve (default: every name → 127.0.0.1). */
  dns?: Record<string, string[]>;
  /** Open the upstream's loopback port as a local origin (default true). */
  localOrigin?: boolean;
  /** More allowlist entries for the proxy, given the port. */
  allow?: (port: number) => string[];
  /** Extra interceptor options. */
  extra?: Partial<InterceptorOptions>;
  /** A second upstream (for redirects), its port opened too. */
  second?: RecordingUpstreamOptions;
}

/** A running rig. */
export interface Rig extends AsyncDisposable {
  up: RecordingUpstream;
  second: RecordingUpstream | null;
  proxy: RunningEgressProxy;
  vault: CanaryVault;
  set: PlaceholderSet;
  uses: CredentialUse[];
  echoes: SecretEcho[];
  logs: Record<string, unknown>[];
  resolves: string[];
  terminated: number;
  client: Deno.HttpClient;
  /** Every record emitted so far, as one text (for a canary grep). */
  records(): string;
}

/** Starts a rig. */
export async function startRig(o: RigOptions): Promise<Rig> {
  const up = await startRecordingUpstream(o.upstream ?? {});
  const second = o.second ? await startRecordingUpstream(o.second) : null;
  const ports = [up.port, ...(second ? [second.port] : [])];
  const vault = new CanaryVault();
  const resolves: string[] = [];
  const resolver = {
    resolve: (name: string) => {
      resolves.push(name);
      return vault.resolve(name);
    },
  };
  const set = new PlaceholderSet();
  const uses: CredentialUse[] = [];
  const echoes: SecretEcho[] = [];
  const logs: Record<string, unknown>[] = [];
  const dns = (host: string) => Promise.resolve(o.dns?.[host] ?? ["127.0.0.1"]);
  const localOrigins = o.localOrigin === false ? [] : ports.map((p) => `127.0.0.1:${p}`);
  const rig = { terminated: 0 } as Rig;
  const handoff = createCredentialInterceptor({
    bindings: o.bindings(up.port),
    resolver,
    placeholders: set,
    dnsResolver: dns,
    localOrigins,
    terminate: testTerminate,
    connectUpstream: testConnectUpstream,
    onCredential: (u) => uses.push(u),
    onEcho: (e) => echoes.push(e),
    onTerminate: () => rig.terminated++,
    log: (l) => logs.push(l),
    timeoutMs: 5000,
    ...o.extra,
  });
  const proxy = await startEgressProxy({
    allowlist: [
      ...ports.flatMap((p) => [`api.test:${p}`, `other.test:${p}`, `echo.test:${p}`]),
      ...(o.allow?.(up.port) ?? []),
    ],
    localOrigins,
    resolver: dns,
    handoff,
    log: (l) => logs.push(l),
  });
  const client = Deno.createHttpClient({ proxy: { url: proxy.url }, caCerts: [TEST_CA_PEM] });
  return Object.assign(rig, {
    up,
    second,
    proxy,
    vault,
    set,
    uses,
    echoes,
    logs,
    resolves,
    client,
    records: () => JSON.stringify({ uses, echoes, logs, decisions: proxy.connections() }),
    [Symbol.asyncDispose]: async () => {
      client.close();
      await up.close();
      await second?.close();
      await proxy.close();
    },
  });
}
