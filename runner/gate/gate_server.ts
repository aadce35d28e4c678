/**
 * The git gate's HTTP server: git smart HTTP through `git http-backend`, every request checked
 * against a per-run token first. Clones and fetches see the mirror's branches and tags only
 * (other runs' pushes are hidden); a push is judged ref by ref before git runs and lands in the
 * run's namespace `refs/namespaces/<run>/refs/heads/*`, never on the mirror's own branches.
 *
 * @example
 * ```ts ignore
 * import { GateTokens, startGateServer } from "./mod.ts";
 * const tokens = new GateTokens();
 * await using gate = startGateServer({ root: "/srv/zu-gate", tokens });
 * const token = await tokens.mint("run-1", { name: "app", access: "push", branches: ["agent/*"], force: false, main: false, tags: false });
 * // git -c http.extraHeader="Authorization: Bearer $token" clone ${gate.url}/app.git
 * ```
 * @module
 */
import { join } from "node:path";
import { checkRepoName } from "../../core/repo_grant.ts";
import { GIT_GATE_PUSHED, GIT_GATE_REFUSED } from "../../core/events.ts";
import { runGit } from "./_git.ts";
import { runHttpBackend } from "./_http_backend.ts";
import { refusalReport } from "./_report_status.ts";
import { BodyTooLarge, BodyTooSlow, gunzipBounded, readBounded } from "./_request_body.ts";
import type { GateToken, GateTokens } from "./gate_tokens.ts";
import { isZeroId, parsePushCommands, type PushCommand } from "./push_commands.ts";
import { judgePush } from "./push_policy.ts";

/** Called with each gate event (`harness.git_gate.*`) for the canonical log. */
export type GateEventSink = (type: string, payload: Record<string, unknown>) => void;

/** Options of {@link startGateServer}. */
export interface GateServerOptions {
  /** The gate directory (mirrors under `<root>/repos`). */
  root: string;
  /** The token table checked on every request. */
  tokens: GateTokens;
  /** Receives `harness.git_gate.pushed` / `.refused`. Default: dropped. */
  onEvent?: GateEventSink;
  /** Address to bind. Default `127.0.0.1`. */
  hostname?: string;
  /** Port. Default 0 (any free port). */
  port?: number;
  /** Largest request body in bytes (a push's pack included). Default 64 MiB. */
  maxRequestBytes?: number;
  /** A request body must arrive, and a git call end, within this long. Default 120 000 ms. */
  requestTimeoutMs?: number;
  /** Requests served at once (each may start one git); more get 503. Default 8. */
  maxConcurrent?: number;
}

/** A running gate server. */
export interface GateServer extends AsyncDisposable {
  /** `http://<host>:<port>`; repositories are at `<url>/<name>.git`. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** Stops listening and waits for open requests. */
  close(): Promise<void>;
}

const ROUTE = /^\/([^/]+)\.git\/(info\/refs|git-upload-pack|git-receive-pack)$/;
const SERVICES = ["git-upload-pack", "git-receive-pack"];

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(`${body}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/** The token a request carries: Basic auth's password, or a Bearer token. */
export function tokenOf(req: Request): string | null {
  const auth = req.headers.get("authorization");
  if (auth === null) return null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(auth);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(auth);
  if (!basic) return null;
  try {
    const decoded = atob(basic[1]!);
    const colon = decoded.indexOf(":");
    return colon >= 0 ? decoded.slice(colon + 1) : null;
  } catch {
    return null;
  }
}

/** Starts the gate server. */
export function startGateServer(options: GateServerOptions): GateServer {
  const projectRoot = join(options.root, "repos");
  const maxBytes = options.maxRequestBytes ?? 64 * 1024 * 1024;
  const timeoutMs = options.requestTimeoutMs ?? 120_000;
  const emit: GateEventSink = options.onEvent ?? (() => {});
  const maxConcurrent = options.maxConcurrent ?? 8;
  let active = 0;

  function refuse(
    status: number,
    why: string,
    who: { token: GateToken | null; repo: string | null },
    extra: Record<string, unknown> = {},
  ): Response {
    emit(GIT_GATE_REFUSED, {
      run: who.token?.run ?? null,
      token_id: who.token?.id ?? null,
      repo: who.repo,
      reason: why,
      ...extra,
    });
    return text(status, `zu gate: ${why}`);
  }

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const m = ROUTE.exec(url.pathname);
    if (!m) return text(404, "zu gate: not a smart HTTP git path");
    const name = decodeURIComponent(m[1]!);
    const endpoint = m[2]!;
    const service = endpoint === "info/refs" ? url.searchParams.get("service") : endpoint;
    if (service === null || !SERVICES.includes(service)) {
      return text(403, "zu gate: only git's smart HTTP protocol is served");
    }
    if ((endpoint === "info/refs") !== (req.method === "GET")) {
      return text(405, "zu gate: wrong method");
    }
    const presented = tokenOf(req);
    if (presented === null) {
      return text(401, "zu gate: a run token is required", {
        "www-authenticate": 'Basic realm="zu gate"',
      });
    }
    const token = await options.tokens.check(presented);
    if (token === null) {
      return refuse(401, "the token is unknown, revoked or expired", { token: null, repo: name });
    }
    if (checkRepoName(name) !== null || token.grant.name !== name) {
      return refuse(403, `the run's token does not grant repository "${name}"`, {
        token,
        repo: name,
      });
    }
    const push = service === "git-receive-pack";
    if (push && token.grant.access !== "push") {
      return refuse(403, `the run's access to "${name}" is read-only`, { token, repo: name });
    }
    try {
      Deno.statSync(join(projectRoot, `${name}.git`, "HEAD"));
    } catch {
      return refuse(404, `repository "${name}" is not gated`, { token, repo: name });
    }
    let body: Uint8Array;
    try {
      body = await readBounded(req, maxBytes, timeoutMs);
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        return refuse(413, e.message, { token, repo: name }, { limit: maxBytes });
      }
      if (e instanceof BodyTooSlow) return refuse(408, e.message, { token, repo: name });
      throw e;
    }
    const encoding = req.headers.get("content-encoding");
    let commands: PushCommand[] = [];
    if (push && endpoint !== "info/refs") {
      let plain = body;
      try {
        if (encoding === "gzip") plain = await gunzipBounded(body, maxBytes);
      } catch (e) {
        if (e instanceof BodyTooLarge) {
          return refuse(413, e.message, { token, repo: name }, { limit: maxBytes });
        }
        return refuse(400, "the request body is not valid gzip", { token, repo: name });
      }
      // git probes a large push with a bare flush first (auth check): nothing to judge.
      const probe = plain.length === 4 && new TextDecoder().decode(plain) === "0000";
      const parsed = probe ? { commands: [], capabilities: [] } : parsePushCommands(plain);
      if ("error" in parsed) return refuse(400, parsed.error, { token, repo: name });
      commands = parsed.commands;
      const verdicts = commands.map((c) => ({ ...c, reason: judgePush(token.grant, c) }));
      if (verdicts.some((v) => v.reason !== null)) {
        const refs = verdicts.map((v) => ({
          ref: v.ref,
          old: v.old,
          new: v.new,
          reason: v.reason ?? "not applied: another ref of this push was refused",
        }));
        emit(GIT_GATE_REFUSED, {
          run: token.run,
          token_id: token.id,
          repo: name,
          reason: "push policy",
          refs,
        });
        return new Response(
          refusalReport(
            refs,
            parsed.capabilities,
            "zu gate: push refused by the run's grant",
          ) as BodyInit,
          { status: 200, headers: { "content-type": "application/x-git-receive-pack-result" } },
        );
      }
    }
    const grant = token.grant;
    const config: Array<readonly [string, string]> = [
      ["http.getanyfile", "false"],
      ["http.uploadpack", "true"],
      ["http.receivepack", push ? "true" : "false"],
      ["uploadpack.hideRefs", "refs/namespaces"],
      ["uploadpack.allowAnySHA1InWant", "false"],
      ["uploadpack.allowReachableSHA1InWant", "false"],
      ["receive.denyNonFastForwards", grant.force ? "false" : "true"],
      ["receive.denyDeletes", grant.force ? "false" : "true"],
      ["receive.maxInputSize", String(maxBytes)],
      ["receive.advertisePushOptions", "false"],
      ["receive.unpackLimit", "1"],
    ];
    if (push) {
      // Other runs' pushes are not even advertised (as ".have") to this run: only its namespace.
      config.push(["receive.hideRefs", "^refs/namespaces/"]);
      config.push(["receive.hideRefs", `!^refs/namespaces/${token.run}/`]);
    }
    const repoDir = join(projectRoot, `${name}.git`);
    const after = commands.length === 0
      ? undefined
      : (code: number, stderr: string) => reportPush(repoDir, token, name, commands, code, stderr);
    return await runHttpBackend({
      projectRoot,
      method: req.method,
      pathInfo: `/${name}.git/${endpoint}`,
      query: url.search.replace(/^\?/, ""),
      contentType: req.headers.get("content-type"),
      contentEncoding: encoding,
      // Protocol v0 only: v2 lets a client fetch any object by id, including another run's.
      gitProtocol: null,
      body,
      remoteUser: token.run,
      namespace: push ? token.run : null,
      config,
      timeoutMs,
    }, after);
  }

  async function reportPush(
    repoDir: string,
    token: GateToken,
    repo: string,
    commands: PushCommand[],
    code: number,
    stderr: string,
  ): Promise<void> {
    const refs = [];
    for (const c of commands) {
      const r = await runGit([
        "--git-dir",
        repoDir,
        "rev-parse",
        "--verify",
        "--quiet",
        `refs/namespaces/${token.run}/${c.ref}`,
      ]);
      const now = r.code === 0 ? r.stdout.trim() : null;
      const applied = isZeroId(c.new) ? now === null : now === c.new;
      refs.push({ ref: c.ref, old: c.old, new: c.new, applied });
    }
    const base = { run: token.run, token_id: token.id, repo };
    const ok = refs.filter((r) => r.applied);
    const bad = refs.filter((r) => !r.applied);
    if (ok.length > 0) emit(GIT_GATE_PUSHED, { ...base, refs: ok });
    if (bad.length > 0) {
      const why = stderr.split("\n").map((l) => l.trim()).filter(Boolean).pop();
      emit(GIT_GATE_REFUSED, {
        ...base,
        reason: `git refused the update${why ? `: ${why.slice(0, 200)}` : ""}`,
        refs: bad,
        git_exit: code,
      });
    }
  }

  const ac = new AbortController();
  const server = Deno.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    signal: ac.signal,
    onListen: () => {},
  }, async (req) => {
    if (active >= maxConcurrent) return text(503, "zu gate: too many requests at once; retry");
    active++;
    try {
      return await handle(req);
    } catch (e) {
      return text(500, `zu gate: internal error: ${(e as Error).message}`);
    } finally {
      active--;
    }
  });
  const addr = server.addr as Deno.NetAddr;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      ac.abort();
      await server.finished;
    })();
    return closed;
  };
  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    close,
    [Symbol.asyncDispose]: close,
  };
}
