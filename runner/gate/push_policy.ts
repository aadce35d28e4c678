/**
 * The gate's push rules, applied to each ref update before git runs: only `refs/heads/*` matching
 * the grant's branches, `main`/`master` only with `main: true`, tags only with `tags: true`,
 * deletions only with `force: true` (non-fast-forward updates are refused by git itself, with
 * `receive.denyNonFastForwards` set from the same grant).
 *
 * @example
 * ```ts
 * import { judgePush } from "./push_policy.ts";
 * const grant = { name: "app", access: "push" as const, branches: ["agent/*"], force: false, main: false, tags: false };
 * const z = "0".repeat(40), a = "a".repeat(40);
 * console.assert(judgePush(grant, { old: z, new: a, ref: "refs/heads/agent/x" }) === null);
 * console.assert(judgePush(grant, { old: z, new: a, ref: "refs/heads/main" }) !== null);
 * ```
 * @module
 */
import { branchAllowed, PROTECTED_BRANCHES, type RepoGrant } from "../../core/repo_grant.ts";
import { isZeroId, type PushCommand } from "./push_commands.ts";

/** Why `cmd` is refused under `grant`, or null when it may go to git. */
export function judgePush(grant: RepoGrant, cmd: PushCommand): string | null {
  if (grant.access !== "push") return `the run's access to "${grant.name}" is read-only`;
  if (isZeroId(cmd.new) && !grant.force) {
    return "deleting a ref needs force: true in the run's repos grant";
  }
  if (cmd.ref.startsWith("refs/tags/")) {
    return grant.tags ? null : "pushing tags needs tags: true in the run's repos grant";
  }
  if (!cmd.ref.startsWith("refs/heads/")) return "only branches (refs/heads/*) may be pushed";
  const branch = cmd.ref.slice("refs/heads/".length);
  if (PROTECTED_BRANCHES.includes(branch) && !grant.main) {
    return `pushing "${branch}" needs main: true in the run's repos grant`;
  }
  if (!branchAllowed(grant.branches, branch)) {
    return `branch "${branch}" is outside the allowed branches (${grant.branches.join(", ")})`;
  }
  return null;
}
