/**
 * The model side of a turn: the initial messages, token counting, a model call bounded by the
 * remaining wall time, and the model-facing shaping of observations (truncate or extract, then
 * fencing).
 *
 * @module
 */
import type { Message, ModelRequest, ModelResponse, TaskSpec } from "../core/contracts.ts";
import type { ModelProvider, Tool } from "../core/types.ts";
import type { Invocation } from "./_invoke.ts";
import type { Run } from "./_run.ts";
import { isUntrusted, shapeObservation } from "./_shape.ts";

/** How observations are shaped for the model. */
export interface ShapingOptions {
  /** Cap of each content field. Default: none. */
  maxObservationChars?: number | null;
  /** `truncate` (default) or `extract`. */
  observationStrategy?: "truncate" | "extract";
}

/** The system prompt's fixed part. */
export const SYSTEM_PROMPT =
  "You are Zu, a tool-using agent. Use the tools to gather what the task needs, then return the final answer as a single JSON object.";

export function systemMessage(tools: Map<string, Tool>): string {
  const lines = [...tools.values()].map((t) => t.prompt_fragment).filter((f): f is string =>
    typeof f === "string" && f !== ""
  ).map((f) => `- ${f}`);
  return lines.length > 0 ? `${SYSTEM_PROMPT}\nTools:\n${lines.join("\n")}` : SYSTEM_PROMPT;
}

export function userMessage(spec: TaskSpec): string {
  return spec.target ? `${spec.query}\nTarget: ${spec.target}` : spec.query;
}

export function usageTokens(usage: Record<string, unknown>): number {
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  const total = n(usage.total_tokens);
  if (total) return total;
  return n(usage.input_tokens ?? usage.prompt_tokens) +
    n(usage.output_tokens ?? usage.completion_tokens);
}

export async function completeWithin(
  run: Run,
  provider: ModelProvider,
  request: ModelRequest,
): Promise<ModelResponse | null> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(run.signal?.reason);
  run.signal?.addEventListener("abort", onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => {
      resolve(null);
      controller.abort(new DOMException("model call timed out", "TimeoutError"));
    }, run.remainingMs());
  });
  try {
    const answer = provider.complete(request, controller.signal);
    // A late rejection of the losing call must not surface as an unhandled rejection.
    answer.catch(() => {});
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
    run.signal?.removeEventListener("abort", onAbort);
  }
}

/** Shapes an observation for the model (truncate or extract, then fencing). */
export async function shapeForModel(
  run: Run,
  inv: Invocation,
  options: ShapingOptions,
  provider: ModelProvider,
): Promise<string> {
  const max = options.maxObservationChars ?? null;
  let obs = inv.observation;
  if (max !== null && options.observationStrategy === "extract") {
    obs = await extractObservation(run, obs, max, provider);
  }
  return shapeObservation(obs, { maxChars: max, untrusted: isUntrusted(inv.tool) });
}

async function extractObservation(
  run: Run,
  obs: Record<string, unknown>,
  max: number,
  provider: ModelProvider,
): Promise<Record<string, unknown>> {
  const out = { ...obs };
  for (const k of ["html", "text", "content"]) {
    const v = out[k];
    if (typeof v !== "string" || Array.from(v).length <= max) continue;
    const chars = Array.from(v);
    const notes: string[] = [];
    for (let i = 0, n = 0; i < chars.length && n < 16; i += max, n++) {
      const chunk = chars.slice(i, i + max).join("");
      const r = await completeWithin(run, provider, {
        messages: [
          {
            role: "system",
            content: "Extract only the facts relevant to the task, verbatim where possible.",
          },
          { role: "user", content: `Task: ${run.spec.query}\n\n${chunk}` },
        ],
        tools: [],
        params: {},
      });
      if (r?.text) notes.push(r.text);
    }
    out[k] = notes.join("\n");
  }
  return out;
}

/** Tool messages kept verbatim when the history is bounded. */
export const KEEP_RECENT_TOOL_MESSAGES = 3;

/**
 * Bounds the history sent to the model: when its content exceeds `maxChars`, every tool message
 * but the last three is replaced by a stub pointing at `recall`. The run's own history is not
 * changed.
 */
export function boundHistory(messages: readonly Message[], maxChars: number | null): Message[] {
  const copy = messages.map((m) => ({ ...m }) as Message);
  if (maxChars === null) return copy;
  const size = copy.reduce((n, m) => n + (typeof m.content === "string" ? m.content.length : 0), 0);
  if (size <= maxChars) return copy;
  const toolIndexes = copy.flatMap((m, i) => (m.role === "tool" ? [i] : []));
  for (const i of toolIndexes.slice(0, -KEEP_RECENT_TOOL_MESSAGES)) {
    const m = copy[i];
    if (m === undefined || m.role !== "tool") continue;
    copy[i] = {
      role: "tool",
      name: m.name,
      content: `[${m.content.length} chars … elided … use recall(<keyword>)]`,
    };
  }
  return copy;
}
