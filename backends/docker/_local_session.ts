// Test helper: runs the `zu-session` agent as a local process (no Docker) and attaches a
// `SessionClient` to its stdio, so the protocol is tested without a daemon.
import { SessionClient, type SessionTransport } from "./session_client.ts";

const AGENT = new URL("./session_agent/main.ts", import.meta.url).pathname;

/** A session on a local agent process, and the process. */
export async function localSession(options: { setsid?: string } = {}): Promise<
  { session: SessionClient; child: Deno.ChildProcess; stderr: () => string }
> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-check",
      "--no-config",
      "--no-lock",
      "--allow-run",
      "--allow-read",
      "--allow-write",
      AGENT,
      // A path that is not there makes the agent fall back to a forking spawn.
      `--setsid=${options.setsid ?? "/nonexistent/zu-setsid"}`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  let err = "";
  (async () => {
    for await (const c of child.stderr) err += new TextDecoder().decode(c);
  })().catch(() => {});
  const transport: SessionTransport = {
    write: (bytes) => {
      writer.write(bytes).catch(() => {});
    },
    destroy: () => {
      writer.close().catch(() => {});
    },
    listen: (onData, onEnd) => {
      (async () => {
        for await (const c of child.stdout) onData(c);
      })().catch(() => {}).finally(() => onEnd("the agent's stdout ended"));
    },
  };
  const session = new SessionClient("local", transport);
  await session.ready();
  return { session, child, stderr: () => err };
}
