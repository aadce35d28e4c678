/**
 * `zu serve`: the HTTP door of zu on this host — start runs, stream their events, list pending
 * items and give verdicts (`runner/serve/`, `docs/serve.md`).
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { UserError } from "../core/errors.ts";
import { bool, type CommandDef, str } from "./_command.ts";
import { CLEARANCE_FLAGS } from "./_clearance_flags.ts";
import { SECRET_FLAGS } from "./_secret_flags.ts";
import { RUN_FLAGS } from "./cmd_run.ts";

/** Where a generated token is written, relative to the working directory. */
export const DEFAULT_TOKEN_FILE = ".zu/serve.token";

/** `zu serve`. */
export const serveCommand: CommandDef = {
  name: "serve",
  summary: "Serve zu over HTTP on loopback or a unix socket: runs, event streams, verdicts",
  description: `Listens on a loopback address (--listen, default 127.0.0.1:8765) or a unix socket
(--socket, mode 0600); other addresses are refused. Every route but GET /v1/health needs
"Authorization: Bearer <token>": the token is ZU_SERVE_TOKEN, else a new one written to
--token-file (mode 0600) and printed once. Runs started with POST /v1/runs run exactly as
"zu run" runs them (jailed, events in the agent's event log). Ctrl-C aborts the runs, closes
their logs and stops. See docs/serve.md.`,
  flags: {
    listen: {
      type: "string",
      placeholder: "host:port",
      description: "Loopback address to listen on (default 127.0.0.1:8765)",
    },
    socket: {
      type: "string",
      placeholder: "path",
      description: "Listen on this unix socket instead (created with mode 0600)",
    },
    "token-file": {
      type: "string",
      placeholder: "path",
      description:
        `Where a generated token is written when ZU_SERVE_TOKEN is unset (default ${DEFAULT_TOKEN_FILE})`,
    },
    db: RUN_FLAGS.db,
    "no-track": {
      type: "boolean",
      description: "Neither replay an agent's track.json nor re-record it after a successful run",
    },
    ...SECRET_FLAGS,
    ...CLEARANCE_FLAGS,
  },
  examples: [
    "zu serve",
    "zu serve --listen 127.0.0.1:9000",
    "zu serve --socket /run/user/1000/zu.sock",
  ],
  run: async (ctx) => {
    const { parseListen, serveToken, startZuServer } = await import("../runner/serve/mod.ts");
    const { combinePendingSources } = await import("../runner/serve/pending_source.ts");
    const { serveLauncher } = await import("./_serve_launcher.ts");
    const { servePendingSources } = await import("./_serve_pending.ts");
    const socketFlag = str(ctx, "socket");
    const listenFlag = str(ctx, "listen");
    if (socketFlag !== undefined && listenFlag !== undefined) {
      throw new UserError("usage", "Cannot serve: give either --listen or --socket, not both");
    }
    const abs = (p: string): string => isAbsolute(p) ? p : resolve(ctx.io.cwd, p);
    const where = socketFlag !== undefined
      ? { socket: abs(socketFlag) }
      : { listen: parseListen(listenFlag ?? "127.0.0.1:8765") };
    let token;
    try {
      token = await serveToken(
        ctx.io.env("ZU_SERVE_TOKEN"),
        abs(str(ctx, "token-file") ?? DEFAULT_TOKEN_FILE),
      );
    } catch (err) {
      if (!(err instanceof RangeError || err instanceof Deno.errors.PermissionDenied)) throw err;
      throw new UserError("usage", `Cannot serve: ${err.message.split("\n")[0]}`);
    }
    const server = await startZuServer({
      ...where,
      token: token.token,
      launcher: serveLauncher(ctx, { track: !bool(ctx, "no-track") }),
      pending: combinePendingSources(await servePendingSources(ctx)),
    });
    ctx.io.stderr(`zu serve: listening on ${server.url ?? `unix:${server.socket}`}\n`);
    if (token.source === "file") {
      ctx.io.stderr(`zu serve: token (also in ${token.file}, mode 0600): ${token.token}\n`);
    } else ctx.io.stderr("zu serve: token from ZU_SERVE_TOKEN\n");
    if (server.url !== null) {
      // The fragment never reaches the server; the page moves it to sessionStorage at once.
      const open = token.source === "file"
        ? `${server.url}/#token=${token.token}`
        : `${server.url}/`;
      ctx.io.stderr(`zu serve: dashboard: ${open}\n`);
    }
    const stopped = new Promise<void>((resolve) => {
      if (ctx.io.signal?.aborted) resolve();
      ctx.io.signal?.addEventListener("abort", () => resolve(), { once: true });
    });
    await Promise.race([stopped, server.finished]);
    await server.shutdown();
    ctx.io.stderr("zu serve: stopped\n");
    return 0;
  },
};
