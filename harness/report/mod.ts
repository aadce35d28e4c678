/**
 * Harden report writers: JSON, JUnit XML, Markdown, a self-contained HTML page and the terminal
 * text; every one renders the same verdict (`hardenVerdict`).
 *
 * @example
 * ```ts ignore
 * import { writeReports } from "./mod.ts";
 * const paths = await writeReports(report, "out");
 * ```
 * @module
 */
import type { HardenReport } from "../harden.ts";
import { reportHtml } from "./html.ts";
import { reportJson } from "./json.ts";
import { reportJunit } from "./junit.ts";
import { reportMarkdown } from "./markdown.ts";

export { reportHtml } from "./html.ts";
export { reportJson } from "./json.ts";
export { reportJunit } from "./junit.ts";
export { reportMarkdown } from "./markdown.ts";
export { reportText } from "./text.ts";
export { reproCommand, reproLine, shellQuote } from "./repro.ts";

/** Writes `harden.json`, `harden.junit.xml`, `harden.md` and `harden.html` into `dir`. */
export async function writeReports(report: HardenReport, dir: string): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const base = dir.replace(/\/+$/, "");
  const files: [string, string][] = [
    [`${base}/harden.json`, reportJson(report)],
    [`${base}/harden.junit.xml`, reportJunit(report)],
    [`${base}/harden.md`, reportMarkdown(report)],
    [`${base}/harden.html`, reportHtml(report)],
  ];
  for (const [path, text] of files) await Deno.writeTextFile(path, text);
  return files.map(([p]) => p);
}
