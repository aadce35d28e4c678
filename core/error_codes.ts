/**
 * Every error code zu uses, in one union, sorted into three kinds. The kind is decided by the
 * error's class (`UserError`, `RunFailure`, or neither = our bug); these lists say which class
 * each code is thrown with, so a code belongs to exactly one kind. A new code is added here
 * first: `ZuError`, `UserError` and `RunFailure` accept only codes of these lists.
 *
 * @example
 * ```ts
 * import { ERROR_CODES, isErrorCode, USER_ERROR_CODES } from "./error_codes.ts";
 * console.assert(ERROR_CODES.includes("docker_unavailable"));
 * console.assert(USER_ERROR_CODES.includes("docker_unavailable"));
 * console.assert(!isErrorCode("no_such_code"));
 * ```
 * @module
 */

/** Codes of `UserError`: the user's mistake or the environment (exit 2, one line with the fix). */
export const USER_ERROR_CODES = Object.freeze(
  [
    "agent_invalid",
    "already_decided",
    "agent_not_found",
    "approval_invalid",
    "backend_invalid",
    "bundle_invalid",
    "bundle_missing",
    "clearance_closed",
    "codec_unknown",
    "config_invalid",
    "containment_required",
    "decrypt_failed",
    "demo_agent_missing",
    "dns_failed",
    "docker_endpoint",
    "docker_ssh",
    "docker_tls",
    "docker_unavailable",
    "egress_required",
    "event_log_not_empty",
    "event_log_not_found",
    "gate_name_invalid",
    "gate_repo_missing",
    "image_build_failed",
    "image_missing",
    "image_policy",
    "init_exists",
    "key_invalid",
    "key_missing",
    "network_policy",
    "prices_invalid",
    "program_missing",
    "provider_auth",
    "remote_engine_unsupported",
    "run_permission_missing",
    "sandbox_floor",
    "sandbox_not_found",
    "sandbox_required",
    "secret_unresolved",
    "serve_listen_failed",
    "sink_unreadable",
    "snapshot_not_found",
    "snapshot_policy",
    "snapshot_unsupported",
    "tuple_mismatch",
    "unknown_request",
    "usage",
    "verdict_invalid",
  ] as const,
);

/** Codes of `RunFailure`: the run or check failed (exit 1, one line, a terminal event). */
export const RUN_FAILURE_CODES = Object.freeze(
  [
    "budget_exhausted",
    "capture_failed",
    "docker_connection_lost",
    "fetch_failed",
    "fetch_timeout",
    "gate_git_failed",
    "interrupted",
    "plugin_escape",
    "pool_empty",
    "provider_error",
    "provider_rate_limited",
    "provider_timeout",
    "provider_unavailable",
    "sandbox_dead",
    "sandbox_gone",
    "sandbox_proxy_failed",
    "sandbox_start_failed",
    "sandbox_teardown_failed",
    "sandbox_timeout",
    "security_block",
    "session_lost",
    "snapshot_failed",
  ] as const,
);

/** Codes thrown as a plain `ZuError`: a state that only a bug in zu reaches (exit 1, stack). */
export const BUG_CODES = Object.freeze(
  [
    "host_tools",
    "image_recipe_invalid",
    "tool_not_offered",
  ] as const,
);

/** A code of the user's kind. */
export type UserErrorCode = typeof USER_ERROR_CODES[number];
/** A code of the run-failure kind. */
export type RunFailureCode = typeof RUN_FAILURE_CODES[number];
/** A code of the bug kind. */
export type BugCode = typeof BUG_CODES[number];
/** Every error code zu uses. */
export type ErrorCode = UserErrorCode | RunFailureCode | BugCode;

/** Every error code, once, sorted. */
export const ERROR_CODES: readonly ErrorCode[] = Object.freeze(
  [...USER_ERROR_CODES, ...RUN_FAILURE_CODES, ...BUG_CODES].sort(),
);

/** The three kinds of failure the CLI tells apart. */
export type ErrorKind = "user" | "run_failure" | "bug";

/** True when `value` is one of {@link ERROR_CODES}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && (ERROR_CODES as readonly string[]).includes(value);
}

/** The kind a code belongs to (used to rebuild an error that crossed a process boundary). */
export function errorKindOf(code: ErrorCode): ErrorKind {
  if ((USER_ERROR_CODES as readonly string[]).includes(code)) return "user";
  if ((RUN_FAILURE_CODES as readonly string[]).includes(code)) return "run_failure";
  return "bug";
}
