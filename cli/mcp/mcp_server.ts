/**
 * zu's MCP server: the tools `run`, `replay`, `harden`, `events`, `pending` and `verdict` over a
 * newline-delimited JSON-RPC transport (stdio by default), each doing what the matching `zu`
 * command does through the CLI's {@link McpDoors}. A bad call (unknown tool, bad argument, a
 * refusal of the command) is an error result with one line; answers are bounded JSON with every
 * string made harmless for a terminal.
 *
 * @example
 * ```ts ignore
 * import { serveMcp } from "./mcp_server.ts";
 * await serveMcp({ doors, version: "0.1.0" }); // returns when stdin ends
 * ```
 * @module
 */
import { Server } from "@modelcontextprotocol/sdk/server";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport";
// The package's "./*" export names no types for "types.js": take them from "./types".
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { ZuError } from "../../core/errors.ts";
import { boundedJson, harmless } from "./_bounded.ts";
import { eventsTool } from "./_events_tool.ts";
import { pendingTool, verdictTool } from "./_pending_tools.ts";
import { hardenTool, replayTool, runTool } from "./_run_tools.ts";
import { firstLine, type McpTool, type ToolContext, ToolError } from "./_tool.ts";
import { checkArgs, inputSchema } from "./_tool_args.ts";
import { LineTransport } from "./_stdio_transport.ts";
import type { McpDoors } from "./doors.ts";

export type { CliCall, McpDoors, RunOutcome, RunRequest } from "./doors.ts";

/** Every tool, in the order `tools/list` shows them. */
export const MCP_TOOLS: readonly McpTool[] = [
  runTool,
  replayTool,
  hardenTool,
  eventsTool,
  pendingTool,
  verdictTool,
];

/** The names of {@link MCP_TOOLS}. */
export const MCP_TOOL_NAMES: readonly string[] = MCP_TOOLS.map((t) => t.name);

/** Tool calls that may run at once; one more is refused with one line (runs are heavy). */
export const MAX_CONCURRENT_CALLS = 4;

/** Options of {@link serveMcp}. */
export interface ServeMcpOptions {
  /** The CLI's doors the tools go through. */
  doors: McpDoors;
  /** zu's version, told to the client. */
  version: string;
  /** The transport (default: this process's stdin and stdout). */
  transport?: Transport;
  /** Diagnostics (default: stderr). Never stdout: that is the protocol's. */
  log?: (line: string) => void;
  /** Stops the server (calls in flight are aborted). */
  signal?: AbortSignal;
  /** Offer the `verdict` tool. Default true; false leaves every verdict to a human's door. */
  verdicts?: boolean;
}

function errorResult(message: string): CallToolResult {
  return { content: [{ type: "text", text: harmless(message, 1000) }], isError: true };
}

/** One `tools/call`: checked, run, answered; never throws. */
async function callTool(
  tools: readonly McpTool[],
  name: unknown,
  raw: unknown,
  ctx: ToolContext,
  log: (line: string) => void,
): Promise<CallToolResult> {
  const { signal } = ctx;
  const tool = tools.find((t) => t.name === name);
  if (!tool) {
    return errorResult(
      `unknown tool ${JSON.stringify(String(name).slice(0, 80))} (tools: ${
        tools.map((t) => t.name).join(", ")
      })`,
    );
  }
  const checked = checkArgs(tool.name, tool.args, raw);
  if (!checked.ok) return errorResult(checked.message);
  try {
    const value = await tool.call(checked.args, ctx);
    return { content: [{ type: "text", text: boundedJson(value) }] };
  } catch (err) {
    if (err instanceof ToolError) return errorResult(err.message);
    const e = err instanceof Error ? err : new Error(String(err));
    // A UserError (bad agent path, ...) or a RunFailure (interrupted, a provider failing, ...)
    // is one line, as the CLI prints it. Anything else is a bug of zu: one line to the client,
    // the stack to the diagnostics.
    if (err instanceof ZuError || signal.aborted) {
      return errorResult(`${tool.name}: ${firstLine(e.message)}`);
    }
    log(`zu mcp: ${tool.name} failed: ${e.stack ?? e.message}`);
    return errorResult(`${tool.name}: internal error: ${firstLine(e.message)}`);
  }
}

/**
 * Serves zu's tools over `options.transport` until it closes (stdin ended) or `signal` aborts;
 * then aborts the calls in flight and resolves once they have ended.
 */
export async function serveMcp(options: ServeMcpOptions): Promise<void> {
  const log = options.log ?? ((line: string) => console.error(line));
  const tools = options.verdicts === false ? MCP_TOOLS.filter((t) => t !== verdictTool) : MCP_TOOLS;
  // Deprecated only in favour of McpServer, whose zod checks answer multi-line errors; this
  // server declares JSON Schemas itself and checks arguments with one-line answers.
  const server = new Server(
    { name: "zu", version: options.version },
    { capabilities: { tools: {} } },
  );
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: tools.map((t) => ({
      name: t.name,
      description: t.description,
      inputSchema: inputSchema(t.args),
    })),
  }));
  const inFlight = new Set<Promise<CallToolResult>>();
  server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
    if (stop.signal.aborted) return errorResult("zu mcp is stopping");
    if (inFlight.size >= MAX_CONCURRENT_CALLS) {
      return errorResult(
        `busy: ${inFlight.size} calls are running (at most ${MAX_CONCURRENT_CALLS}); call again when one has answered`,
      );
    }
    const ctx: ToolContext = {
      doors: options.doors,
      signal: AbortSignal.any([extra.signal, stop.signal]),
    };
    const token = request.params._meta?.progressToken;
    // Every progress notification is sent before the call's answer (the SDK's notification path
    // is asynchronous, so an unawaited one could be written after the result).
    const notified: Promise<unknown>[] = [];
    if (token !== undefined) {
      ctx.progress = (progress, message) =>
        void notified.push(
          extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken: token, progress, message: harmless(message, 200) },
          }).catch(() => {}),
        );
    }
    const call = callTool(tools, request.params.name, request.params.arguments, ctx, log)
      .finally(() => Promise.allSettled(notified));
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
    return call;
  });
  server.onerror = (err) => log(`zu mcp: ${firstLine(err.message)}`);
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  await server.connect(options.transport ?? new LineTransport());
  if (options.signal?.aborted) await server.close();
  else options.signal?.addEventListener("abort", () => void server.close(), { once: true });
  await closed;
  // The client is gone: abort what it started and wait for it to end (a run's log is closed
  // with harness.task.terminal, its jailed child stopped) before the process may exit.
  stop.abort();
  await Promise.allSettled([...inFlight]);
  options.signal?.removeEventListener("abort", onAbort);
}
