/**
 * Kept for the importers of the former private name; new code imports `./env.ts`.
 *
 * @module
 */
export { safeEnv } from "./env.ts";
