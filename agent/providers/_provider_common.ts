/**
 * What the two live providers share beyond the HTTP call itself: the base URL read from the
 * environment at call time, the seams handed to {@link postJson}, the key-free views
 * (`toString`, `toJSON`), and the parse of tool arguments that should be a JSON object.
 *
 * @module
 */
import { postJson, realEnv, realSleep } from "./_post_json.ts";
import type { EnvReader, Sleep } from "../../core/types.ts";
import { UserError } from "../../core/errors.ts";

/** The options both live providers accept, with the same meaning and defaults. */
export interface CommonProviderOptions {
  /** An explicit key (prefer `apiKeyEnv`, so no key sits in a file). */
  apiKey?: string;
  /** Per-attempt timeout in ms. Default 60000. */
  timeoutMs?: number;
  /** Retries on 408/429/5xx/connection failure (Anthropic's 529 included). Default 2. */
  maxRetries?: number;
  /** Sampling temperature. */
  temperature?: number;
  /** Nucleus sampling. */
  topP?: number;
  /** Stop sequence(s) (Anthropic: sent as `stop_sequences`). */
  stop?: string | string[];
  /** Extra request headers (e.g. `anthropic-beta`, OpenRouter's `HTTP-Referer`). */
  headers?: Record<string, string>;
  /**
   * Receives warnings (a refusal, a content-filter stop, tool arguments that are not a JSON
   * object, no choices). Default: ignored.
   */
  onWarning?: (message: string) => void;
  /** Sleep seam for backoff. Default: a real timer. */
  sleep?: Sleep;
  /** Random seam for jitter. Default `Math.random`. */
  random?: () => number;
  /** Environment seam. Default: `Deno.env.get`, a denied variable reads as unset. */
  env?: EnvReader;
  /** Fetch seam. Default: the global `fetch`. */
  fetch?: typeof fetch;
}

/** What the helpers below read from a provider's options. */
type ProviderSeams = CommonProviderOptions & { baseUrl?: string; baseUrlEnv?: string };

/** The identity of a provider instance, without its key. */
export interface ProviderIdentity {
  /** Wire label (`anthropic`, `openai-compatible`). */
  label: string;
  /** The model id. */
  model: string;
  /** Environment variable holding the key. */
  apiKeyEnv: string;
  /** Environment variable holding the base URL. */
  baseUrlEnv: string;
  /** Per-attempt timeout in ms. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  maxRetries: number;
}

/** Reads `name` through the seam (default: the real environment). */
export function readEnv(seams: ProviderSeams, name: string): string | undefined {
  return (seams.env ?? realEnv)(name);
}

/**
 * The explicit base URL, else `$baseUrlEnv`, else `fallback`, without trailing slashes. When the
 * caller declared `baseUrlEnv` itself (agent.yaml `base_url_env`) and gave no `baseUrl`, an unset
 * variable is a `UserError` (`config_invalid`), never a silent fall-back to the default API.
 */
export function resolveBaseUrl(seams: ProviderSeams, baseUrlEnv: string, fallback: string): string {
  const fromEnv = readEnv(seams, baseUrlEnv) || undefined;
  if (seams.baseUrl === undefined && fromEnv === undefined && seams.baseUrlEnv !== undefined) {
    throw new UserError(
      "config_invalid",
      `Cannot find the model's base URL: "${baseUrlEnv}" (base_url_env) is not set; set it, or remove base_url_env to use "${fallback}"`,
    );
  }
  const raw = seams.baseUrl ?? fromEnv ?? fallback;
  return raw.replace(/\/+$/, "");
}

/** Options of {@link postProvider}. */
export interface PostProviderOptions {
  /** The JSON body. */
  body: unknown;
  /** Auth headers (added after the configured extra headers). */
  auth: Record<string, string>;
  /** The secret to redact from messages, if any. */
  secret: string | null;
  /** Whether the key came from the environment (its variable is then named on a 401/403). */
  keyFromEnv: boolean;
  /** Whether the key's variable is not set (a 401/403 then says "not set"). Default false. */
  keyMissing?: boolean;
  /** Cancels the call. */
  signal?: AbortSignal | undefined;
}

/** POSTs a provider request with the instance's seams, timeout and retry settings. */
export function postProvider(
  url: string,
  who: { identity: ProviderIdentity; seams: ProviderSeams },
  options: PostProviderOptions,
): Promise<unknown> {
  const { identity, seams } = who;
  return postJson(url, {
    body: options.body,
    headers: { ...(seams.headers ?? {}), ...options.auth },
  }, {
    label: identity.label,
    model: identity.model,
    timeoutMs: identity.timeoutMs,
    maxRetries: identity.maxRetries,
    sleep: seams.sleep ?? realSleep,
    random: seams.random ?? Math.random,
    fetch: seams.fetch ?? fetch,
    secret: options.secret,
    keyEnv: options.keyFromEnv ? identity.apiKeyEnv : null,
    keyMissing: options.keyMissing === true,
    signal: options.signal,
  });
}

/** The `toString()` text of a provider: no key. */
export function describeProvider(className: string, identity: ProviderIdentity): string {
  return `${className}(model="${identity.model}", api_key_env="${identity.apiKeyEnv}", api_key=[redacted])`;
}

/** The `toJSON()` view of a provider: no key. */
export function providerJson(identity: ProviderIdentity): Record<string, unknown> {
  return {
    provider: identity.label,
    model: identity.model,
    api_key_env: identity.apiKeyEnv,
    base_url_env: identity.baseUrlEnv,
    api_key: "[redacted]",
  };
}

/** `text` parsed as a JSON object, or null when it is not one. */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed;
  } catch {
    // not JSON
  }
  return null;
}

/** Warns that tool call `name` has arguments that are not a JSON object, and returns `{}`. */
export function argsNotObject(
  name: string,
  raw: string,
  warn: ((message: string) => void) | undefined,
): Record<string, unknown> {
  const shown = raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
  warn?.(
    `Tool call "${name}" has arguments that are not a JSON object, dispatching it with {}: ${
      JSON.stringify(shown)
    }`,
  );
  return {};
}
