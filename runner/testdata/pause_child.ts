// A process that runs an agent in-process until it pauses for a human, reports the run id, then
// hangs until killed: the paused run must survive only in the event log.
import { loadAgentConfig } from "../../agent/config.ts";
import { SqliteSink } from "../../sinks/sqlite/mod.ts";
import { runInProcess } from "../in_process.ts";

const [dir, db] = Deno.args;
const config = await loadAgentConfig(dir!, { env: () => undefined });
const sink = new SqliteSink(db!);
const run = await runInProcess({ file: `${dir}/agent.yaml`, config }, { sink, track: false });
console.log(JSON.stringify({ status: run.result.status, run: run.taskId }));
await Deno.stdin.read(new Uint8Array(1)); // never answered: the parent kills this process
