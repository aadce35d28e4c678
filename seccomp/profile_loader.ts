/**
 * Typed loader and validator for zu's seccomp profiles.
 *
 * The Docker API wants the profile *content* (`SecurityOpt: ["seccomp=<json>"]`; a path fails
 * with HTTP 500), so the loader returns the validated profile and its compact JSON string.
 *
 * Shipped profiles:
 * - `block`: default ALLOW, EPERM for the namespace, mount, module, kexec, bpf, perf, reboot, swap,
 *   keyring, accounting, quota and file-handle calls, and for `clone` with any `CLONE_NEW*` flag
 *   (`clone3` answers ENOSYS so libc falls back to `clone`, whose flags seccomp can read);
 * - `default`: default-deny (EPERM) allowlist in the manner of Docker's default profile, minus
 *   ptrace, the namespace and mount calls, io_uring, keyrings, bpf and perf.
 *
 * @example
 * ```ts
 * import { loadSeccompProfile } from "./profile_loader.ts";
 * const { json, profile } = await loadSeccompProfile("block");
 * console.assert(profile.defaultAction === "SCMP_ACT_ALLOW" && json.startsWith("{"));
 * ```
 * @module
 */
import blockProfile from "./profiles/block.json" with { type: "json" };
import defaultProfile from "./profiles/default.json" with { type: "json" };

/** A seccomp action. */
export type SeccompAction =
  | "SCMP_ACT_KILL"
  | "SCMP_ACT_KILL_PROCESS"
  | "SCMP_ACT_KILL_THREAD"
  | "SCMP_ACT_TRAP"
  | "SCMP_ACT_ERRNO"
  | "SCMP_ACT_TRACE"
  | "SCMP_ACT_ALLOW"
  | "SCMP_ACT_LOG"
  | "SCMP_ACT_NOTIFY";

/** A comparison operator of a syscall argument. */
export type SeccompOp =
  | "SCMP_CMP_NE"
  | "SCMP_CMP_LT"
  | "SCMP_CMP_LE"
  | "SCMP_CMP_EQ"
  | "SCMP_CMP_GE"
  | "SCMP_CMP_GT"
  | "SCMP_CMP_MASKED_EQ";

/** One argument condition. */
export interface SeccompArg {
  /** Argument index 0..5. */
  index: number;
  /** Value compared (or mask for MASKED_EQ). */
  value: number;
  /** Second value (the expected masked value for MASKED_EQ). */
  valueTwo?: number;
  /** Operator. */
  op: SeccompOp;
}

/** One rule. */
export interface SeccompRule {
  /** Syscall names. */
  names: string[];
  /** Action when the rule matches. */
  action: SeccompAction;
  /** errno returned by SCMP_ACT_ERRNO. */
  errnoRet?: number;
  /** Argument conditions (ANDed). */
  args?: SeccompArg[];
  /** Human note (ignored by Docker). */
  comment?: string;
}

/** A Docker seccomp profile. */
export interface SeccompProfile {
  /** Action for syscalls no rule names. */
  defaultAction: SeccompAction;
  /** errno for a default ERRNO action. */
  defaultErrnoRet?: number;
  /** Architectures (`SCMP_ARCH_*`). */
  architectures?: string[];
  /** Rules. */
  syscalls: SeccompRule[];
}

/** A loaded profile. */
export interface LoadedSeccompProfile {
  /** Where it came from (`block`, `default`, or the file path). */
  source: string;
  /** The validated profile. */
  profile: SeccompProfile;
  /** Compact JSON for `SecurityOpt: ["seccomp=" + json]`. */
  json: string;
}

const ACTIONS = new Set<string>([
  "SCMP_ACT_KILL",
  "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_TRAP",
  "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE",
  "SCMP_ACT_ALLOW",
  "SCMP_ACT_LOG",
  "SCMP_ACT_NOTIFY",
]);
const OPS = new Set<string>([
  "SCMP_CMP_NE",
  "SCMP_CMP_LT",
  "SCMP_CMP_LE",
  "SCMP_CMP_EQ",
  "SCMP_CMP_GE",
  "SCMP_CMP_GT",
  "SCMP_CMP_MASKED_EQ",
]);
const ARCH = /^SCMP_ARCH_[A-Z0-9_]+$/;
const SYSCALL = /^_?[a-z0-9_]+$/;

/** Names of the shipped profiles. */
export const SECCOMP_PROFILE_NAMES: readonly string[] = ["block", "default"];

const SHIPPED: Record<string, unknown> = { block: blockProfile, default: defaultProfile };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isUint(v: unknown, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max;
}

/**
 * Validates a parsed profile; throws a `TypeError` naming the first thing that is wrong
 * (`Invalid seccomp profile "x.json": syscalls[2].action "SCMP_ACT_NOPE" is not a seccomp action`).
 */
export function validateSeccompProfile(value: unknown, source = "profile"): SeccompProfile {
  const fail = (what: string): never => {
    throw new TypeError(`Invalid seccomp profile "${source}": ${what}`);
  };
  if (!isRecord(value)) fail("it is not a JSON object");
  const p = value as Record<string, unknown>;
  if (typeof p.defaultAction !== "string" || !ACTIONS.has(p.defaultAction)) {
    fail(`defaultAction "${String(p.defaultAction)}" is not a seccomp action`);
  }
  if (p.defaultErrnoRet !== undefined && !isUint(p.defaultErrnoRet, 4095)) {
    fail(`defaultErrnoRet "${String(p.defaultErrnoRet)}" is not an errno (0..4095)`);
  }
  if (p.architectures !== undefined) {
    if (!Array.isArray(p.architectures)) fail("architectures is not an array");
    (p.architectures as unknown[]).forEach((a, i) => {
      if (typeof a !== "string" || !ARCH.test(a)) {
        fail(`architectures[${i}] "${String(a)}" is not SCMP_ARCH_*`);
      }
    });
  }
  if (!Array.isArray(p.syscalls)) fail("syscalls is missing or not an array");
  (p.syscalls as unknown[]).forEach((rule, i) => {
    const at = `syscalls[${i}]`;
    if (!isRecord(rule)) return fail(`${at} is not an object`);
    if (!Array.isArray(rule.names) || rule.names.length === 0) {
      fail(`${at}.names is missing or empty`);
    }
    (rule.names as unknown[]).forEach((n, j) => {
      if (typeof n !== "string" || !SYSCALL.test(n)) {
        fail(`${at}.names[${j}] "${String(n)}" is not a syscall name`);
      }
    });
    if (typeof rule.action !== "string" || !ACTIONS.has(rule.action)) {
      fail(`${at}.action "${String(rule.action)}" is not a seccomp action`);
    }
    if (rule.errnoRet !== undefined && !isUint(rule.errnoRet, 4095)) {
      fail(`${at}.errnoRet "${String(rule.errnoRet)}" is not an errno (0..4095)`);
    }
    if (rule.args !== undefined && rule.args !== null) {
      if (!Array.isArray(rule.args)) fail(`${at}.args is not an array`);
      (rule.args as unknown[]).forEach((arg, k) => {
        const aat = `${at}.args[${k}]`;
        if (!isRecord(arg)) return fail(`${aat} is not an object`);
        if (!isUint(arg.index, 5)) fail(`${aat}.index "${String(arg.index)}" is not 0..5`);
        if (!isUint(arg.value)) {
          fail(`${aat}.value "${String(arg.value)}" is not a non-negative integer`);
        }
        if (arg.valueTwo !== undefined && !isUint(arg.valueTwo)) {
          fail(`${aat}.valueTwo "${String(arg.valueTwo)}" is not a non-negative integer`);
        }
        if (typeof arg.op !== "string" || !OPS.has(arg.op)) {
          fail(`${aat}.op "${String(arg.op)}" is not SCMP_CMP_*`);
        }
      });
    }
  });
  return value as SeccompProfile;
}

/**
 * A shipped profile by name (`block`, `default`), validated, synchronously; anything else (a
 * path, inline JSON, `unconfined`) throws a `TypeError`.
 *
 * @example
 * ```ts
 * import { shippedSeccompProfile } from "./profile_loader.ts";
 * console.assert(shippedSeccompProfile("default").profile.defaultAction === "SCMP_ACT_ERRNO");
 * ```
 */
export function shippedSeccompProfile(name: string): LoadedSeccompProfile {
  if (!Object.hasOwn(SHIPPED, name)) {
    throw new TypeError(
      `Unknown seccomp profile "${name}": use ${
        SECCOMP_PROFILE_NAMES.map((n) => `"${n}"`).join(" or ")
      }`,
    );
  }
  const profile = validateSeccompProfile(structuredClone(SHIPPED[name]), name);
  return { source: name, profile, json: JSON.stringify(profile) };
}

/**
 * Loads a shipped profile by name (`block`, `default`) or a profile file by path, validates it,
 * and returns it with its compact JSON (for `SecurityOpt: ["seccomp=" + json]`).
 *
 * @example
 * ```ts
 * import { loadSeccompProfile } from "./profile_loader.ts";
 * const { json } = await loadSeccompProfile("default");
 * const securityOpt = ["no-new-privileges", `seccomp=${json}`];
 * console.assert(securityOpt.length === 2);
 * ```
 */
export async function loadSeccompProfile(nameOrPath: string): Promise<LoadedSeccompProfile> {
  let raw: unknown;
  if (Object.hasOwn(SHIPPED, nameOrPath)) {
    raw = structuredClone(SHIPPED[nameOrPath]);
  } else if (nameOrPath.includes("/") || nameOrPath.endsWith(".json")) {
    let text: string;
    try {
      text = await Deno.readTextFile(nameOrPath);
    } catch (error) {
      throw new TypeError(
        `Cannot load seccomp profile "${nameOrPath}": ${(error as Error).message}`,
      );
    }
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new SyntaxError(`Invalid seccomp profile "${nameOrPath}": ${(error as Error).message}`);
    }
  } else {
    throw new TypeError(
      `Unknown seccomp profile "${nameOrPath}": use ${
        SECCOMP_PROFILE_NAMES.map((n) => `"${n}"`).join(" or ")
      } or a path to a .json file`,
    );
  }
  const profile = validateSeccompProfile(raw, nameOrPath);
  return { source: nameOrPath, profile, json: JSON.stringify(profile) };
}
