/**
 * `zu build [agent]`: the offline spine: replay (must succeed), record the track, harden, gate.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import type { CommandDef } from "./_command.ts";
import { HARDEN_FLAGS } from "./cmd_harden.ts";
import { AGENT_ARG } from "./cmd_run.ts";

/** `zu build`. */
export const buildCommand: CommandDef = {
  name: "build",
  summary: "Replay offline, record track.json, then harden; fails when any stage fails",
  positionals: [{ ...AGENT_ARG }],
  flags: {
    "min-score": HARDEN_FLAGS["min-score"]!,
    bundle: HARDEN_FLAGS.bundle!,
    workers: HARDEN_FLAGS.workers!,
    report: HARDEN_FLAGS.report!,
    db: {
      type: "string",
      placeholder: "path",
      description: "Event log for the replay (default: the agent's event_sink, else .zu/events.db)",
    },
    json: { type: "boolean", description: "Print the stages as JSON" },
  },
  examples: ["zu build my-agent", "zu build my-agent --min-score 0.8"],
  run: () => Promise.reject(new UserError("not_available", "zu build is not available yet")),
};
