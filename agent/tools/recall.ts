/**
 * `recall`: searches the content this run already fetched (its `data.source.fetched` events), so
 * the model can get back text that was elided from its context. Pure: no capabilities, no
 * egress.
 *
 * @example
 * ```ts
 * import { Recall } from "./recall.ts";
 * import { newEvent, SOURCE_FETCHED } from "../../core/events.ts";
 * const task_id = "4f0c6a53-8f0e-4a51-9a52-3f8f2f8f1a01";
 * const events = [newEvent({ task_id, type: SOURCE_FETCHED, source: "http_fetch", payload: { html: "<b>Price: 4,20 €</b>" } })];
 * const obs = await new Recall().call({ events } as never, { query: "price" });
 * console.assert(obs.matches === 1 && (obs.content as string).startsWith("[http_fetch] "));
 * ```
 * @module
 */
import { SOURCE_FETCHED } from "../../core/events.ts";
import type { RunContext, Tool } from "../../core/types.ts";

/** Characters kept on each side of a match. */
export const RECALL_WINDOW = 240;
const DEFAULT_MAX_CHARS = 4000;
const FIELDS = ["content", "text", "html"] as const;

/** Moves a cut off the middle of a surrogate pair (towards keeping the whole character). */
function safeCut(text: string, at: number, forward: boolean): number {
  const code = text.charCodeAt(at);
  if (at > 0 && at < text.length && code >= 0xdc00 && code <= 0xdfff) {
    return forward ? at + 1 : at - 1;
  }
  return at;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The `recall` tool: tier 1, no capabilities, no egress. A case-insensitive scan over the
 * `content`, `text` and `html` of every `data.source.fetched` event in `ctx.events` (in log
 * order), returning each match with ±240 characters around it, prefixed `[<source>] ` where
 * source is the payload's `url` when it has one, else the event's source. Observation
 * `{query, matches, content}`: `matches` counts every match, `content` holds the snippets
 * (joined by blank lines) cut at `max_chars` (default 4000). With no match `content` is empty,
 * so a recall never manufactures text that grounding could later match. Earlier recall results
 * (logged as source.fetched themselves) are not searched again.
 */
export class Recall implements Tool {
  /** Registry name. */
  readonly name = "recall";
  /** Cheap tier. */
  tier = 1;
  /** Pure: none. */
  readonly capabilities: ReadonlySet<string> = new Set();
  /** Pure: none. */
  readonly egress: ReadonlySet<string> = new Set();
  /** The model-facing schema. */
  readonly schema: Tool["schema"] = {
    name: "recall",
    description: "Search the pages and results fetched earlier in this run for a keyword.",
    parameters: {
      type: "object",
      properties: {
        query: { type: "string", description: "Text to look for (case-insensitive)." },
        max_chars: {
          type: "integer",
          minimum: 1,
          description: "Cap on returned text (default 4000).",
        },
      },
      required: ["query"],
    },
  };
  /** One line for the system prompt. */
  readonly prompt_fragment =
    "recall(query, max_chars?): search content fetched earlier in this run; returns {query, matches, content}.";

  /** Scans `ctx.events` for `args.query`. */
  call(ctx: RunContext, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const query = args["query"];
    const maxChars = args["max_chars"] ?? DEFAULT_MAX_CHARS;
    if (typeof query !== "string" || query.trim() === "") {
      return Promise.reject(
        new TypeError(`Cannot recall: argument "query" must be a non-empty string`),
      );
    }
    if (typeof maxChars !== "number" || !Number.isInteger(maxChars) || maxChars < 1) {
      return Promise.reject(
        new TypeError(`Cannot recall: argument "max_chars" must be a positive integer`),
      );
    }
    const pattern = new RegExp(escapeRegExp(query), "giu");
    const snippets: string[] = [];
    let matches = 0;
    for (const event of ctx.events ?? []) {
      if (event.type !== SOURCE_FETCHED || event.source === this.name) continue;
      const payload = event.payload as Record<string, unknown>;
      const url = payload["url"];
      const label = typeof url === "string" && url !== "" ? url : event.source;
      for (const field of FIELDS) {
        const text = payload[field];
        if (typeof text !== "string") continue;
        for (const m of text.matchAll(pattern)) {
          matches++;
          const start = safeCut(text, Math.max(0, m.index - RECALL_WINDOW), false);
          const end = safeCut(
            text,
            Math.min(text.length, m.index + m[0].length + RECALL_WINDOW),
            true,
          );
          const window = text.slice(start, end).replace(/\s+/g, " ").trim();
          snippets.push(
            `[${label}] ${start > 0 ? "…" : ""}${window}${end < text.length ? "…" : ""}`,
          );
        }
      }
    }
    let content = snippets.join("\n\n");
    if (content.length > maxChars) content = content.slice(0, safeCut(content, maxChars, false));
    return Promise.resolve({ query, matches, content });
  }
}
