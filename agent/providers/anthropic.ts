/**
 * A provider for the Anthropic Messages API with tools over plain `fetch`, no SDK.
 *
 * The key is read from `ANTHROPIC_API_KEY` (configurable) at call time and sent as
 * `x-api-key`; it never appears in an error message, `toString()`, `JSON.stringify` or
 * `Deno.inspect` output. System turns become the separate `system` field; tool calls and results
 * become `tool_use` / `tool_result` blocks; `stop_reason: max_tokens` becomes `length`.
 *
 * @example
 * ```ts ignore
 * import { AnthropicProvider } from "./anthropic.ts";
 * const provider = new AnthropicProvider({ model: "claude-opus-4-8" });
 * const answer = await provider.complete({ messages: [{ role: "user", content: "Hi" }], tools: [], params: {} });
 * console.log(answer.text);
 * ```
 * @module
 */
import type {
  Capabilities,
  Finish,
  ModelRequest,
  ModelResponse,
  ToolCall,
} from "../../core/contracts.ts";
import { ProviderAuthError } from "../../core/errors.ts";
import type { ModelProvider, ProviderEndpoint } from "../../core/types.ts";
import { anthropicTool, toAnthropicMessages } from "./_messages.ts";
import {
  argsNotObject,
  type CommonProviderOptions,
  describeProvider,
  parseJsonObject,
  postProvider,
  type ProviderIdentity,
  providerJson,
  readEnv,
  resolveBaseUrl,
} from "./_provider_common.ts";

/** Options of {@link AnthropicProvider}. */
export interface AnthropicOptions extends CommonProviderOptions {
  /** The model id. Default `claude-opus-4-8`. */
  model?: string;
  /** Environment variable holding the key. Default `ANTHROPIC_API_KEY`. */
  apiKeyEnv?: string;
  /** Base URL. Default: `$ANTHROPIC_BASE_URL`, else `https://api.anthropic.com`. */
  baseUrl?: string;
  /** Environment variable holding the base URL. Default `ANTHROPIC_BASE_URL`. */
  baseUrlEnv?: string;
  /** Default `max_tokens` (a request's `params.max_tokens` wins). Default 4096. */
  maxTokens?: number;
  /** Top-k sampling. */
  topK?: number;
  /** The `anthropic-version` header. Default `2023-06-01`. */
  anthropicVersion?: string;
}

const DEFAULT_BASE_URL = "https://api.anthropic.com";
const DEFAULT_KEY_ENV = "ANTHROPIC_API_KEY";
const DEFAULT_BASE_URL_ENV = "ANTHROPIC_BASE_URL";
/** Where the Anthropic provider talks to by default (declared in the provider registry). */
export const ANTHROPIC_ENDPOINT: ProviderEndpoint = {
  baseUrl: DEFAULT_BASE_URL,
  apiKeyEnv: DEFAULT_KEY_ENV,
  baseUrlEnv: DEFAULT_BASE_URL_ENV,
  authHeader: "x-api-key",
};
const FINISH: Record<string, Finish> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  refusal: "stop",
  pause_turn: "stop",
};

/** An Anthropic Messages API provider over plain `fetch`. */
export class AnthropicProvider implements ModelProvider {
  /** Native tools, vision, 1M context. */
  readonly capabilities: Capabilities = {
    native_tools: true,
    vision: true,
    max_context: 1_000_000,
  };
  /** The model id. */
  readonly model: string;
  /** Environment variable holding the key. */
  readonly apiKeyEnv: string;
  /** Environment variable holding the base URL. */
  readonly baseUrlEnv: string;
  /** Default `max_tokens`. */
  readonly maxTokens: number;
  /** Per-attempt timeout in ms. */
  readonly timeoutMs: number;
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  #apiKey: string | undefined;
  #options: AnthropicOptions;

  /** Creates the provider. Nothing is read from the environment until the first call. */
  constructor(options: AnthropicOptions = {}) {
    this.model = options.model ?? "claude-opus-4-8";
    this.apiKeyEnv = options.apiKeyEnv ?? DEFAULT_KEY_ENV;
    this.baseUrlEnv = options.baseUrlEnv ?? DEFAULT_BASE_URL_ENV;
    this.maxTokens = options.maxTokens ?? 4096;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxRetries = options.maxRetries ?? 2;
    this.#apiKey = options.apiKey;
    this.#options = { ...options };
    delete this.#options.apiKey;
  }

  /** The base URL the next call will use. */
  baseUrl(): string {
    return resolveBaseUrl(this.#options, this.baseUrlEnv, DEFAULT_BASE_URL);
  }

  #identity(): ProviderIdentity {
    const { model, apiKeyEnv, baseUrlEnv, timeoutMs, maxRetries } = this;
    return { label: "anthropic", model, apiKeyEnv, baseUrlEnv, timeoutMs, maxRetries };
  }

  /** One Messages API call. */
  async complete(request: ModelRequest, signal?: AbortSignal): Promise<ModelResponse> {
    const o = this.#options;
    const key = this.#apiKey || readEnv(o, this.apiKeyEnv);
    if (!key) {
      throw new ProviderAuthError(
        `Cannot complete with anthropic model "${this.model}": no API key, "${this.apiKeyEnv}" is not set`,
      );
    }
    const { system, messages } = toAnthropicMessages(request.messages);
    const params = request.params ?? {};
    const body: Record<string, unknown> = {
      model: this.model,
      max_tokens: Math.trunc(Number(params.max_tokens ?? this.maxTokens)),
      messages,
    };
    if (system !== null) body.system = system;
    if (request.tools.length > 0) body.tools = request.tools.map(anthropicTool);
    const temperature = params.temperature ?? o.temperature;
    const topP = params.top_p ?? o.topP;
    const topK = params.top_k ?? o.topK;
    const stop = params.stop ?? o.stop;
    if (temperature !== undefined && temperature !== null) body.temperature = temperature;
    if (topP !== undefined && topP !== null) body.top_p = topP;
    if (topK !== undefined && topK !== null) body.top_k = topK;
    if (stop !== undefined && stop !== null) {
      body.stop_sequences = Array.isArray(stop) ? stop : [stop];
    }
    const answer = await postProvider(`${this.baseUrl()}/v1/messages`, {
      identity: this.#identity(),
      seams: o,
    }, {
      body,
      auth: { "x-api-key": key, "anthropic-version": o.anthropicVersion ?? "2023-06-01" },
      secret: key,
      keyFromEnv: !this.#apiKey,
      signal,
    });
    return this.#toResponse(answer);
  }

  #toResponse(answer: unknown): ModelResponse {
    const resp = (answer ?? {}) as Record<string, unknown>;
    const texts: string[] = [];
    const calls: ToolCall[] = [];
    for (const b of Array.isArray(resp.content) ? resp.content : []) {
      const block = (b ?? {}) as Record<string, unknown>;
      if (block.type === "text" && typeof block.text === "string") texts.push(block.text);
      if (block.type === "tool_use") {
        const name = String(block.name ?? "");
        calls.push({ name, args: this.#parseInput(name, block.input) });
      }
    }
    const reason = String(resp.stop_reason ?? "");
    if (calls.length === 0 && reason === "refusal") {
      this.#options.onWarning?.(`Model "${this.model}" refused (treated as a stop)`);
    }
    const finish: Finish = calls.length > 0 ? "tool_calls" : FINISH[reason] ?? "stop";
    const text = texts.join("");
    return {
      text: text === "" ? null : text,
      tool_calls: calls,
      finish,
      usage: normaliseAnthropicUsage(resp.usage),
    };
  }

  #parseInput(name: string, input: unknown): Record<string, unknown> {
    if (input === undefined || input === null) return {};
    if (typeof input === "object" && !Array.isArray(input)) {
      return { ...(input as Record<string, unknown>) };
    }
    const parsed = typeof input === "string" ? parseJsonObject(input) : null;
    if (parsed !== null) return parsed;
    const raw = typeof input === "string" ? input : JSON.stringify(input);
    return argsNotObject(name, raw, this.#options.onWarning);
  }

  /** A description without the key. */
  toString(): string {
    return describeProvider("AnthropicProvider", this.#identity());
  }

  /** A JSON view without the key. */
  toJSON(): Record<string, unknown> {
    return providerJson(this.#identity());
  }

  /** `Deno.inspect` view without the key. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /** `node:util` inspect view without the key. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** Anthropic `{input_tokens, output_tokens}` to zu's `{input_tokens, output_tokens, total_tokens}`. */
export function normaliseAnthropicUsage(raw: unknown): Record<string, number> {
  if (!raw || typeof raw !== "object") return {};
  const u = raw as Record<string, unknown>;
  const input = Number(u.input_tokens ?? 0) || 0;
  const output = Number(u.output_tokens ?? 0) || 0;
  return { input_tokens: input, output_tokens: output, total_tokens: input + output };
}
