/**
 * Shared shape of the transport faults: replace an observation's page with an error page (or an
 * error observation), keeping its `url`.
 *
 * @module
 */
import type { Observation } from "../bundle.ts";
import { CONTENT_FIELDS } from "./_map.ts";

/** The observation with `status` and every content field replaced by `body`. */
export function errorPage(obs: Observation, status: number, body: string): Observation {
  const out: Observation = { ...obs, status };
  let wrote = false;
  for (const f of CONTENT_FIELDS) {
    if (f in out) {
      out[f] = body;
      wrote = true;
    }
  }
  if (!wrote) out.html = body;
  return out;
}

/**
 * An error observation the fixture double raises as an exception (`raise: true`), plus the url
 * when known. Without the mark a recorded `{error}` replays as zu's 502 page.
 */
export function errorObservation(obs: Observation, message: string): Observation {
  return typeof obs.url === "string"
    ? { error: message, raise: true, url: obs.url }
    : { error: message, raise: true };
}
