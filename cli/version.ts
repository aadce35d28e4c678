/**
 * zu's version, read from `deno.json` so there is one source of truth.
 *
 * @module
 */
import denoConfig from "../deno.json" with { type: "json" };

/** The version of this zu. */
export const VERSION: string = (denoConfig as { version?: string }).version ?? "dev";
