/**
 * `zu clear allow|deny <id>`: an operator's verdict on a request held for clearance (a blocked
 * host), given from any process on the host. It is checked against the run's
 * `harness.egress.pending` event, posted to the run's event database (`clearance_verdicts`) and
 * applied by the live run within milliseconds; the command says what happened.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import { ClearanceRefused } from "../backends/egress/clearance/clearance_error.ts";
import { bool, type CommandContext, type CommandDef, printJson, str } from "./_command.ts";
import { openReadLog } from "./_event_log.ts";
import { printable } from "./_printable.ts";
import { verdictDbPathOf } from "./_clearance_db.ts";
import { optionalAgent } from "./_agent.ts";

const CLEAR_FLAGS = {
  scope: {
    type: "string",
    choices: ["once", "run", "persist"],
    description:
      "once: this request; run: this host:port for the rest of the run; persist: stored in the event database for every later run (default: once for allow, persist for deny)",
  },
  reason: {
    type: "string",
    placeholder: "text",
    description: "Why; on a deny this is what the model reads",
  },
  ttl: {
    type: "number",
    placeholder: "seconds",
    description: "How long a run or persist rule lasts (default: no end)",
  },
  run: {
    type: "string",
    placeholder: "id",
    description: "Refuse unless the request belongs to this run",
  },
  host: {
    type: "string",
    placeholder: "name",
    description: "Refuse unless the request is for this host (as zu pending shows it)",
  },
  port: { type: "number", description: "Refuse unless the request is for this port" },
  wait: {
    type: "number",
    placeholder: "seconds",
    default: 5,
    description: "How long to wait for the live run to take the verdict",
  },
  db: {
    type: "string",
    placeholder: "path",
    description: "Event log of the run (default: the agent's event_sink, else .zu/events.db)",
  },
  agent: {
    type: "string",
    placeholder: "path",
    description: "Read the event_sink of this agent (default: ./agent.yaml when present)",
  },
  by: {
    type: "string",
    placeholder: "name",
    description: 'Who decides (default: $USER, else "operator")',
  },
  json: { type: "boolean", description: "Print the outcome as JSON" },
} as const;

function hint(e: ClearanceRefused): UserError {
  const line = (what: string) => `${e.message}; ${what}`;
  switch (e.code) {
    case "unknown_request":
      return new UserError(
        "unknown_request",
        line('run "zu pending" for the ids of held requests'),
      );
    case "tuple_mismatch":
      return new UserError(
        "tuple_mismatch",
        line('check --run/--host/--port against "zu pending"'),
      );
    case "already_decided":
      return new UserError(
        "already_decided",
        line('nothing to do; "zu events list" shows the verdict'),
      );
    case "verdict_invalid":
      return new UserError("verdict_invalid", line('see "zu clear allow --help"'));
    case "clearance_closed":
      return new UserError("clearance_closed", line("the run's clearance is closed"));
  }
}

function number(ctx: CommandContext, name: string): number | undefined {
  const v = ctx.flags[name];
  return typeof v === "number" ? v : undefined;
}

async function clear(ctx: CommandContext, action: "allow" | "deny"): Promise<number> {
  const id = ctx.positionals[0] ?? "";
  if (id.trim() === "") {
    throw new UserError("usage", `Missing request id; run "zu pending" and give one of its ids`);
  }
  const ttl = number(ctx, "ttl");
  if (ttl !== undefined && !(ttl > 0)) {
    throw new UserError("usage", `--ttl "${ttl}" is not a positive number of seconds`);
  }
  const wait = number(ctx, "wait") ?? 5;
  if (!(wait >= 0 && wait <= 120)) {
    throw new UserError("usage", `--wait "${wait}" is not a number of seconds from 0 to 120`);
  }
  const dbFlag = str(ctx, "db");
  const agent = dbFlag ? null : await optionalAgent(ctx.io, str(ctx, "agent"));
  const path = verdictDbPathOf(ctx.io, agent, dbFlag);
  const sink = await openReadLog(ctx.io, agent, dbFlag);
  const { ClearanceInbox } = await import("../sinks/sqlite/clearance_inbox.ts");
  const { submitClearanceVerdict } = await import("../runner/clearance/submit_verdict.ts");
  const inbox = new ClearanceInbox(path);
  try {
    const port = number(ctx, "port");
    const scope = str(ctx, "scope") as "once" | "run" | "persist" | undefined;
    const reason = str(ctx, "reason");
    const run = str(ctx, "run");
    const host = str(ctx, "host");
    const by = str(ctx, "by") ?? ctx.io.env("USER") ?? "operator";
    const out = await submitClearanceVerdict({
      sink,
      inbox,
      waitMs: Math.round(wait * 1000),
      ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
      verdict: {
        request_id: id,
        action,
        actor: `cli:${by}`,
        ...(scope !== undefined ? { scope } : {}),
        ...(reason !== undefined ? { reason } : {}),
        ...(ttl !== undefined ? { ttl_ms: Math.round(ttl * 1000) } : {}),
        ...(run !== undefined ? { run } : {}),
        ...(host !== undefined ? { host } : {}),
        ...(port !== undefined ? { port } : {}),
      },
    }).catch((e) => {
      throw e instanceof ClearanceRefused ? hint(e) : e;
    });
    const ok = out.outcome === "applied" || (out.outcome === "unclaimed" && out.stored_rule);
    if (bool(ctx, "json")) {
      printJson(ctx.io, { action, ...out });
      return ok ? 0 : 1;
    }
    const word = action === "allow" ? "allowed" : "denied";
    const rid = printable(out.request_id, 64);
    const runText = printable(out.run_id, 80);
    if (out.outcome === "applied") {
      const d = out.decision;
      const what = d.outcome === "forwarded"
        ? "the held request goes on"
        : d.outcome === "denied"
        ? "the held request is refused"
        : "nothing was held any more; it applies to the next request";
      ctx.io.stdout(
        `${word}: ${rid} ${
          printable(d.host, 260)
        }:${d.port} (run ${runText}, scope ${d.scope}): ${what}\n`,
      );
    } else if (out.outcome === "refused") {
      ctx.io.stderr(
        `not applied: ${rid} (run ${runText}): ${printable(out.code)}: ${
          printable(out.message, 300)
        }\n`,
      );
    } else {
      (ok ? ctx.io.stdout : ctx.io.stderr)(`${word}: ${rid} (run ${runText}): ${out.message}\n`);
    }
    return ok ? 0 : 1;
  } finally {
    inbox.close();
    await sink.close();
  }
}

function clearCommand(action: "allow" | "deny"): CommandDef {
  return {
    name: action,
    summary: action === "allow"
      ? "Allow a held request to a blocked host"
      : "Deny a held request to a blocked host (the model reads --reason)",
    positionals: [{ name: "id", description: 'The request id "zu pending" shows' }],
    flags: CLEAR_FLAGS,
    examples: action === "allow"
      ? [
        "zu clear allow 0190d4a0-1b2c-7d3e-8f40-123456789abc",
        "zu clear allow <id> --scope run --db .zu/events.db",
      ]
      : ['zu clear deny <id> --reason "not this host"', "zu clear deny <id> --scope once --json"],
    run: (ctx) => clear(ctx, action),
  };
}

/** `zu clear`. */
export const clearCommandGroup: CommandDef = {
  name: "clear",
  summary: "Give a verdict on a request held for clearance (zu pending lists them)",
  description:
    `A request of a live run to a host outside its allowlist is held while an operator is asked
(harness.egress.pending). This gives the verdict from any process on the host: it is checked
against the issued request (unknown id: refused; another run, host or port: refused; decided
already: refused), posted to the run's event database and applied by the live run at once. Exit
0 when the live run applied it (or a persist rule was stored for later runs), 1 when it was not
applied, 2 on a mistake.`,
  subcommands: [clearCommand("allow"), clearCommand("deny")],
};
