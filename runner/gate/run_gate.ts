/**
 * One run's git gate: a gate server of its own, a token per declared repository (minted here,
 * revoked on close), and the git environment that hands the tokens to the sandbox's `git`
 * through `GIT_CONFIG_*` variables (a URL-scoped `http.extraHeader`), never a token in a remote
 * URL or a file.
 *
 * @example
 * ```ts ignore
 * import { openRunGate } from "./run_gate.ts";
 * await using gate = await openRunGate({ root: "/srv/zu-gate", run: "run-1", grants: config.repos });
 * const env = gate.gitEnv(); // GIT_CONFIG_COUNT, GIT_CONFIG_KEY_0 = http.<url>/app.git.extraHeader, ...
 * ```
 * @module
 */
import type { RepoGrant } from "../../core/repo_grant.ts";
import { configEnv } from "./_git.ts";
import { existingRepoPath } from "./gate_repos.ts";
import { type GateEventSink, type GateServer, startGateServer } from "./gate_server.ts";
import { GateTokens } from "./gate_tokens.ts";

/** One repository as the run sees it. */
export interface RunGateRepo {
  /** The grant. */
  grant: RepoGrant;
  /** `<gate url>/<name>.git`, as reached from where the server listens. */
  url: string;
  /** The run's token for it (a secret: only in memory and in the sandbox's environment). */
  token: string;
}

/** Options of {@link openRunGate}. */
export interface RunGateOptions {
  /** The gate directory. */
  root: string;
  /** The run id (its push namespace). */
  run: string;
  /** agent.yaml `repos:`. */
  grants: readonly RepoGrant[];
  /** Canonical-log sink for `harness.git_gate.*`. */
  onEvent?: GateEventSink;
  /** Where the server listens. Default `127.0.0.1`. */
  hostname?: string;
  /** Largest request in bytes. Default 64 MiB. */
  maxRequestBytes?: number;
  /** Token lifetime bound. Default 12 h. */
  ttlMs?: number;
}

/** A run's gate; closing it revokes the run's tokens and stops the server. */
export interface RunGate extends AsyncDisposable {
  /** The server's base URL. */
  readonly url: string;
  /** The granted repositories. */
  readonly repos: readonly RunGateRepo[];
  /** The `GIT_CONFIG_*` environment for a git that reaches the gate at `baseUrl` (default {@link url}). */
  gitEnv(baseUrl?: string): Record<string, string>;
  /** Revokes the tokens and stops the server. */
  close(): Promise<void>;
}

/** Starts the run's gate. Every granted repository must already be gated (`zu gate add`). */
export async function openRunGate(options: RunGateOptions): Promise<RunGate> {
  for (const g of options.grants) existingRepoPath(options.root, g.name);
  const tokens = new GateTokens(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {});
  const server: GateServer = startGateServer({
    root: options.root,
    tokens,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.hostname ? { hostname: options.hostname } : {}),
    ...(options.maxRequestBytes ? { maxRequestBytes: options.maxRequestBytes } : {}),
  });
  const repos: RunGateRepo[] = [];
  for (const grant of options.grants) {
    repos.push({
      grant,
      url: `${server.url}/${grant.name}.git`,
      token: await tokens.mint(options.run, grant),
    });
  }
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      tokens.revokeRun(options.run);
      await server.close();
    })();
    return closing;
  };
  return {
    url: server.url,
    repos,
    gitEnv: (baseUrl = server.url) =>
      configEnv(repos.map((r) => [
        `http.${baseUrl}/${r.grant.name}.git.extraHeader`,
        `Authorization: Bearer ${r.token}`,
      ])),
    close,
    [Symbol.asyncDispose]: close,
  };
}
