/**
 * `zu watch`: a live view of what waits on a human (held clearances, paused runs) and of the
 * verdicts given, read from the event log every 250 ms. On a terminal it redraws one screen;
 * otherwise (or with `--json`) it prints one line per new item, verdict or item gone. It ends on
 * Ctrl-C, after `--max-lines` lines, after `--for` seconds, or (`--exit-when-idle`) once nothing
 * is pending. Every text from the log is printed through `printable` (and sanitised in JSON).
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import { APPROVAL_RESOLVED, EGRESS_CLEARANCE, type Event } from "../core/events.ts";
import type { EventSink } from "../core/types.ts";
import { sanitizeForOperator } from "../backends/egress/clearance/sanitize.ts";
import { bool, type CommandContext, type CommandDef, str } from "./_command.ts";
import { optionalAgent } from "./_agent.ts";
import { openReadLog } from "./_event_log.ts";
import { PENDING_SOURCES, type PendingRow } from "./cmd_pending.ts";
import { printable } from "./_printable.ts";

const POLL_MS = 250;
/** Most verdict lines a redrawn screen keeps. */
const RECENT = 10;
/** Most polls of one watch (a week at 250 ms); the loop is bounded. */
const MAX_POLLS = 2_419_200;

/** One line of the live view. */
interface WatchLine {
  /** `pending` (new), `decided` (a verdict), `gone` (left the list without a verdict seen). */
  event: "pending" | "decided" | "gone";
  kind: string;
  id: string;
  run: string;
  text: string;
}

function safe(v: unknown, max = 253): string {
  return sanitizeForOperator(typeof v === "string" ? v : String(v ?? ""), max);
}

function decisionLine(e: Event): WatchLine {
  const p = e.payload as Record<string, unknown>;
  if (e.type === EGRESS_CLEARANCE) {
    return {
      event: "decided",
      kind: "clearance",
      id: safe(p.request_id, 64),
      run: safe(p.run_id),
      text: `${safe(p.decision, 8)} ${safe(p.host)}:${safe(p.port, 5)} by ${safe(p.actor, 64)} (${
        safe(p.scope, 8)
      }, ${safe(p.outcome, 12)})`,
    };
  }
  return {
    event: "decided",
    kind: "approval",
    id: safe(p.approval_id, 64),
    run: safe(e.task_id),
    text: `${safe(p.decision, 8)} by ${safe(p.by, 64)}`,
  };
}

/** The verdicts appended after seq `after` (at most 2000 events read per poll). */
async function newDecisions(sink: EventSink, after: number): Promise<[WatchLine[], number]> {
  if (!sink.queryWithSeq) return [[], after];
  const lines: WatchLine[] = [];
  let last = after;
  for (const s of await sink.queryWithSeq({}, { afterSeq: after, limit: 2000 })) {
    last = Math.max(last, s.seq);
    if (s.event.type === EGRESS_CLEARANCE || s.event.type === APPROVAL_RESOLVED) {
      lines.push(decisionLine(s.event));
    }
  }
  return [lines, last];
}

function render(l: WatchLine): string {
  const mark = l.event === "pending" ? "+" : l.event === "decided" ? "=" : "-";
  return `${mark} ${l.kind}  ${printable(l.id, 64)}  run=${printable(l.run, 80)}  ${
    printable(l.text, 400)
  }\n`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

async function watch(ctx: CommandContext): Promise<number> {
  const maxLines = typeof ctx.flags["max-lines"] === "number" ? ctx.flags["max-lines"] : Infinity;
  const forS = typeof ctx.flags.for === "number" ? ctx.flags.for : Infinity;
  if (!(maxLines >= 1) || !(forS > 0)) {
    throw new UserError("usage", "--max-lines and --for must be positive numbers");
  }
  const idleExit = bool(ctx, "exit-when-idle");
  const json = bool(ctx, "json");
  const redraw = ctx.io.isTTY && !json;
  const dbFlag = str(ctx, "db");
  const agent = dbFlag ? null : await optionalAgent(ctx.io, str(ctx, "agent"));
  const sink = await openReadLog(ctx.io, agent, dbFlag);
  const signal = ctx.io.signal;
  const until = performance.now() + forS * 1000;
  let printed = 0;
  const shown = new Map<string, PendingRow>();
  const recent: WatchLine[] = [];
  try {
    // Verdicts given before the watch started are history, not news.
    let seq = 0;
    for (let i = 0; i < 100_000; i++) {
      const [, next] = await newDecisions(sink, seq);
      if (next === seq) break;
      seq = next;
    }
    for (let poll = 0; poll < MAX_POLLS; poll++) {
      const rows: PendingRow[] = [];
      for (const source of PENDING_SOURCES) rows.push(...await source(sink));
      const [decided, next] = await newDecisions(sink, seq);
      seq = next;
      const lines: WatchLine[] = [];
      const now = new Map(rows.map((r) => [`${r.kind}:${r.id}`, r]));
      for (const [key, r] of now) {
        if (!shown.has(key)) {
          lines.push({ event: "pending", kind: r.kind, id: r.id, run: r.run, text: r.summary });
        }
      }
      const decidedIds = new Set(decided.map((d) => `${d.kind}:${d.id}`));
      for (const [key, r] of shown) {
        if (!now.has(key) && !decidedIds.has(key)) {
          lines.push({
            event: "gone",
            kind: r.kind,
            id: r.id,
            run: r.run,
            text: "no longer pending",
          });
        }
      }
      lines.push(...decided);
      shown.clear();
      for (const [k, r] of now) shown.set(k, r);
      if (redraw) {
        recent.push(...lines.filter((l) => l.event !== "pending"));
        recent.splice(0, Math.max(0, recent.length - RECENT));
        let screen = "\x1b[H\x1b[2J";
        screen += `zu watch: ${rows.length} pending (Ctrl-C ends)\n\n`;
        for (const r of rows) {
          screen += render({
            event: "pending",
            kind: r.kind,
            id: r.id,
            run: r.run,
            text: r.summary,
          });
        }
        if (recent.length > 0) screen += "\nrecent:\n" + recent.map(render).join("");
        if (poll === 0 || lines.length > 0) ctx.io.stdout(screen);
        printed += lines.length;
      } else {
        for (const l of lines) {
          if (printed >= maxLines) break;
          ctx.io.stdout(
            json
              ? JSON.stringify({
                event: l.event,
                kind: l.kind,
                id: safe(l.id, 64),
                run: safe(l.run),
                text: safe(l.text, 400),
              }) + "\n"
              : render(l),
          );
          printed++;
        }
      }
      if (printed >= maxLines) return 0;
      if (idleExit && rows.length === 0) return 0;
      if (signal?.aborted || performance.now() >= until) return 0;
      await sleep(POLL_MS, signal);
      if (signal?.aborted) return 0;
    }
    return 0;
  } finally {
    await sink.close();
  }
}

/** `zu watch`. */
export const watchCommand: CommandDef = {
  name: "watch",
  summary: "Live view of held clearances, paused runs and the verdicts given",
  description:
    `Reads the event log every 250 ms. On a terminal it redraws the list of what waits on a
human (as "zu pending" shows it) with the last verdicts; otherwise it prints one line per change:
"+" a new pending item, "=" a verdict (who, scope, outcome), "-" an item gone without a verdict
(its deadline passed or its run ended). Give verdicts from another terminal with "zu clear" or
"zu approve". Ends on Ctrl-C.`,
  flags: {
    db: {
      type: "string",
      placeholder: "path",
      description: "Event log (default: the agent's event_sink, else .zu/events.db)",
    },
    agent: {
      type: "string",
      placeholder: "path",
      description: "Read the event_sink of this agent (default: ./agent.yaml when present)",
    },
    json: { type: "boolean", description: "One JSON object per line instead of text" },
    "exit-when-idle": { type: "boolean", description: "End once nothing is pending" },
    "max-lines": { type: "number", description: "End after printing this many changes" },
    for: { type: "number", placeholder: "seconds", description: "End after this many seconds" },
  },
  examples: ["zu watch", "zu watch --db runs.db --json --max-lines 20"],
  run: watch,
};
