/**
 * Translation of zu's neutral messages into the wire formats of the OpenAI Chat Completions API
 * and the Anthropic Messages API (zu's `_messages.py` rules).
 *
 * The neutral form carries no tool-call ids: an assistant turn's calls and the `tool` results
 * that follow are matched by order. Both wire formats need ids, so ids are synthesised on the
 * assistant turn and handed to the following results first in, first out. A history whose
 * results do not match its calls is refused with a `TypeError` rather than sent to the API.
 *
 * @module
 */
import type { Message } from "../../core/contracts.ts";

/** A JSON object sent on the wire. */
export type WireObject = Record<string, unknown>;

/** Mints ids for an assistant turn's calls and hands them to the following results, FIFO. */
class ToolIds {
  #prefix: string;
  #counter = 0;
  #pending: string[] = [];

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  open(n: number): string[] {
    this.#pending = [];
    for (let i = 0; i < n; i++) {
      this.#counter += 1;
      this.#pending.push(`${this.#prefix}${this.#counter}`);
    }
    return [...this.#pending];
  }

  match(): string {
    const id = this.#pending.shift();
    if (id === undefined) {
      throw new TypeError(
        "Cannot translate messages: a tool result has no matching tool call (an assistant tool-call turn must come right before its results)",
      );
    }
    return id;
  }

  finish(): void {
    if (this.#pending.length > 0) {
      throw new TypeError(
        `Cannot translate messages: ${this.#pending.length} tool call(s) have no matching tool result`,
      );
    }
  }
}

/** Messages for the OpenAI Chat Completions API (system stays inline). */
export function toOpenAIMessages(messages: readonly Message[]): WireObject[] {
  const out: WireObject[] = [];
  const ids = new ToolIds("call_");
  for (const m of messages) {
    switch (m.role) {
      case "system":
      case "user":
        out.push({ role: m.role, content: m.content ?? "" });
        break;
      case "assistant": {
        const calls = m.tool_calls ?? [];
        if (calls.length > 0) {
          const tids = ids.open(calls.length);
          out.push({
            role: "assistant",
            content: m.content ? m.content : null,
            tool_calls: calls.map((c, i) => ({
              id: tids[i],
              type: "function",
              function: { name: c.name, arguments: JSON.stringify(c.args ?? {}) },
            })),
          });
        } else {
          out.push({ role: "assistant", content: m.content ?? "" });
        }
        break;
      }
      case "tool":
        out.push({ role: "tool", tool_call_id: ids.match(), content: m.content ?? "" });
        break;
    }
  }
  ids.finish();
  return out;
}

/** What {@link toAnthropicMessages} returns: the separate system prompt and the turns. */
export interface AnthropicMessages {
  /** System turns joined with a blank line, or null when there are none. */
  system: string | null;
  /** User and assistant turns; tool results are grouped into one user turn. */
  messages: WireObject[];
}

/** Messages for the Anthropic Messages API (system separated, tool_use/tool_result blocks). */
export function toAnthropicMessages(messages: readonly Message[]): AnthropicMessages {
  const systemParts: string[] = [];
  const out: WireObject[] = [];
  const ids = new ToolIds("toolu_");
  let results: WireObject[] = [];
  const flush = () => {
    if (results.length > 0) {
      out.push({ role: "user", content: results });
      results = [];
    }
  };
  for (const m of messages) {
    switch (m.role) {
      case "system":
        systemParts.push(String(m.content ?? ""));
        break;
      case "user":
        flush();
        out.push({ role: "user", content: m.content ?? "" });
        break;
      case "assistant": {
        flush();
        const calls = m.tool_calls ?? [];
        if (calls.length > 0) {
          const tids = ids.open(calls.length);
          const blocks: WireObject[] = [];
          if (m.content) blocks.push({ type: "text", text: String(m.content) });
          calls.forEach((c, i) =>
            blocks.push({ type: "tool_use", id: tids[i], name: c.name, input: c.args ?? {} })
          );
          out.push({ role: "assistant", content: blocks });
        } else {
          out.push({ role: "assistant", content: m.content ?? "" });
        }
        break;
      }
      case "tool":
        results.push({ type: "tool_result", tool_use_id: ids.match(), content: m.content ?? "" });
        break;
    }
  }
  ids.finish();
  flush();
  const system = systemParts.filter((p) => p !== "").join("\n\n");
  return { system: system === "" ? null : system, messages: out };
}

/** A neutral tool schema `{name, description, parameters}`. */
export type NeutralToolSchema = Record<string, unknown>;

const EMPTY_PARAMETERS = { type: "object", properties: {} };

/** Neutral tool schema to an OpenAI function tool. */
export function openAITool(schema: NeutralToolSchema): WireObject {
  return {
    type: "function",
    function: {
      name: schema.name,
      description: schema.description ?? "",
      parameters: schema.parameters ?? EMPTY_PARAMETERS,
    },
  };
}

/** Neutral tool schema to an Anthropic tool. */
export function anthropicTool(schema: NeutralToolSchema): WireObject {
  return {
    name: schema.name,
    description: schema.description ?? "",
    input_schema: schema.parameters ?? EMPTY_PARAMETERS,
  };
}
