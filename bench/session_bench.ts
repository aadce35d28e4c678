/**
 * zu-session latency, side by side in one run on one hardened sandbox (the runtime image plus
 * busybox, so the trivial command is `true`). Every series is measured interleaved, one call of
 * each in turn, so a change of the machine's load hits all of them alike:
 *
 * - `session.run(["true"])` through the sandbox's `zu-session` (the goal: ≤ 3 ms p50, ≤ 8 ms p99);
 * - the same through a second agent in the same sandbox started with `--setsid=` a missing path,
 *   so it spawns with the forking `detached` spawn (the agent before the `zu-setsid` helper);
 * - the same through a third agent attached over dockerode's hijacked stream instead of a raw
 *   connection to the daemon's socket (the transport before);
 * - `LocalDockerBackend.execEntrypoint` through the session (the path `exec` takes);
 * - the fallback: `execEntrypoint` over a plain exec (dockerode: create, attached start, inspect);
 * - a per-call `docker exec` (the CLI);
 * - the Python zu's exec: docker-py `container.exec_run(argv, demux=True)`, as its local backend
 *   does, in one python3 process that runs one call per line it reads (skipped with a reason
 *   without python3 or its `docker` module).
 *
 * Prints p50/p99 per series and the ratios. Bounded (about 30–60 s); removes what it creates.
 * Images: `zu-runtime:<tag>` and `zu-session-sh:<tag>` built from this checkout, `<tag>` from
 * `ZU_SESSION_IMAGE_TAG` (default `session-bench`).
 *
 * Run: `deno run -A bench/session_bench.ts [--calls 300] [--slow-calls 30] [--python python3] [--json]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { LocalDockerBackend } from "../backends/docker/local_docker_backend.ts";
import { buildShellRuntimeImage } from "../backends/docker/session_shell_image.ts";
import { attachExecSession, sessionAgentCommand } from "../backends/docker/exec_session.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    calls: { type: "string", default: "300" },
    "slow-calls": { type: "string", default: "30" },
    python: { type: "string", default: Deno.env.get("ZU_PYTHON") ?? "python3" },
    json: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
const CALLS = Math.min(2000, Math.max(10, Number(values.calls)));
const SLOW = Math.min(200, Math.max(5, Number(values["slow-calls"])));
const IMAGE_TAG = Deno.env.get("ZU_SESSION_IMAGE_TAG") || "session-bench";
const RUNTIME_TAG = `zu-runtime:${IMAGE_TAG}`;
const TAG = `zu-session-sh:${IMAGE_TAG}`;

function pct(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Calls each function `n` times, one of each in turn; the samples (ms) of each. */
async function interleaved(
  n: number,
  fns: Record<string, () => Promise<unknown>>,
): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let i = 0; i < n; i++) {
    for (const [name, fn] of Object.entries(fns)) {
      const t = performance.now();
      await fn();
      out[name]!.push(performance.now() - t);
    }
  }
  return out;
}

const PY = `
import json, sys
try:
    import docker
except Exception as e:
    print(json.dumps({"skip": "python3 has no docker module (%s)" % e}), flush=True); sys.exit(0)
c = docker.from_env().containers.get(sys.argv[1])
c.exec_run(["true"], demux=True)
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    r = c.exec_run(["true"], demux=True)
    assert r.exit_code == 0, r
    print("ok", flush=True)
`;

/** One python3 process running docker-py's `exec_run` once per line it reads. */
async function pythonExec(
  id: string,
): Promise<{ call: () => Promise<void>; stop: () => Promise<void> } | string> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(values.python!, {
      args: ["-c", PY, id],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    return `cannot run ${values.python} (${error})`;
  }
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  const line = async (): Promise<string | null> => {
    for (let i = 0; i < 10_000; i++) {
      const at = buf.indexOf("\n");
      if (at >= 0) {
        const l = buf.slice(0, at);
        buf = buf.slice(at + 1);
        return l;
      }
      const { value, done } = await lines.read();
      if (done) return null;
      buf += value;
    }
    return null;
  };
  const writer = child.stdin.getWriter();
  const stop = async () => {
    await writer.close().catch(() => {});
    await lines.cancel().catch(() => {});
    await child.stderr.cancel().catch(() => {});
    await child.status;
  };
  const first = await line();
  const hello = first ? JSON.parse(first) : { skip: "python3 failed" };
  if (!hello.ready) {
    await stop();
    return hello.skip ?? "python3 failed";
  }
  const go = new TextEncoder().encode("go\n");
  return {
    call: async () => {
      await writer.write(go);
      if ((await line()) !== "ok") throw new Error("docker-py exec_run failed");
    },
    stop,
  };
}

const image = await buildShellRuntimeImage({ runtimeTag: RUNTIME_TAG, tag: TAG });
const rows: Array<
  { name: string; p50: number; p99: number; n: number } | { name: string; skip: string }
> = [];
const add = (name: string, s: number[] | string) =>
  rows.push(
    typeof s === "string"
      ? { name, skip: s }
      : { name, p50: pct(s, 50), p99: pct(s, 99), n: s.length },
  );
{
  await using backend = new LocalDockerBackend();
  await using box = await backend.launch({
    image,
    runId: `bench-session-${crypto.randomUUID().slice(0, 8)}`,
  });
  const session = await backend.session(box);
  const docker = await backend.client();
  // A second agent in the same sandbox that cannot find the helper: the forking spawn.
  const forking = await attachExecSession(docker.getContainer(box.id), {
    command: [...sessionAgentCommand(), "--setsid=/nonexistent/zu-setsid"],
  });
  const viaDockerode = await attachExecSession(docker.getContainer(box.id), {
    transport: "dockerode",
  });
  for (let i = 0; i < 20; i++) {
    await session.run({ argv: ["true"] });
    await forking.run({ argv: ["true"] });
    await viaDockerode.run({ argv: ["true"] });
  }
  const fast = await interleaved(CALLS, {
    "session.run(true)": () => session.run({ argv: ["true"] }),
    "session, forking spawn": () => forking.run({ argv: ["true"] }),
    "session, dockerode stream": () => viaDockerode.run({ argv: ["true"] }),
    "execEntrypoint via session": () => backend.execEntrypoint(box, ["true"]),
  });
  await forking.close();
  await viaDockerode.close();
  const py = await pythonExec(box.id);
  const slow = await interleaved(SLOW, {
    "execEntrypoint plain exec": () => backend.execEntrypoint(box, ["true"], { plainExec: true }),
    "docker exec CLI": () =>
      new Deno.Command("docker", {
        args: ["exec", box.id, "true"],
        stdout: "null",
        stderr: "null",
      }).output(),
    ...(typeof py === "string" ? {} : { "Python zu exec_run": py.call }),
  });
  if (typeof py !== "string") await py.stop();
  for (const [name, samples] of Object.entries({ ...fast, ...slow })) add(name, samples);
  if (typeof py === "string") add("Python zu exec_run", py);
}
if (!values.keep) {
  const docker = await new LocalDockerBackend().client();
  for (const tag of [TAG, RUNTIME_TAG]) {
    await docker.getImage(tag).remove({ force: true }).catch(() => {});
  }
}
const by = (name: string) =>
  rows.find((r) => r.name === name && "p50" in r) as { p50: number; p99: number } | undefined;
const ratio = (a: string, b: string) => {
  const x = by(a), y = by(b);
  return x && y
    ? `${(x.p50 / y.p50).toFixed(3)}x p50, ${(x.p99 / y.p99).toFixed(3)}x p99`
    : "not measured";
};
const ratios = {
  "session / docker exec CLI": ratio("session.run(true)", "docker exec CLI"),
  "session / session with forking spawn": ratio("session.run(true)", "session, forking spawn"),
  "session / session on dockerode stream": ratio("session.run(true)", "session, dockerode stream"),
  "session / Python zu": ratio("session.run(true)", "Python zu exec_run"),
  "execEntrypoint via session / Python zu": ratio(
    "execEntrypoint via session",
    "Python zu exec_run",
  ),
  "fallback plain exec / Python zu": ratio("execEntrypoint plain exec", "Python zu exec_run"),
};
if (values.json) console.log(JSON.stringify({ rows, ratios, loadavg: Deno.loadavg() }));
else {
  console.log(`load ${Deno.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  for (const r of rows) {
    console.log(
      "skip" in r
        ? `${r.name.padEnd(30)} skipped: ${r.skip}`
        : `${r.name.padEnd(30)} p50 ${r.p50.toFixed(2).padStart(7)} ms  p99 ${
          r.p99.toFixed(2).padStart(7)
        } ms  (n=${r.n})`,
    );
  }
  for (const [k, v] of Object.entries(ratios)) console.log(`${k.padEnd(40)} ${v}`);
  const s = by("session.run(true)");
  if (s) {
    console.log(
      `goal ≤ 3 ms p50 / ≤ 8 ms p99: ${s.p50 <= 3 && s.p99 <= 8 ? "met" : "not met"} in this run`,
    );
  }
}
