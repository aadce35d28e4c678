/**
 * Reads the ref updates at the head of a `git-receive-pack` request body (pkt-lines
 * `old-id new-id ref`, capabilities after a NUL on the first, then a flush) so the gate can
 * judge a push before git sees it.
 *
 * @example
 * ```ts
 * import { parsePushCommands } from "./push_commands.ts";
 * const z = "0".repeat(40), a = "a".repeat(40);
 * const line = `${z} ${a} refs/heads/x\0report-status side-band-64k\n`;
 * const pkt = (line.length + 4).toString(16).padStart(4, "0") + line;
 * const r = parsePushCommands(new TextEncoder().encode(pkt + "0000PACK"));
 * console.assert("commands" in r && r.commands[0]?.ref === "refs/heads/x" && r.capabilities.includes("side-band-64k"));
 * ```
 * @module
 */

/** One requested ref update. */
export interface PushCommand {
  /** The id the pusher believes the ref has (all zeros: create). */
  old: string;
  /** The id it should get (all zeros: delete). */
  new: string;
  /** The full ref name. */
  ref: string;
}

const COMMAND = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (refs\/[^\0\s]+)$/;
const MAX_COMMANDS = 1000;

/** True for an all-zero id. */
export function isZeroId(id: string): boolean {
  return /^0+$/.test(id);
}

/** The commands and capabilities, or why the body is not a push request this gate accepts. */
export function parsePushCommands(
  body: Uint8Array,
): { commands: PushCommand[]; capabilities: string[] } | { error: string } {
  const dec = new TextDecoder();
  const commands: PushCommand[] = [];
  let capabilities: string[] = [];
  let at = 0;
  for (;;) {
    if (at + 4 > body.length) return { error: "the request ends before its command list" };
    const len = parseInt(dec.decode(body.subarray(at, at + 4)), 16);
    if (Number.isNaN(len)) return { error: "the request is not a pkt-line stream" };
    if (len === 0) break;
    if (len < 5 || at + len > body.length) return { error: "a pkt-line is malformed" };
    let line = dec.decode(body.subarray(at + 4, at + len));
    at += len;
    if (line.endsWith("\n")) line = line.slice(0, -1);
    const nul = line.indexOf("\0");
    if (nul >= 0) {
      if (commands.length === 0) capabilities = line.slice(nul + 1).split(" ").filter(Boolean);
      line = line.slice(0, nul);
    }
    if (line.startsWith("shallow ")) continue;
    const m = COMMAND.exec(line);
    if (!m) return { error: `"${line.slice(0, 80)}" is not a ref update` };
    commands.push({ old: m[1]!, new: m[2]!, ref: m[3]! });
    if (commands.length > MAX_COMMANDS) return { error: "too many ref updates in one push" };
  }
  if (commands.length === 0) return { error: "the push updates no ref" };
  return { commands, capabilities };
}
