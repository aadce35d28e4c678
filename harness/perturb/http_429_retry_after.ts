/**
 * `http-429-retry-after`: rate limited with a Retry-After hint. Must fail (no answer from a
 * rate-limit page).
 *
 * @module
 */
import { mapObservations } from "./_map.ts";
import { errorPage } from "./_transport.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

/** Status 429 with `retry-after` and a body saying so. */
export function http429RetryAfter(param?: string, target?: PerturbTarget): Perturbation {
  const seconds = param === undefined ? 30 : Number(param);
  return {
    name: "http-429-retry-after",
    kind: "transport",
    expect: "fail",
    ...(target ? { target } : {}),
    description: `rate limited: 429 with Retry-After ${seconds}s`,
    apply: (b) =>
      mapObservations(b, target, (o) => ({
        ...errorPage(o, 429, `Too Many Requests. Retry-After: ${seconds}`),
        retry_after: seconds,
      })),
  };
}
