/**
 * Child entry for the no-network proof: replays an agent's bundle offline and prints one JSON
 * line. Run under `deno run --no-prompt --cached-only --allow-read=...` with NO `--allow-net`.
 *
 * @module
 */
import { loadAgentConfig } from "../agent/config.ts";
import { bundlePath, readBundle } from "./bundle.ts";
import { replayOffline } from "./offline.ts";

const dir = Deno.args[0];
if (dir === undefined) throw new TypeError("usage: _offline_child.ts <agentDir>");
const config = await loadAgentConfig(dir);
const out = await replayOffline(config, await readBundle(bundlePath(config.agentDir)));
const net = (await Deno.permissions.query({ name: "net" })).state;
let probe = "not attempted";
try {
  await fetch("http://127.0.0.1:8080/");
  probe = "reached";
} catch (e) {
  probe = e instanceof Deno.errors.NotCapable ? "NotCapable" : String(e);
}
const line = JSON.stringify({
  status: out.result.status,
  value: out.result.value,
  types: out.events.length,
  unused: out.unused.length,
  net,
  probe,
});
await Deno.stdout.write(new TextEncoder().encode(line + "\n"));
