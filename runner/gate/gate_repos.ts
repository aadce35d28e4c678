/**
 * The gate's bare mirrors on the host: add, fetch, and the operator's view of what runs pushed
 * (pending, diff, forward, drop). A run's pushes live under `refs/namespaces/<run>/refs/heads/*`
 * of the mirror (git's own namespaces), so the mirror's `refs/heads/*` change only on fetch and
 * forward, and no push ever reaches upstream by itself.
 *
 * @example
 * ```ts ignore
 * import { addGateRepo, listPending, forwardPending } from "./gate_repos.ts";
 * await addGateRepo("/srv/zu-gate", "app", "/src/app.git");
 * for (const p of await listPending("/srv/zu-gate")) console.log(p.repo, p.branch, p.run);
 * await forwardPending("/srv/zu-gate", "app", "agent/fix-typo");
 * ```
 * @module
 */
import { isAbsolute, join, resolve } from "node:path";
import { UserError } from "../../core/errors.ts";
import { checkRepoName } from "../../core/repo_grant.ts";
import { mustGit, runGit } from "./_git.ts";

/** The path of repository `name`'s bare mirror under the gate directory `root`. */
export function gateRepoPath(root: string, name: string): string {
  const why = checkRepoName(name);
  if (why !== null) throw new UserError("gate_name_invalid", `Cannot use repository name: ${why}`);
  return join(root, "repos", `${name}.git`);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The mirror of `name`, which must exist. */
export function existingRepoPath(root: string, name: string): string {
  const path = gateRepoPath(root, name);
  if (!exists(path)) {
    throw new UserError(
      "gate_repo_missing",
      `Cannot find gated repository "${name}" in ${root}; add it with "zu gate add ${name} <upstream>"`,
    );
  }
  return path;
}

/** Refuses upstreams git would treat as an option or a command transport. */
function checkUpstream(upstream: string, cwd: string): string {
  if (upstream === "" || upstream.startsWith("-") || /^ext::/i.test(upstream)) {
    throw new UserError(
      "usage",
      `Cannot use upstream "${upstream}": give a repository path or a URL (https://, ssh://, file://)`,
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(upstream) || /^[^/]+@[^/]+:/.test(upstream)) return upstream;
  return isAbsolute(upstream) ? upstream : resolve(cwd, upstream);
}

/** Names of the mirrors under `root`, sorted. */
export function listGateRepos(root: string): string[] {
  const dir = join(root, "repos");
  if (!exists(dir)) return [];
  const names: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const name = e.name.replace(/\.git$/, "");
    if (e.isDirectory && e.name.endsWith(".git") && checkRepoName(name) === null) names.push(name);
  }
  return names.sort();
}

/**
 * Creates the bare mirror of `upstream` as `name` (branches and tags only, so a fetch never
 * touches what runs pushed). The host's own git credentials are used and stay on the host.
 */
export async function addGateRepo(
  root: string,
  name: string,
  upstream: string,
  options: { cwd?: string } = {},
): Promise<{ path: string; upstream: string; head: string | null }> {
  const path = gateRepoPath(root, name);
  if (exists(path)) {
    throw new UserError("usage", `Cannot add "${name}": it is already gated at ${path}`);
  }
  const url = checkUpstream(upstream, options.cwd ?? Deno.cwd());
  await Deno.mkdir(join(root, "repos"), { recursive: true, mode: 0o700 });
  try {
    await mustGit("create the mirror", ["init", "--bare", "-q", path]);
    const git = ["--git-dir", path];
    await mustGit("configure the mirror", [...git, "config", "remote.origin.url", url]);
    await mustGit("configure the mirror", [
      ...git,
      "config",
      "remote.origin.fetch",
      "+refs/heads/*:refs/heads/*",
    ]);
    await mustGit("configure the mirror", [
      ...git,
      "config",
      "--add",
      "remote.origin.fetch",
      "+refs/tags/*:refs/tags/*",
    ]);
    await mustGit(`fetch "${url}"`, [...git, "fetch", "--prune", "--quiet", "origin"]);
    const head = await upstreamHead(path);
    if (head !== null) await mustGit("set HEAD", [...git, "symbolic-ref", "HEAD", head]);
    return { path, upstream: url, head };
  } catch (e) {
    await Deno.remove(path, { recursive: true }).catch(() => {});
    throw e;
  }
}

async function upstreamHead(path: string): Promise<string | null> {
  const r = await runGit(["--git-dir", path, "ls-remote", "--symref", "origin", "HEAD"]);
  const m = /^ref: (refs\/heads\/\S+)\tHEAD$/m.exec(r.stdout);
  if (m) return m[1]!;
  // The upstream's HEAD names no branch: take main, else master, else the first branch.
  const heads = await runGit([
    "--git-dir",
    path,
    "for-each-ref",
    "--format=%(refname)",
    "refs/heads/",
  ]);
  const names = heads.stdout.split("\n").filter(Boolean);
  return names.find((n) => n === "refs/heads/main") ??
    names.find((n) => n === "refs/heads/master") ?? names[0] ?? null;
}

/** Refreshes the mirror's branches and tags from upstream. */
export async function fetchGateRepo(root: string, name: string): Promise<void> {
  const path = existingRepoPath(root, name);
  await mustGit(`fetch "${name}"`, ["--git-dir", path, "fetch", "--prune", "--quiet", "origin"]);
}

/** One branch a run pushed and the operator has not forwarded or dropped. */
export interface PendingBranch {
  /** The gated repository. */
  repo: string;
  /** The run that pushed it. */
  run: string;
  /** The branch name (without `refs/heads/`). */
  branch: string;
  /** The pushed commit. */
  id: string;
  /** Where it waits: `refs/namespaces/<run>/refs/heads/<branch>`. */
  ref: string;
  /** Commits on it not on the mirror's default branch. */
  ahead: number;
}

const PENDING = /^refs\/namespaces\/([^/]+)\/refs\/heads\/(.+)$/;

/** The branches waiting in the gate, for one repository or all, sorted by repo, branch, run. */
export async function listPending(root: string, name?: string): Promise<PendingBranch[]> {
  const names = name === undefined ? listGateRepos(root) : [name];
  const out: PendingBranch[] = [];
  for (const repo of names) {
    const path = existingRepoPath(root, repo);
    const refs = await mustGit("list pending branches", [
      "--git-dir",
      path,
      "for-each-ref",
      "--format=%(objectname) %(refname)",
      "refs/namespaces/",
    ]);
    for (const line of refs.split("\n")) {
      const [id, ref] = line.split(" ");
      const m = ref ? PENDING.exec(ref) : null;
      if (!id || !ref || !m) continue;
      const count = await runGit(["--git-dir", path, "rev-list", "--count", id, "--not", "HEAD"]);
      out.push({
        repo,
        run: m[1]!,
        branch: m[2]!,
        id,
        ref,
        ahead: count.code === 0 ? Number(count.stdout.trim()) : 0,
      });
    }
  }
  return out.sort((a, b) =>
    a.repo.localeCompare(b.repo) || a.branch.localeCompare(b.branch) ||
    a.run.localeCompare(b.run)
  );
}

/** The one pending branch `branch` of `name` (of run `run` when several runs pushed it). */
export async function findPending(
  root: string,
  name: string,
  branch: string,
  run?: string,
): Promise<PendingBranch> {
  const all = (await listPending(root, name)).filter((p) =>
    p.branch === branch && (run === undefined || p.run === run)
  );
  if (all.length === 0) {
    throw new UserError(
      "gate_repo_missing",
      `Cannot find a pending branch "${branch}" in "${name}"${
        run ? ` from run "${run}"` : ""
      }; list them with "zu gate pending"`,
    );
  }
  if (all.length > 1) {
    throw new UserError(
      "usage",
      `Branch "${branch}" of "${name}" was pushed by several runs (${
        all.map((p) => p.run).join(", ")
      }); choose one with --run`,
    );
  }
  return all[0]!;
}

/** The log and diff of a pending branch against the mirror's default branch (no textconv, no external diff). */
export async function diffPending(
  root: string,
  name: string,
  branch: string,
  run?: string,
): Promise<{ pending: PendingBranch; log: string; diff: string }> {
  const p = await findPending(root, name, branch, run);
  const git = ["--git-dir", existingRepoPath(root, name)];
  const log = await mustGit("log the branch", [
    ...git,
    "log",
    "--no-decorate",
    "--format=%h %an: %s",
    p.id,
    "--not",
    "HEAD",
  ]);
  const base = await runGit([...git, "merge-base", "HEAD", p.id]);
  const from = base.code === 0 ? base.stdout.trim() : "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
  const diff = await mustGit("diff the branch", [
    ...git,
    "diff",
    "--no-ext-diff",
    "--no-textconv",
    "--no-color",
    "--stat",
    "--patch",
    from,
    p.id,
  ]);
  return { pending: p, log, diff };
}

/** What a forward did. */
export interface ForwardResult {
  /** The branch forwarded. */
  pending: PendingBranch;
  /** Where it went (the mirror's upstream). */
  upstream: string;
  /** The upstream branch before (null when new). */
  old: string | null;
  /** The upstream branch after. */
  new: string;
}

/**
 * Pushes a pending branch upstream under the same name with the host's credentials (never a
 * force push), refreshes the mirror and removes the quarantined ref.
 */
export async function forwardPending(
  root: string,
  name: string,
  branch: string,
  run?: string,
): Promise<ForwardResult> {
  const p = await findPending(root, name, branch, run);
  const path = existingRepoPath(root, name);
  const git = ["--git-dir", path];
  const upstream = (await mustGit("read the upstream", [...git, "config", "remote.origin.url"]))
    .trim();
  const before = await mustGit("read the upstream branch", [
    ...git,
    "ls-remote",
    "origin",
    `refs/heads/${branch}`,
  ]);
  const old = before.split("\t")[0]?.trim() || null;
  await mustGit(`forward "${branch}" to "${upstream}"`, [
    ...git,
    "push",
    "--quiet",
    "--no-verify",
    upstream,
    `${p.id}:refs/heads/${branch}`,
  ]);
  await mustGit(`fetch "${name}"`, [...git, "fetch", "--prune", "--quiet", "origin"]);
  await mustGit("clear the pending ref", [...git, "update-ref", "-d", p.ref, p.id]);
  return { pending: p, upstream, old, new: p.id };
}

/** Discards a pending branch (the pushed objects stay until git's own gc). */
export async function dropPending(
  root: string,
  name: string,
  branch: string,
  run?: string,
): Promise<PendingBranch> {
  const p = await findPending(root, name, branch, run);
  await mustGit("drop the pending ref", [
    "--git-dir",
    existingRepoPath(root, name),
    "update-ref",
    "-d",
    p.ref,
    p.id,
  ]);
  return p;
}
