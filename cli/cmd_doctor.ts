/**
 * `zu doctor`: what this machine can do: Deno version, Docker, images, keys, and the permissions
 * `zu run` would grant.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import type { CommandDef } from "./_command.ts";

/** `zu doctor`. */
export const doctorCommand: CommandDef = {
  name: "doctor",
  summary: "Check Deno, Docker, images, keys, and the permissions zu run would grant",
  positionals: [{
    name: "agent",
    description: "Also explain this agent's permissions",
    optional: true,
  }],
  flags: { json: { type: "boolean", description: "Print JSON" } },
  run: () => Promise.reject(new UserError("not_available", "zu doctor is not available yet")),
};
