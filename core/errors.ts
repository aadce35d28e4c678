/**
 * zu's small family of domain errors. Each has a stable string `code` so it can be written into
 * the event log; built-in errors (`TypeError`, `RangeError`, `SyntaxError`) are used for misuse.
 *
 * @example
 * ```ts
 * import { ZuError } from "./errors.ts";
 * const e = new ZuError("config_invalid", "Cannot load agent \"a.yaml\": key \"provider\" is missing");
 * console.assert(e.code === "config_invalid");
 * ```
 * @module
 */

/** Base of every domain error. */
export class ZuError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  /** Creates an error with a stable code. */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ZuError";
    this.code = code;
  }
}

/** A user's mistake (bad flag, bad file, wrong key): the CLI prints one line and exits 2. */
export class UserError extends ZuError {
  /** Creates a user error. */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = "UserError";
  }
}

/** A guard refused something (SSRF, off-allowlist, ...). The loop turns it into `harness.defense.blocked`. */
export class SecurityBlock extends ZuError {
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

/** Decryption failed (wrong key, tampered blob or AAD). */
export class DecryptError extends ZuError {
  /** Creates a decrypt error. */
  constructor(message: string, options?: ErrorOptions) {
    super("decrypt_failed", message, options);
    this.name = "DecryptError";
  }
}

/** `containment: required` and the run is not sandboxed. */
export class ContainmentRequired extends ZuError {
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

/** Base of the neutral provider errors. */
export class ProviderError extends ZuError {
  /** Creates a provider error. */
  constructor(message: string, code = "provider_error", options?: ErrorOptions) {
    super(code, message, options);
    this.name = "ProviderError";
  }
}
/** 401/403 from the model API. */
export class ProviderAuthError extends ProviderError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, "provider_auth", options);
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
