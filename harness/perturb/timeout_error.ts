/**
 * `timeout-error`: the fetch times out (the tool raises). Must fail.
 *
 * @module
 */
import { mapObservations } from "./_map.ts";
import { errorObservation } from "./_transport.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

/** The observation becomes `{error: "TimeoutError: ..."}`; the fixture double raises it. */
export function timeoutError(_param?: string, target?: PerturbTarget): Perturbation {
  return {
    name: "timeout-error",
    kind: "transport",
    expect: "fail",
    ...(target ? { target } : {}),
    description: "the request times out; the tool raises instead of returning a page",
    apply: (b) =>
      mapObservations(
        b,
        target,
        (o) =>
          errorObservation(
            o,
            `TimeoutError: no response from ${String(o.url ?? "the server")} within 20 s`,
          ),
      ),
  };
}
