/**
 * zu-session latency, side by side in one run on one hardened sandbox (the runtime image plus
 * busybox, so the trivial command is `true`):
 *
 * - `session.run(["true"])` through the sandbox's `zu-session` (the goal: ≤ 3 ms p50, ≤ 8 ms p99);
 * - `LocalDockerBackend.execEntrypoint` through the session (the path `exec` takes);
 * - the fallback: `execEntrypoint` over a plain exec (dockerode: create, attached start, inspect);
 * - a per-call `docker exec` (the CLI);
 * - the Python zu's exec: docker-py `container.exec_run(argv, demux=True)`, as its local backend
 *   does, run by python3 in the same run (skipped with a reason without python3 or `docker`).
 *
 * Prints p50/p99 per series and the ratios. Bounded (about 30–60 s); removes what it creates.
 *
 * Run: `deno run -A bench/session_bench.ts [--calls 300] [--slow-calls 30] [--python python3] [--json]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { LocalDockerBackend } from "../backends/docker/local_docker_backend.ts";
import { buildShellRuntimeImage } from "../backends/docker/session_shell_image.ts";

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
const RUNTIME_TAG = "zu-runtime:session-bench";
const TAG = "zu-session-sh:bench";

function pct(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

async function series(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

const PY = `
import json, sys, time
try:
    import docker
except Exception as e:
    print(json.dumps({"skip": "python3 has no docker module (%s)" % e})); sys.exit(0)
c = docker.from_env().containers.get(sys.argv[1])
n = int(sys.argv[2]); out = []
c.exec_run(["true"], demux=True)
for _ in range(n):
    t = time.perf_counter(); r = c.exec_run(["true"], demux=True); out.append((time.perf_counter() - t) * 1000)
    assert r.exit_code == 0, r
print(json.dumps({"samples": out}))
`;

async function pythonSeries(id: string): Promise<number[] | string> {
  try {
    const out = await new Deno.Command(values.python!, {
      args: ["-c", PY, id, String(SLOW)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) return `python3 failed: ${new TextDecoder().decode(out.stderr).slice(-300)}`;
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    return r.skip ?? r.samples;
  } catch (error) {
    return `cannot run ${values.python} (${error})`;
  }
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
  for (let i = 0; i < 20; i++) await session.run({ argv: ["true"] });
  add("session.run(true)", await series(CALLS, () => session.run({ argv: ["true"] })));
  add(
    "execEntrypoint via session",
    await series(CALLS, () => backend.execEntrypoint(box, ["true"])),
  );
  add(
    "execEntrypoint plain exec",
    await series(SLOW, () => backend.execEntrypoint(box, ["true"], { plainExec: true })),
  );
  add(
    "docker exec CLI",
    await series(
      SLOW,
      () =>
        new Deno.Command("docker", {
          args: ["exec", box.id, "true"],
          stdout: "null",
          stderr: "null",
        })
          .output(),
    ),
  );
  add("Python zu exec_run", await pythonSeries(box.id));
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
