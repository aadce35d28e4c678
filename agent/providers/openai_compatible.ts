/**
 * A provider for any server that speaks the OpenAI Chat Completions API with tools: OpenAI,
 * OpenRouter, vLLM, Ollama, the llama.cpp server. Plain `fetch`, no SDK.
 *
 * The base URL and key are read from the environment at call time (`OPENAI_BASE_URL`,
 * `OPENAI_API_KEY` by default; a local server with no key gets `"not-needed"`). The key never
 * appears in an error message, `toString()`, `JSON.stringify` or `Deno.inspect` output.
 *
 * @example
 * ```ts ignore
 * import { OpenAICompatibleProvider } from "./openai_compatible.ts";
 * const provider = new OpenAICompatibleProvider({ model: "llama3.1", baseUrl: "http://127.0.0.1:11434/v1" });
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
import type { ModelProvider, ProviderEndpoint } from "../../core/types.ts";
import { openAITool, toOpenAIMessages } from "./_messages.ts";
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

/** Options of {@link OpenAICompatibleProvider}. */
export interface OpenAICompatibleOptions extends CommonProviderOptions {
  /** The model id (required). */
  model: string;
  /** Base URL (e.g. `http://127.0.0.1:8000/v1`). Default: `$OPENAI_BASE_URL`, else OpenAI's. */
  baseUrl?: string;
  /** Environment variable holding the base URL. Default `OPENAI_BASE_URL`. */
  baseUrlEnv?: string;
  /** Environment variable holding the key. Default `OPENAI_API_KEY`. */
  apiKeyEnv?: string;
  /** Default `max_tokens` (a request's `params.max_tokens` wins). Default: unset. */
  maxTokens?: number;
  /** Sampling seed. */
  seed?: number;
}

const DEFAULT_BASE_URL = "https://api.openai.com/v1";
const DEFAULT_KEY_ENV = "OPENAI_API_KEY";
const DEFAULT_BASE_URL_ENV = "OPENAI_BASE_URL";
/** Where the OpenAI-compatible provider talks to by default (declared in the provider registry). */
export const OPENAI_ENDPOINT: ProviderEndpoint = {
  baseUrl: DEFAULT_BASE_URL,
  apiKeyEnv: DEFAULT_KEY_ENV,
  baseUrlEnv: DEFAULT_BASE_URL_ENV,
  authHeader: "authorization",
};
const SAMPLING: Array<[keyof OpenAICompatibleOptions, string]> = [
  ["temperature", "temperature"],
  ["topP", "top_p"],
  ["stop", "stop"],
  ["seed", "seed"],
];
const REQUEST_PARAMS = ["temperature", "top_p", "stop", "seed", "max_tokens"];

/** A chat-completions provider over plain `fetch`. */
export class OpenAICompatibleProvider implements ModelProvider {
  /** Native tools; no vision; 128k context. */
  readonly capabilities: Capabilities = { native_tools: true, vision: false, max_context: 128_000 };
  /** The model id. */
  readonly model: string;
  /** Environment variable holding the key. */
  readonly apiKeyEnv: string;
  /** Environment variable holding the base URL. */
  readonly baseUrlEnv: string;
  /** Per-attempt timeout in ms. */
  readonly timeoutMs: number;
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  #apiKey: string | undefined;
  #options: OpenAICompatibleOptions;

  /** Creates the provider. Nothing is read from the environment until the first call. */
  constructor(options: OpenAICompatibleOptions) {
    if (typeof options?.model !== "string" || options.model === "") {
      throw new TypeError('Cannot create OpenAICompatibleProvider: option "model" is required');
    }
    this.model = options.model;
    this.apiKeyEnv = options.apiKeyEnv ?? DEFAULT_KEY_ENV;
    this.baseUrlEnv = options.baseUrlEnv ?? DEFAULT_BASE_URL_ENV;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxRetries = options.maxRetries ?? 2;
    this.#apiKey = options.apiKey;
    this.#options = { ...options };
    delete this.#options.apiKey;
  }

  /** The base URL the next call will use (no key in it). */
  baseUrl(): string {
    return resolveBaseUrl(this.#options, this.baseUrlEnv, DEFAULT_BASE_URL);
  }

  #identity(): ProviderIdentity {
    const { model, apiKeyEnv, baseUrlEnv, timeoutMs, maxRetries } = this;
    return { label: "openai-compatible", model, apiKeyEnv, baseUrlEnv, timeoutMs, maxRetries };
  }

  /** One chat completion. */
  async complete(request: ModelRequest, signal?: AbortSignal): Promise<ModelResponse> {
    const o = this.#options;
    const fromEnv = this.#apiKey ? undefined : readEnv(o, this.apiKeyEnv);
    const key = this.#apiKey || fromEnv || "not-needed";
    const body: Record<string, unknown> = {
      model: this.model,
      messages: toOpenAIMessages(request.messages),
    };
    if (request.tools.length > 0) body.tools = request.tools.map(openAITool);
    for (const [opt, wire] of SAMPLING) {
      if (o[opt] !== undefined) body[wire] = o[opt];
    }
    if (o.maxTokens !== undefined) body.max_tokens = o.maxTokens;
    for (const p of REQUEST_PARAMS) {
      const v = request.params?.[p];
      if (v !== undefined && v !== null) body[p] = p === "max_tokens" ? Math.trunc(Number(v)) : v;
    }
    const answer = await postProvider(`${this.baseUrl()}/chat/completions`, {
      identity: this.#identity(),
      seams: o,
    }, {
      body,
      auth: { authorization: `Bearer ${key}` },
      secret: key === "not-needed" ? null : key,
      keyFromEnv: !this.#apiKey,
      keyMissing: !this.#apiKey && !fromEnv,
      signal,
    });
    return this.#toResponse(answer);
  }

  #warn(message: string): void {
    this.#options.onWarning?.(message);
  }

  #toResponse(answer: unknown): ModelResponse {
    const resp = (answer ?? {}) as Record<string, unknown>;
    const usage = normaliseOpenAIUsage(resp.usage);
    const choices = Array.isArray(resp.choices) ? resp.choices : [];
    const choice = choices[0] as Record<string, unknown> | undefined;
    if (!choice) {
      this.#warn(`Model "${this.model}" returned no choices (treated as a stop with no answer)`);
      return { text: null, tool_calls: [], finish: "stop", usage };
    }
    const msg = (choice.message ?? {}) as Record<string, unknown>;
    const calls: ToolCall[] = [];
    for (const tc of Array.isArray(msg.tool_calls) ? msg.tool_calls : []) {
      const fn = ((tc as Record<string, unknown>)?.function ?? {}) as Record<string, unknown>;
      const name = String(fn.name ?? "");
      calls.push({ name, args: this.#parseArgs(name, fn.arguments) });
    }
    const reason = choice.finish_reason;
    if (calls.length === 0 && reason === "content_filter") {
      this.#warn(`Model "${this.model}" was stopped by its content filter (treated as a stop)`);
    }
    const finish: Finish = calls.length > 0
      ? "tool_calls"
      : reason === "length"
      ? "length"
      : "stop";
    const text = typeof msg.content === "string" && msg.content !== "" ? msg.content : null;
    return { text, tool_calls: calls, finish, usage };
  }

  #parseArgs(name: string, raw: unknown): Record<string, unknown> {
    if (raw && typeof raw === "object" && !Array.isArray(raw)) {
      return raw as Record<string, unknown>;
    }
    const text = typeof raw === "string" ? raw : "";
    if (text.trim() === "" || text.trim() === "{}") return {};
    return parseJsonObject(text) ?? argsNotObject(name, text, this.#options.onWarning);
  }

  /** A description without the key. */
  toString(): string {
    return describeProvider("OpenAICompatibleProvider", this.#identity());
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

/** `{prompt_tokens, completion_tokens, total_tokens}` to zu's `{input_tokens, output_tokens, total_tokens}`. */
export function normaliseOpenAIUsage(raw: unknown): Record<string, number> {
  if (!raw || typeof raw !== "object") return {};
  const u = raw as Record<string, unknown>;
  const input = Number(u.prompt_tokens ?? u.input_tokens ?? 0) || 0;
  const output = Number(u.completion_tokens ?? u.output_tokens ?? 0) || 0;
  const total = Number(u.total_tokens ?? input + output) || input + output;
  return { input_tokens: input, output_tokens: output, total_tokens: total };
}
