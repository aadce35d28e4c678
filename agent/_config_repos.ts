/**
 * agent.yaml `repos:`: the gated git repositories a run may clone (and push to). Every mistake is
 * refused, never warned about: a grant is a security setting.
 *
 * @module
 */
import { checkBranchPattern, checkRepoName, type RepoGrant } from "../core/repo_grant.ts";
import type { Reader } from "./_config_reader.ts";

const REPO_KEYS = ["name", "access", "branches", "force", "main", "tags"];

/** Parses the `repos` list (null or absent: no repository). */
export function parseRepos(r: Reader, value: unknown): RepoGrant[] {
  if (value === undefined || value === null) return [];
  const seen = new Set<string>();
  return r.list(value, "repos").map((entry, i) => {
    const key = `repos[${i}]`;
    const obj = r.mapping(entry, key);
    for (const k of Object.keys(obj)) {
      if (!REPO_KEYS.includes(k)) {
        r.fail(r.join(key, k), `is not a repos key (keys: ${REPO_KEYS.join(", ")})`);
      }
    }
    const name = r.string(r.required(obj, "name", key), r.join(key, "name"));
    const bad = checkRepoName(name);
    if (bad !== null) r.fail(r.join(key, "name"), bad);
    if (seen.has(name)) r.fail(r.join(key, "name"), `"${name}" is listed twice`);
    seen.add(name);
    const access = r.choice(obj, "access", key, ["read", "push"] as const, "read");
    const branches = obj.branches === undefined || obj.branches === null
      ? []
      : r.list(obj.branches, r.join(key, "branches")).map((b, j) => {
        const why = checkBranchPattern(b);
        if (why !== null) r.fail(`${key}.branches[${j}]`, why);
        return b as string;
      });
    if (access === "push" && branches.length === 0) {
      r.fail(
        r.join(key, "branches"),
        'is required with access "push" (the branches the run may push, e.g. ["agent/*"])',
      );
    }
    return {
      name,
      access,
      branches,
      force: r.bool(obj, "force", key, false),
      main: r.bool(obj, "main", key, false),
      tags: r.bool(obj, "tags", key, false),
    };
  });
}
