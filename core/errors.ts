/**
 * zu's small family of domain errors. Each has a stable `code` (one of `ERROR_CODES`) so it can
 * be written into the event log; built-in errors (`TypeError`, `RangeError`, `SyntaxError`) are
 * used for misuse. The class decides the kind: `UserError` (the user's mistake or the
 * environment: exit 2, one line), `RunFailure` (the run or check failed: exit 1, one line, a
 * terminal event), anything else is a bug (exit 1, stack).
 *
 * @example
 * ```ts
 * import { UserError, ZuError } from "./errors.ts";
 * const e = new UserError("config_invalid", "Cannot load agent \"a.yaml\": key \"provider\" is missing");
 * console.assert(e instanceof ZuError && e.code === "config_invalid");
 * ```
 * @module
 */
import {
  type BugCode,
  type ErrorCode,
  errorKindOf,
  isErrorCode,
  type RunFailureCode,
  type UserErrorCode,
} from "./error_codes.ts";

export * from "./error_codes.ts";

/**
 * Base of every domain error. Thrown as itself only with a {@link BugCode}: a `ZuError` that
 * is neither a `UserError` nor a `RunFailure` is our bug.
 */
export class ZuError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Creates an error with a stable code. */
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ZuError";
    this.code = code;
  }
}

/**
 * The user's mistake or the environment (bad flag, bad file, wrong key, Docker down, image or
 * binary missing): the message says the fix; the CLI prints one line and exits 2.
 */
export class UserError extends ZuError {
  /** Code of the user's kind. */
  declare readonly code: UserErrorCode;
  /** Creates a user error. */
  constructor(code: UserErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = "UserError";
  }
}

/**
 * The run or check failed for an outside reason (model API down, sandbox died, timeout): the
 * loop writes a terminal event, the CLI prints one line and exits 1.
 */
export class RunFailure extends ZuError {
  /** Code of the run-failure kind. */
  declare readonly code: RunFailureCode;
  /** Creates a run failure. */
  constructor(code: RunFailureCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = "RunFailure";
  }
}

/** The user interrupted the run (Ctrl-C): the CLI prints "interrupted" and exits 130. */
export class Interrupted extends RunFailure {
  /** Creates the error. */
  constructor(message = "Interrupted", options?: ErrorOptions) {
    super("interrupted", message, options);
    this.name = "Interrupted";
  }
}

/**
 * A plugin (agent code loaded from a module path) tried to leave zu's control: it called
 * `Deno.exit` / `process.exit`, or started a `Worker` with its own permissions. Thrown in the
 * plugin instead of letting it happen: at load it becomes a one-line configuration error (exit
 * 2); during a run it ends the run with a terminal event (exit 1).
 */
export class PluginEscape extends RunFailure {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super("plugin_escape", message, options);
    this.name = "PluginEscape";
  }
}

/** A guard refused something (SSRF, off-allowlist, ...). The loop turns it into `harness.defense.blocked`. */
export class SecurityBlock extends RunFailure {
  /** The block kind (`ssrf`, `off_allowlist`, ...). */
  readonly kind: string;
  /** What was refused (a URL or host), if any. */
  readonly target: string | null;
  /** Creates a security block. */
  constructor(message: string, options: { kind?: string; target?: string | null } = {}) {
    super("security_block", message);
    this.name = "SecurityBlock";
    this.kind = options.kind ?? "blocked";
    this.target = options.target ?? null;
  }
}

/**
 * Decryption failed (wrong key, tampered blob or AAD: `decrypt_failed`) or the blob names a codec
 * that is not configured (`codec_unknown`): the fix is the key, so the CLI says where keys come from.
 */
export class DecryptError extends UserError {
  /** Creates a decrypt error. */
  constructor(
    message: string,
    options: ErrorOptions & { code?: "decrypt_failed" | "codec_unknown" } = {},
  ) {
    const { code = "decrypt_failed", ...rest } = options;
    super(code, message, rest);
    this.name = "DecryptError";
  }
}

/** `containment: required` and the run is not sandboxed. */
export class ContainmentRequired extends UserError {
  /** Tools that need containment. */
  readonly offenders: string[];
  /** Creates the error. */
  constructor(offenders: string[]) {
    super(
      "containment_required",
      `Cannot run: containment is required but the run is not sandboxed (tools: ${
        offenders.map((o) => `"${o}"`).join(", ")
      })`,
    );
    this.name = "ContainmentRequired";
    this.offenders = offenders;
  }
}

/** The codes of the provider failures that end a run. */
export type ProviderFailureCode =
  | "provider_error"
  | "provider_rate_limited"
  | "provider_timeout"
  | "provider_unavailable";

/** Base of the neutral provider failures (the model API failed the run). */
export class ProviderError extends RunFailure {
  /** Creates a provider error. */
  constructor(
    message: string,
    code: ProviderFailureCode = "provider_error",
    options?: ErrorOptions,
  ) {
    super(code, message, options);
    this.name = "ProviderError";
  }
}
/** 401/403 from the model API, or no key: the user's to fix (not a `ProviderError`). */
export class ProviderAuthError extends UserError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super("provider_auth", message, options);
    this.name = "ProviderAuthError";
  }
}
/** 429 after retries. */
export class ProviderRateLimited extends ProviderError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, "provider_rate_limited", options);
    this.name = "ProviderRateLimited";
  }
}
/** The model API did not answer in time. */
export class ProviderTimeout extends ProviderError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, "provider_timeout", options);
    this.name = "ProviderTimeout";
  }
}
/** 5xx or connection failure after retries. */
export class ProviderUnavailable extends ProviderError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, "provider_unavailable", options);
    this.name = "ProviderUnavailable";
  }
}

/**
 * Rebuilds an error that crossed a process boundary (jailed child, sandbox, host tools) from its
 * code, with the class its code belongs to; null for a string that is not an `ErrorCode`.
 */
export function errorOfCode(code: unknown, message: string): ZuError | null {
  if (!isErrorCode(code)) return null;
  if (code === "interrupted") return new Interrupted(message);
  const kind = errorKindOf(code);
  if (kind === "user") return new UserError(code as UserErrorCode, message);
  if (kind === "run_failure") return new RunFailure(code as RunFailureCode, message);
  return new ZuError(code as BugCode, message);
}
