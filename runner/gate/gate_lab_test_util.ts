/**
 * Test fixture of the gate's tests: a temp dir with an upstream repository, a gate directory
 * holding its mirror, and a real `git` runner with no user or system config.
 *
 * @module
 */
import { join } from "node:path";
import { addGateRepo } from "./gate_repos.ts";

/** The result of a git call in a test. */
export interface Out {
  code: number;
  out: string;
}

/** A temp workspace with `git`. */
export class GitLab {
  constructor(readonly dir: string) {}

  /** Runs git in `cwd` (relative to the lab), optionally with a gate token as a header. */
  async git(args: string[], options: { cwd?: string; token?: string } = {}): Promise<Out> {
    const pre = [
      "-c",
      "user.email=agent@example.test",
      "-c",
      "user.name=agent",
      "-c",
      "init.defaultBranch=main",
      "-c",
      "protocol.allow=always",
    ];
    if (options.token) pre.push("-c", `http.extraHeader=Authorization: Bearer ${options.token}`);
    const o = await new Deno.Command("git", {
      args: [...pre, ...args],
      cwd: join(this.dir, options.cwd ?? "."),
      env: {
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        HOME: this.dir,
        GIT_TERMINAL_PROMPT: "0",
        GIT_ASKPASS: "/bin/false",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const d = new TextDecoder();
    return { code: o.code, out: d.decode(o.stdout) + d.decode(o.stderr) };
  }

  /** Like {@link git}, throwing on a non-zero exit. */
  async ok(args: string[], options: { cwd?: string; token?: string } = {}): Promise<string> {
    const r = await this.git(args, options);
    if (r.code !== 0) throw new Error(`git ${args.join(" ")} failed: ${r.out}`);
    return r.out;
  }

  /** Writes a file under the lab. */
  write(path: string, text: string): void {
    Deno.writeTextFileSync(join(this.dir, path), text);
  }
}

/** Makes `<dir>/upstream.git` (one commit on main) and gates it as `name` under `<dir>/gate`. */
export async function makeGatedRepo(lab: GitLab, names: string[]): Promise<string> {
  await lab.ok(["init", "-q", "seed"]);
  lab.write("seed/README.md", "hello\n");
  await lab.ok(["add", "README.md"], { cwd: "seed" });
  await lab.ok(["commit", "-qm", "initial"], { cwd: "seed" });
  await lab.ok(["clone", "-q", "--bare", "seed", "upstream.git"]);
  const root = join(lab.dir, "gate");
  for (const n of names) await addGateRepo(root, n, join(lab.dir, "upstream.git"));
  return root;
}

/**
 * Why the git image cannot be built here (one line naming the Debian packages), or null: it
 * needs the host's git with `git-remote-http` and a static busybox.
 */
export function gitImageMissing(): string | null {
  for (const path of ["/usr/bin/git", "/usr/lib/git-core/git-remote-http", "/bin/busybox"]) {
    try {
      Deno.statSync(path);
    } catch {
      return `"${path}" is missing (apt-get install git busybox-static)`;
    }
  }
  return null;
}
