/**
 * `zu events copy --from <log> --to <log>`: moves a log between SQLite, JSONL and PostgreSQL in
 * either direction (logs named as `_log_ref.ts` says), event ids unchanged, chains verified in
 * the target afterwards. A non-empty target is refused unless `--append`; with it, events the
 * target already holds are skipped, so a re-run copies nothing twice.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import { openSink } from "../sinks/open_sink.ts";
import { bool, type CommandDef, printJson, str } from "./_command.ts";
import { copyEvents } from "../sinks/copy_events.ts";
import { exists } from "./_event_log.ts";
import { LOG_REF_HELP, parseLogRef } from "./_log_ref.ts";

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") {
    throw new UserError(
      "usage",
      `zu events copy needs --${flag} <log> (${LOG_REF_HELP}); see "zu events copy --help"`,
    );
  }
  return value;
}

/** `zu events copy`. */
export const copyCommand: CommandDef = {
  name: "copy",
  summary: "Copy a log into another (SQLite, JSONL, PostgreSQL), event ids and chains unchanged",
  flags: {
    from: { type: "string", placeholder: "log", description: `The log to read: ${LOG_REF_HELP}` },
    to: { type: "string", placeholder: "log", description: "The log to write (created if absent)" },
    append: {
      type: "boolean",
      description: "Copy into a non-empty log (events it already holds are skipped)",
    },
    json: { type: "boolean", description: "Print JSON instead of text" },
  },
  examples: [
    "zu events copy --from .zu/events.db --to env:ZU_PG_URL",
    "zu events copy --from env:ZU_PG_URL --to backup.db",
  ],
  run: async (ctx) => {
    const io = ctx.io;
    const from = parseLogRef(io, required(str(ctx, "from"), "from"), "--from");
    const to = parseLogRef(io, required(str(ctx, "to"), "to"), "--to");
    if (from.file !== null && !exists(from.file)) {
      throw new UserError(
        "event_log_not_found",
        `Cannot copy from "${from.shown}": the file does not exist`,
      );
    }
    if (from.file !== null && from.file === to.file) {
      throw new UserError("usage", `--from and --to name the same log "${from.shown}"`);
    }
    await using source = await openSink(from.config, {
      dir: io.cwd,
      env: from.env,
      mode: "read",
      label: `--from ${from.shown}`,
    });
    await using target = await openSink(to.config, {
      dir: io.cwd,
      env: to.env,
      label: `--to ${to.shown}`,
    });
    const held = await target.count();
    if (held > 0 && !bool(ctx, "append")) {
      throw new UserError(
        "event_log_not_empty",
        `Cannot copy into "${to.shown}": it already holds ${held} events; pass --append to add the missing ones (events it holds are skipped)`,
      );
    }
    const every = 10_000;
    let next = every;
    const copied = await copyEvents(source, target, {
      batchSize: 1000,
      verify: true,
      ...(io.signal ? { signal: io.signal } : {}),
      onProgress: (n) => {
        if (n < next) return;
        io.stderr(`copied ${n} events...\n`);
        next = n - (n % every) + every;
      },
    });
    const r = {
      read: copied.read,
      copied: copied.copied,
      present: copied.read - copied.copied,
      traces: copied.traces,
      broken: copied.broken,
    };
    if (bool(ctx, "json")) {
      printJson(io, { from: from.shown, to: to.shown, ...r, ok: r.broken.length === 0 });
    } else {
      io.stdout(
        `copied ${r.copied} events (${r.present} already there) from ${from.shown} to ${to.shown}\n`,
      );
      for (const b of r.broken) io.stdout(`FAIL ${b.trace}  ${b.violation}\n`);
      io.stdout(`${r.traces - r.broken.length}/${r.traces} traces intact in ${to.shown}\n`);
    }
    return r.broken.length ? 1 : 0;
  },
};
