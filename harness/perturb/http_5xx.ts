/**
 * `http-5xx`: the server answers 503 instead of the page. Must fail (no answer from an error page).
 *
 * @module
 */
import { mapObservations } from "./_map.ts";
import { errorPage } from "./_transport.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

/** Status 503 (or `http-5xx:<code>`) with an error body. */
export function http5xx(param?: string, target?: PerturbTarget): Perturbation {
  const code = param === undefined ? 503 : Number(param);
  if (!Number.isInteger(code) || code < 500 || code > 599) {
    throw new TypeError(`Cannot make "http-5xx": "${param}" is not a 5xx status`);
  }
  return {
    name: param === undefined ? "http-5xx" : `http-5xx:${code}`,
    kind: "transport",
    expect: "fail",
    ...(target ? { target } : {}),
    description: `the server answers ${code} instead of the page`,
    apply: (b) =>
      mapObservations(
        b,
        target,
        (o) => errorPage(o, code, `<html><body><h1>${code} Service Unavailable</h1></body></html>`),
      ),
  };
}
