/**
 * `zu sandbox`: the Docker sandbox: build the local runtime image, run a command in a hardened
 * container, remove leaked sandboxes, check the daemon.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import { dockerUnavailable } from "../core/environment_errors.ts";
import { bool, type CommandContext, type CommandDef, num, printJson, str } from "./_command.ts";
import { daemonOptions, pingDockerFailure } from "./_docker.ts";
import { snapshotCommands } from "./cmd_sandbox_snapshot.ts";
import { sandboxCost } from "./cmd_sandbox_cost.ts";

/** Refuses (exit 2, one line) when no Docker daemon answers. */
export async function requireDocker(ctx: CommandContext): Promise<void> {
  const failed = await pingDockerFailure(ctx.io);
  if (failed?.error) throw failed.error;
  if (failed) {
    throw dockerUnavailable(`run "${ctx.path.join(" ")}"`, null, { why: failed.why });
  }
}

const imageBuild: CommandDef = {
  name: "build",
  summary: "Build the runtime image locally from this machine's Deno (no registry pull)",
  flags: {
    browser: { type: "boolean", description: "Also build the browser image" },
    tag: { type: "string", description: "Image tag (default: zu-runtime:<version>)" },
    force: { type: "boolean", description: "Rebuild even when an identical image exists" },
    json: { type: "boolean", description: "Print JSON" },
  },
  run: async (ctx) => {
    await requireDocker(ctx);
    const signal = ctx.io.signal;
    const onProgress = (line: string) => {
      if (!bool(ctx, "json")) ctx.io.stderr(`${line}\n`);
    };
    const common = {
      onProgress,
      force: bool(ctx, "force"),
      ...(signal ? { signal } : {}),
      ...daemonOptions(ctx.io),
    };
    const results = [];
    const tag = str(ctx, "tag");
    if (bool(ctx, "browser")) {
      const { buildBrowserImage } = await import("../backends/docker/browser_image.ts");
      results.push(await buildBrowserImage({ ...common, ...(tag ? { tag } : {}) }));
    } else {
      const { buildRuntimeImage } = await import("../backends/docker/image_build.ts");
      results.push(await buildRuntimeImage({ ...common, ...(tag ? { tag } : {}) }));
    }
    if (bool(ctx, "json")) printJson(ctx.io, results);
    else {
      for (const r of results) {
        ctx.io.stdout(
          `${r.tag} ${r.built ? "built" : "already up to date"} (${r.hash.slice(0, 19)})\n`,
        );
      }
    }
    return 0;
  },
};

const image: CommandDef = {
  name: "image",
  summary: "Manage sandbox images",
  subcommands: [imageBuild],
};

const exec: CommandDef = {
  name: "exec",
  summary: "Run one command in a hardened, network-less sandbox and print its output",
  description:
    `The sandbox gets zu's hardening floor (all capabilities dropped, no-new-privileges, seccomp,
read-only root with a noexec /tmp, non-root user, pids/memory/CPU limits, no network) and is
removed afterwards. zu exits with the command's exit code.`,
  positionals: [{ name: "image", description: "Image to run (must pass the image policy)" }],
  passthrough: { name: "cmd", description: "The command and its arguments" },
  flags: {
    "timeout-ms": {
      type: "number",
      description: "Kill the sandbox after this many ms",
      default: 30000,
    },
    json: { type: "boolean", description: "Print the exec result as JSON" },
  },
  examples: ["zu sandbox exec zu-runtime:0.1.0 -- /usr/local/bin/deno --version"],
  run: async (ctx) => {
    if (ctx.rest.length === 0) {
      throw new UserError(
        "usage",
        `"zu sandbox exec" needs a command after "--"; see "${ctx.path.join(" ")} --help"`,
      );
    }
    await requireDocker(ctx);
    const image = ctx.positionals[0]!;
    const { imagePresent, daemonOptions } = await import("./_docker.ts");
    if (!(await imagePresent(ctx.io, image))) {
      throw new UserError(
        "image_missing",
        `Cannot start sandbox: image "${image}" is not present locally; build it with "zu sandbox image build" (no registry is pulled)`,
      );
    }
    const { LocalDockerBackend } = await import("../backends/docker/mod.ts");
    await using backend = new LocalDockerBackend(daemonOptions(ctx.io));
    const handle = await backend.launch({
      image,
      runId: `zu-exec-${crypto.randomUUID().slice(0, 8)}`,
    });
    let r;
    try {
      r = await backend.execEntrypoint(handle, ctx.rest, {
        timeoutMs: num(ctx, "timeout-ms") ?? 30000,
        ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
      });
    } finally {
      await backend.destroy(handle);
    }
    if (bool(ctx, "json")) printJson(ctx.io, r);
    else {
      ctx.io.stdout(r.stdout);
      ctx.io.stderr(r.stderr);
      if (r.timedOut) {
        ctx.io.stderr(`zu: the command was killed after ${num(ctx, "timeout-ms") ?? 30000} ms\n`);
      }
      if (r.truncated) ctx.io.stderr("zu: output was cut at the cap\n");
    }
    return r.exitCode;
  },
};

const gc: CommandDef = {
  name: "gc",
  summary:
    "Remove containers, networks, workspace volumes and snapshots that dead runs left behind",
  description:
    `Only what a dead owner left is removed. Every sandbox is labelled with its owner: host
(machine id), boot, pid namespace, user, pid and the pid's start time. An owner on this host,
boot and pid namespace is dead when its pid is gone or was reused; a sandbox from an earlier boot
of this host is dead. A sandbox whose owner this process cannot see (another host on the same
daemon, another pid namespace, another user's process hidden by /proc's hidepid) is kept:
remove it with --run or --older-than-ms. Workspace volumes go with their sandbox; workspace
snapshots (.zu/snapshots) of a dead owner go too, except those taken with "zu sandbox snapshot"
(pinned), which only --run or --older-than-ms remove.`,
  flags: {
    run: {
      type: "string",
      placeholder: "id",
      description: "Remove this run's sandboxes, even if its owner is alive",
    },
    "older-than-ms": { type: "number", description: "Also remove sandboxes older than this" },
    json: { type: "boolean", description: "Print JSON" },
  },
  run: async (ctx) => {
    await requireDocker(ctx);
    const { daemonOptions } = await import("./_docker.ts");
    const { LocalDockerBackend } = await import("../backends/docker/mod.ts");
    const { snapshotStoreAt } = await import("./cmd_sandbox_snapshot.ts");
    await using backend = new LocalDockerBackend({
      ...daemonOptions(ctx.io),
      snapshotStore: await snapshotStoreAt(ctx),
    });
    const runId = str(ctx, "run");
    const older = num(ctx, "older-than-ms");
    const report = await backend.reapLeaked({
      ...(runId ? { runId } : {}),
      ...(older !== undefined ? { olderThanMs: older } : {}),
    });
    if (bool(ctx, "json")) printJson(ctx.io, report);
    else {
      ctx.io.stdout(
        `removed ${report.containers.length} container(s), ${report.networks.length} network(s), ${report.volumes.length} workspace volume(s) and ${
          report.snapshots?.length ?? 0
        } snapshot(s)\n`,
      );
    }
    return 0;
  },
};

const doctor: CommandDef = {
  name: "doctor",
  summary: "Check the Docker daemon, the images and the seccomp profiles",
  flags: { json: { type: "boolean", description: "Print JSON" } },
  run: async (ctx) => {
    const { pingDockerFailure, dockerGet, endpointDetail, imagePresent } = await import(
      "./_docker.ts"
    );
    const { zuImages } = await import("./cmd_doctor.ts");
    const { loadSeccompProfile, SECCOMP_PROFILE_NAMES } = await import("../seccomp/mod.ts");
    const checks: { name: string; status: "ok" | "warn" | "fail"; detail: string }[] = [];
    const where = endpointDetail(ctx.io);
    if (where) checks.push({ name: "endpoint", status: "ok", detail: where });
    const why = (await pingDockerFailure(ctx.io))?.why ?? null;
    checks.push({ name: "daemon", status: why ? "fail" : "ok", detail: why ?? "answers" });
    if (!why) {
      const v = (await dockerGet(ctx.io, "/version").catch(() => null))?.body as
        | { Version?: string; ApiVersion?: string }
        | undefined;
      if (v?.Version) {
        checks.push({ name: "engine", status: "ok", detail: `${v.Version} (API ${v.ApiVersion})` });
      }
      for (const image of zuImages()) {
        const ok = await imagePresent(ctx.io, image);
        checks.push({
          name: "image",
          status: ok ? "ok" : "warn",
          detail: `${image} ${ok ? "present" : "missing"}`,
        });
      }
    }
    for (const name of SECCOMP_PROFILE_NAMES) {
      try {
        const p = await loadSeccompProfile(name);
        checks.push({
          name: "seccomp",
          status: "ok",
          detail: `profile "${name}" loads (${p.profile.syscalls?.length ?? 0} rules)`,
        });
      } catch (err) {
        checks.push({
          name: "seccomp",
          status: "fail",
          detail: `profile "${name}": ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
    const failed = checks.some((c) => c.status === "fail");
    if (bool(ctx, "json")) printJson(ctx.io, { ok: !failed, checks });
    else {for (const c of checks) {
        ctx.io.stdout(`${c.status.padEnd(4)}  ${c.name.padEnd(7)}  ${c.detail}\n`);
      }}
    if (why) {
      throw dockerUnavailable("check the sandbox", null, { why });
    }
    return failed ? 1 : 0;
  },
};
/** `zu sandbox`. */
export const sandboxCommand: CommandDef = {
  name: "sandbox",
  summary: "Docker sandbox: image build, exec, gc, doctor, workspace snapshots, cost",
  subcommands: [image, exec, gc, doctor, ...snapshotCommands, sandboxCost],
};
