/**
 * `zu events`: read the event log (SQLite, JSONL or PostgreSQL): list, show, tail, export, verify,
 * stats; and copy it between them (`_events_copy.ts`).
 *
 * @module
 */
import type { Event } from "../core/events.ts";
import type { EventFilter, EventSink, StoredEvent } from "../core/types.ts";
import { UserError } from "../core/errors.ts";
import { toZuJson } from "../core/json.ts";
import {
  bool,
  type CommandContext,
  type CommandDef,
  type FlagDef,
  num,
  printJson,
  str,
} from "./_command.ts";
import { findAgentFile, loadAgent, type LoadedAgent } from "./_agent.ts";
import { DEFAULT_DB, openReadLog } from "./_event_log.ts";
import { copyCommand } from "./_events_copy.ts";
import { followLog } from "./_follow_log.ts";
import { migrateCommand } from "./_events_migrate.ts";
import { LOG_REF_HELP } from "./_log_ref.ts";
import { resolveIdPrefix } from "./_event_ids.ts";

const DB_FLAG: FlagDef = {
  type: "string",
  placeholder: "log",
  description: `Event log: ${LOG_REF_HELP} (default: the agent's event_sink, else ${DEFAULT_DB})`,
};

const AGENT_FLAG: FlagDef = {
  type: "string",
  placeholder: "path",
  description: "Read the event_sink of this agent (default: ./agent.yaml when present)",
};

const FILTER_FLAGS: Record<string, FlagDef> = {
  db: DB_FLAG,
  agent: AGENT_FLAG,
  type: { type: "string", description: "Only events of this type (e.g. harness.tool.invoked)" },
  trace: { type: "string", placeholder: "id", description: "Only events of this trace" },
  task: { type: "string", placeholder: "id", description: "Only events of this task" },
  source: { type: "string", description: "Only events from this source (loop, a tool name, ...)" },
  "after-seq": { type: "number", description: "Only events after this sequence number" },
  limit: { type: "number", description: "At most this many events" },
  json: { type: "boolean", description: "Print JSON instead of text" },
};

/** The filter of the flags; `--trace` and `--task` take a whole id or a unique prefix. */
async function filterOf(ctx: CommandContext, sink: EventSink): Promise<EventFilter> {
  const f: Record<string, string> = {};
  const map: [string, string][] = [["type", "type"], ["trace", "trace_id"], ["task", "task_id"], [
    "source",
    "source",
  ]];
  for (const [flag, key] of map) {
    const v = str(ctx, flag);
    if (v === undefined) continue;
    f[key] = key === "trace_id" || key === "task_id" ? await resolveIdPrefix(sink, key, v) : v;
  }
  return f;
}

/** The agent whose event_sink is read: `--agent`, else `./agent.yaml` when there is one. */
async function readerAgent(ctx: CommandContext): Promise<LoadedAgent | null> {
  if (str(ctx, "db")) return null;
  const agentArg = str(ctx, "agent");
  let file: string | null = null;
  try {
    file = findAgentFile(ctx.io, agentArg ?? ".");
  } catch (err) {
    if (agentArg !== undefined) throw err;
  }
  return file === null ? null : await loadAgent(ctx.io, file);
}

/**
 * Runs `fn` on the log to read: `--db`, else the event_sink of `--agent` (or of `./agent.yaml`
 * when there is one; its keys honoured), else `.zu/events.db`.
 */
async function withLog<T>(
  ctx: CommandContext,
  fn: (sink: EventSink, agent: LoadedAgent | null) => Promise<T>,
): Promise<T> {
  const agent = await readerAgent(ctx);
  const sink = await openReadLog(ctx.io, agent, str(ctx, "db"));
  try {
    return await fn(sink, agent);
  } finally {
    await sink.close();
  }
}

async function queryStored(
  sink: EventSink,
  filter: EventFilter,
  afterSeq: number,
  limit: number | undefined,
): Promise<StoredEvent[]> {
  const opts = { afterSeq, ...(limit !== undefined ? { limit } : {}) };
  if (sink.queryWithSeq) return await sink.queryWithSeq(filter, opts);
  const events = await sink.query(filter, opts);
  return events.map((event, i) => ({ seq: afterSeq + i + 1, event }));
}

function line(s: StoredEvent): string {
  const e = s.event;
  return `${String(s.seq).padStart(6)}  ${e.ts}  ${e.type}  ${e.source}  trace=${
    e.trace_id.slice(0, 8)
  }  ${e.event_id}\n`;
}

function nonNegative(ctx: CommandContext, name: string): number | undefined {
  const v = num(ctx, name);
  if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
    throw new UserError(
      "usage",
      `flag "--${name}" needs a whole number >= 0, got "${v}"; see "${ctx.path.join(" ")} --help"`,
    );
  }
  return v;
}

const list: CommandDef = {
  name: "list",
  summary: "List events, oldest first",
  flags: FILTER_FLAGS,
  examples: [
    "zu events list --type harness.defense.blocked",
    "zu events list --db trace.jsonl --limit 20",
  ],
  run: (ctx) =>
    withLog(ctx, async (sink) => {
      const rows = await queryStored(
        sink,
        await filterOf(ctx, sink),
        nonNegative(ctx, "after-seq") ?? 0,
        nonNegative(ctx, "limit"),
      );
      if (bool(ctx, "json")) printJson(ctx.io, rows.map((r) => ({ seq: r.seq, ...r.event })));
      else for (const r of rows) ctx.io.stdout(line(r));
      return 0;
    }),
};

const show: CommandDef = {
  name: "show",
  summary: "Print one event as JSON",
  positionals: [{ name: "event-id", description: "The event's id" }],
  flags: { db: DB_FLAG, agent: AGENT_FLAG },
  run: (ctx) =>
    withLog(ctx, async (sink) => {
      const id = await resolveIdPrefix(sink, "event_id", ctx.positionals[0] ?? "");
      const [event] = await sink.query({ event_id: id }, { limit: 1 });
      if (!event) {
        ctx.io.stderr(`error: no event "${id}" in the log; list ids with "zu events list"\n`);
        return 1;
      }
      printJson(ctx.io, event);
      return 0;
    }),
};

const tail: CommandDef = {
  name: "tail",
  summary: "Print the last events; with --follow, keep printing new ones until Ctrl-C",
  flags: {
    ...FILTER_FLAGS,
    limit: {
      type: "number",
      description: "How many of the last events to print first",
      default: 10,
    },
    follow: {
      type: "boolean",
      short: "f",
      description: "Keep polling for new events until interrupted",
    },
    "interval-ms": { type: "number", description: "Polling interval with --follow", default: 500 },
  },
  run: (ctx) =>
    withLog(ctx, async (sink) => {
      const filter = await filterOf(ctx, sink);
      const n = nonNegative(ctx, "limit") ?? 10;
      const all = await queryStored(sink, filter, nonNegative(ctx, "after-seq") ?? 0, undefined);
      const last = all.slice(Math.max(0, all.length - n));
      const print = (rows: StoredEvent[]): void => {
        if (bool(ctx, "json")) {
          for (const r of rows) ctx.io.stdout(JSON.stringify({ seq: r.seq, ...r.event }) + "\n");
        } else for (const r of rows) ctx.io.stdout(line(r));
      };
      print(last);
      if (!bool(ctx, "follow")) return 0;
      const after = all.length ? all[all.length - 1]!.seq : (nonNegative(ctx, "after-seq") ?? 0);
      await followLog(sink, filter, print, {
        after,
        printed: all,
        intervalMs: Math.max(50, num(ctx, "interval-ms") ?? 500),
        ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
      });
      return 0;
    }),
};

const exportCmd: CommandDef = {
  name: "export",
  summary: "Write events as JSON lines (to stdout or a file)",
  flags: {
    ...FILTER_FLAGS,
    format: { type: "string", description: "Output format", choices: ["jsonl"], default: "jsonl" },
    out: {
      type: "string",
      placeholder: "path",
      description: "Write to this file instead of stdout",
    },
  },
  run: (ctx) =>
    withLog(ctx, async (sink) => {
      const out = str(ctx, "out");
      const chunks: string[] = [];
      let n = 0;
      const limit = nonNegative(ctx, "limit");
      for await (
        const e of sink.stream(await filterOf(ctx, sink), {
          afterSeq: nonNegative(ctx, "after-seq") ?? 0,
        })
      ) {
        if (limit !== undefined && n >= limit) break;
        const text = toZuJson(e) + "\n";
        if (out) chunks.push(text);
        else ctx.io.stdout(text);
        n++;
      }
      if (out) {
        const { resolvePath } = await import("./_event_log.ts");
        await Deno.writeTextFile(resolvePath(ctx.io.cwd, out), chunks.join(""));
        ctx.io.stderr(`wrote ${n} events to ${out}\n`);
      }
      return 0;
    }),
};

const verify: CommandDef = {
  name: "verify",
  summary: "Verify the hash chain of every trace (and signatures, given a key)",
  flags: {
    db: DB_FLAG,
    agent: AGENT_FLAG,
    trace: { type: "string", placeholder: "id", description: "Only this trace" },
    "key-env": {
      type: "string",
      placeholder: "NAME",
      description:
        "Environment variable holding the HMAC signing key (hex or base64; default: the agent's event_sink sign_key_env)",
    },
    json: { type: "boolean", description: "Print JSON instead of text" },
  },
  run: (ctx) =>
    withLog(ctx, async (sink, agent) => {
      const { verifyChain } = await import("../core/chain.ts");
      const configured = agent?.config.event_sink?.options.sign_key_env;
      const keyEnv = str(ctx, "key-env") ??
        (typeof configured === "string" ? configured : undefined);
      let key: Uint8Array | null = null;
      if (keyEnv) {
        const raw = ctx.io.env(keyEnv);
        if (!raw) {
          throw new UserError(
            "key_missing",
            `Cannot verify signatures: $${keyEnv} is not set; export it${
              str(ctx, "key-env") ? " or drop --key-env" : " (the agent's sign_key_env)"
            }`,
          );
        }
        const { decodeSignKey } = await import("../sinks/sign_key.ts");
        key = decodeSignKey(raw, keyEnv);
      }
      const traces = new Map<string, Event[]>();
      const trace = str(ctx, "trace");
      const filter: EventFilter = trace
        ? { trace_id: await resolveIdPrefix(sink, "trace_id", trace) }
        : {};
      for await (const e of sink.stream(filter)) {
        let list = traces.get(e.trace_id);
        if (!list) traces.set(e.trace_id, list = []);
        list.push(e);
      }
      const report = [...traces].map(([trace, events]) => ({
        trace,
        events: events.length,
        violations: verifyChain(events, { key }),
      }));
      const bad = report.filter((r) => r.violations.length > 0);
      if (bool(ctx, "json")) {
        printJson(ctx.io, { ok: bad.length === 0, traces: report, signed: key !== null });
      } else {
        for (const r of report) {
          ctx.io.stdout(
            `${r.violations.length ? "FAIL" : "ok  "} ${r.trace}  ${r.events} events\n`,
          );
          for (const v of r.violations) ctx.io.stdout(`       ${v}\n`);
        }
        ctx.io.stdout(
          `${report.length - bad.length}/${report.length} traces intact${
            key ? " (signatures checked)" : ""
          }\n`,
        );
      }
      return bad.length ? 1 : 0;
    }),
};

const stats: CommandDef = {
  name: "stats",
  summary: "Count events by type, source and trace",
  flags: { ...FILTER_FLAGS },
  run: (ctx) =>
    withLog(ctx, async (sink) => {
      const byType = new Map<string, number>();
      const bySource = new Map<string, number>();
      const traces = new Set<string>();
      let total = 0;
      let first: string | null = null;
      let last: string | null = null;
      for await (
        const e of sink.stream(await filterOf(ctx, sink), {
          afterSeq: nonNegative(ctx, "after-seq") ?? 0,
        })
      ) {
        total++;
        byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
        bySource.set(e.source, (bySource.get(e.source) ?? 0) + 1);
        traces.add(e.trace_id);
        first ??= e.ts;
        last = e.ts;
      }
      const sorted = (m: Map<string, number>) =>
        Object.fromEntries([...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
      const out = {
        events: total,
        traces: traces.size,
        first,
        last,
        by_type: sorted(byType),
        by_source: sorted(bySource),
      };
      if (bool(ctx, "json")) {
        printJson(ctx.io, out);
        return 0;
      }
      ctx.io.stdout(
        `${total} events in ${traces.size} traces${first ? ` from ${first} to ${last}` : ""}\n`,
      );
      for (const [t, n] of Object.entries(out.by_type)) {
        ctx.io.stdout(`${String(n).padStart(8)}  ${t}\n`);
      }
      return 0;
    }),
};

/** `zu events`. */
export const eventsCommand: CommandDef = {
  name: "events",
  summary:
    "Read, copy and migrate the event log: list, show, tail, export, verify, stats, copy, migrate",
  description:
    `Works on the SQLite event log (default ${DEFAULT_DB}), a JSONL trace (--db x.jsonl) or a
PostgreSQL log (--db env:ZU_PG_URL, or --db postgres://...).
Encrypted logs are read with the keys in ZU_EVENT_KEY / ZU_EVENT_KEY_<id>.`,
  subcommands: [list, show, tail, exportCmd, verify, stats, copyCommand, migrateCommand],
};
