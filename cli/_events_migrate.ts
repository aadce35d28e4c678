/**
 * `zu events migrate --db <log>`: creates the log's schema, or migrates an older one, and exits
 * (idempotent: a log that is up to date is left as it is). For PostgreSQL this is the step
 * `zu doctor` names when the schema is missing or older; an SQLite or JSONL file is created.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import { openSink } from "../sinks/open_sink.ts";
import { type CommandDef, str } from "./_command.ts";
import { LOG_REF_HELP, parseLogRef } from "./_log_ref.ts";

/** `zu events migrate`. */
export const migrateCommand: CommandDef = {
  name: "migrate",
  summary: "Create or migrate a log's schema (idempotent), e.g. a new PostgreSQL database",
  flags: {
    db: { type: "string", placeholder: "log", description: `The log: ${LOG_REF_HELP}` },
  },
  examples: ["zu events migrate --db env:ZU_PG_URL"],
  run: async (ctx) => {
    const ref = str(ctx, "db");
    if (ref === undefined || ref === "") {
      throw new UserError("usage", `zu events migrate needs --db <log> (${LOG_REF_HELP})`);
    }
    const target = parseLogRef(ctx.io, ref);
    await using sink = await openSink(target.config, {
      dir: ctx.io.cwd,
      env: target.env,
      label: target.shown,
    });
    ctx.io.stdout(`schema ready: ${target.shown} (${await sink.count()} events)\n`);
    return 0;
  },
};
