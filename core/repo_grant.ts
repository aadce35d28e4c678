/**
 * The git gate's one naming rule and the shape of a run's repository grant (agent.yaml
 * `repos:`). The agent config parser and the gate both call {@link checkRepoName} and
 * {@link checkBranchPattern}, so a name the parser accepts is a name the gate serves.
 *
 * @example
 * ```ts
 * import { checkRepoName, branchAllowed } from "./repo_grant.ts";
 * console.assert(checkRepoName("app.core") === null);
 * console.assert(checkRepoName("../etc") !== null);
 * console.assert(branchAllowed(["fix/*"], "fix/typo") && !branchAllowed(["fix/*"], "main"));
 * ```
 * @module
 */

/** What a run may do with a gated repository. */
export type RepoAccess = "read" | "push";

/** One `repos:` entry of agent.yaml, checked. */
export interface RepoGrant {
  /** The gated repository's name (see {@link checkRepoName}). */
  name: string;
  /** `read` (clone and fetch) or `push` (also push to the allowed branches). */
  access: RepoAccess;
  /** Branch patterns a push may update (`fix/*`, `agent-work`); `*` matches within one segment, `**` across. */
  branches: string[];
  /** Non-fast-forward updates and deletions allowed. Default false. */
  force: boolean;
  /** `refs/heads/main` (and `master`) may be pushed. Default false. */
  main: boolean;
  /** Tags (`refs/tags/*`) may be pushed. Default false. */
  tags: boolean;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Why `name` is not a gated repository name, or null when it is one: `[a-z0-9][a-z0-9._-]*`, at
 * most 64 characters, no `..`, not ending in `.git` or `.lock`.
 */
export function checkRepoName(name: unknown): string | null {
  if (typeof name !== "string") return `must be a string, got ${typeof name}`;
  if (!NAME.test(name)) {
    return `"${name}" is not a repository name (lower-case letters, digits, ".", "_", "-"; starting with a letter or digit; at most 64 characters)`;
  }
  if (name.includes("..")) return `"${name}" must not contain ".."`;
  if (name.endsWith(".git") || name.endsWith(".lock")) {
    return `"${name}" must not end in ".git" or ".lock" (the gate adds ".git" itself)`;
  }
  return null;
}

const SEGMENT = /^[A-Za-z0-9._*-]+$/;

/**
 * Why `pattern` is not a branch pattern, or null: slash-separated segments of
 * `[A-Za-z0-9._-]` and `*`, no `..`, no segment starting with `.` or ending in `.lock`.
 */
export function checkBranchPattern(pattern: unknown): string | null {
  if (typeof pattern !== "string" || pattern === "") return "must be a non-empty string";
  if (pattern.includes("..") || pattern.startsWith("refs/")) {
    return `"${pattern}" is not a branch pattern (a branch name without "refs/heads/", no "..")`;
  }
  for (const seg of pattern.split("/")) {
    if (!SEGMENT.test(seg) || seg.startsWith(".") || seg.endsWith(".lock")) {
      return `"${pattern}" is not a branch pattern (segments of letters, digits, ".", "_", "-", "*")`;
    }
  }
  return null;
}

function patternRegExp(pattern: string): RegExp {
  let src = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      src += ".*";
      i++;
    } else if (c === "*") src += "[^/]*";
    else src += c.replace(/[.\\+?^${}()|[\]-]/g, "\\$&");
  }
  return new RegExp(`^${src}$`);
}

/** True when `branch` (without `refs/heads/`) matches one of `patterns`. */
export function branchAllowed(patterns: readonly string[], branch: string): boolean {
  if (checkBranchPattern(branch) !== null || branch.includes("*")) return false;
  return patterns.some((p) => patternRegExp(p).test(branch));
}

/** The branches only a grant with `main: true` may push. */
export const PROTECTED_BRANCHES: readonly string[] = Object.freeze(["main", "master"]);
