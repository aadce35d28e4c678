// `zu sandbox image build` through the two entries the README documents: `deno task zu` (the
// deno.json task) and the `zu` command installed with the README's `deno install -g` line. Each
// runs in a subprocess with exactly the flags the user gets, so a missing grant (run access to
// `ldd`, say) fails here. The image is built from this machine under a throwaway tag that the
// test removes; nothing is pulled.
import { deepEqual, equal, ok } from "node:assert/strict";
import { dirname } from "node:path";
import { dockerSocketPath, dockerTest } from "../testing/docker.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/** The `deno install -g` command of a Markdown file's shell blocks, continuation lines joined. */
function installCommand(markdown: string): string {
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const joined = block[1]!.replace(/\\\n\s*/g, " ");
    const line = joined.split("\n").find((l) => l.trim().startsWith("deno install -g"));
    if (line) return line.trim();
  }
  throw new Error("Cannot find the install command: no `deno install -g` line in a sh block");
}

/** The permission flags of a `deno run` / `deno install` command line, sorted. */
function permissionFlags(command: string): string[] {
  return command.split(/\s+/).filter((w) => /^--(allow|deny)-|^--no-prompt$/.test(w)).sort();
}

async function taskCommand(): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  return config.tasks.zu as string;
}

Deno.test("the README's and docs/cli.md's install commands grant what deno task zu grants", async () => {
  const task = permissionFlags(await taskCommand());
  const run = task.find((f) => f.startsWith("--allow-run="))?.slice("--allow-run=".length) ?? "";
  for (const program of ["deno", "ldd", "gcc"]) {
    ok(run.split(",").includes(program), `deno task zu lacks run access to ${program}: ${task}`);
  }
  ok(!task.some((f) => f === "-A" || f === "--allow-all"), "deno task zu must not use -A");
  for (const doc of ["README.md", "docs/cli.md"]) {
    const install = installCommand(await Deno.readTextFile(`${ROOT}/${doc}`));
    deepEqual(permissionFlags(install), task, `${doc}: ${install}`);
  }
});

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function sh(script: string, env: Record<string, string>): Promise<Ran> {
  const out = await new Deno.Command("sh", {
    args: ["-c", script],
    cwd: ROOT,
    env: { ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

function built(ran: Ran, what: string): { tag: string; built: boolean } {
  equal(ran.code, 0, `${what} exited ${ran.code}:\n${ran.stderr.slice(-2000)}`);
  const results = JSON.parse(ran.stdout) as { tag: string; built: boolean }[];
  equal(results.length, 1, ran.stdout);
  return results[0]!;
}

async function removeTag(tag: string): Promise<void> {
  const { default: Docker } = await import("dockerode");
  const docker = new Docker({ socketPath: dockerSocketPath() });
  // Untags; the layers go only when no other tag (zu-runtime:<version>, say) shares the image.
  await docker.getImage(tag).remove().catch(() => {});
}

dockerTest(
  "zu sandbox image build works from deno task zu and from the README's installed zu",
  async (t) => {
    const tag = `zu-runtime-entrytest:${crypto.randomUUID().slice(0, 8)}`;
    const home = await Deno.makeTempDir({ prefix: "zu_install_" });
    // `deno` on PATH is the Deno running this test (also when it came from npx).
    const env = {
      PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
      HOME: Deno.env.get("HOME") ?? home,
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      ...(Deno.env.get("DOCKER_HOST") ? { DOCKER_HOST: Deno.env.get("DOCKER_HOST")! } : {}),
    };
    try {
      await t.step("deno task zu sandbox image build", async () => {
        const ran = await sh(`deno task zu sandbox image build --tag ${tag} --json`, env);
        equal(built(ran, "deno task zu").tag, tag);
      });
      await t.step("the README's install command, then zu sandbox image build", async () => {
        const install = installCommand(await Deno.readTextFile(`${ROOT}/README.md`));
        const installEnv = { ...env, DENO_INSTALL_ROOT: home };
        const installed = await sh(install, installEnv);
        equal(installed.code, 0, `${install}\n${installed.stderr}`);
        const ran = await sh(`"${home}/bin/zu" sandbox image build --tag ${tag} --json`, env);
        // Same sources, same Deno: the installed zu finds the image the task built up to date
        // (it still lists the libraries with ldd to hash the content).
        const result = built(ran, "the installed zu");
        equal(result.tag, tag);
        equal(result.built, false, ran.stdout);
      });
    } finally {
      await removeTag(tag);
      await Deno.remove(home, { recursive: true });
    }
  },
);
