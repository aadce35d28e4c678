/**
 * The harden report as canonical, schema-versioned JSON (2-space indent, final newline).
 *
 * @module
 */
import type { HardenReport } from "../harden.ts";

/** The report as JSON text. */
export function reportJson(report: HardenReport): string {
  const { written: _w, ...rest } = report;
  return JSON.stringify(rest, null, 2) + "\n";
}
