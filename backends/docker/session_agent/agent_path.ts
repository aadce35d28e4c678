/**
 * Where images ship the `zu-session` agent, and the image label that says they do.
 *
 * @example
 * ```ts
 * import { SESSION_AGENT_LABEL, SESSION_AGENT_PATH } from "./agent_path.ts";
 * console.assert(SESSION_AGENT_LABEL === "zu.session.agent" && SESSION_AGENT_PATH.endsWith("main.ts"));
 * ```
 * @module
 */

/** Image label naming the agent's entry file (set on images that ship `zu-session`). */
export const SESSION_AGENT_LABEL = "zu.session.agent";
/** Where the runtime image ships the agent (zu's sources are at /opt/zu). */
export const SESSION_AGENT_PATH = "/opt/zu/backends/docker/session_agent/main.ts";
/** Where the runtime image ships the static `zu-setsid` helper the agent spawns commands with. */
export const SETSID_HELPER_PATH = "/usr/local/bin/zu-setsid";
