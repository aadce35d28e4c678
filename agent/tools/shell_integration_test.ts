import { equal, ok, rejects } from "node:assert/strict";
import type { RunContext } from "../../core/types.ts";
import { dockerTest } from "../../testing/docker.ts";
import { RunCode } from "./run_code.ts";
import { closeRunWorkspaces } from "./sandbox_exec.ts";
import { Shell } from "./shell.ts";
import { RecordingDockerBackend, runtimeImage } from "./_shell_integration_util.ts";

const ctx = (trace: string) => ({ trace_id: trace }) as unknown as RunContext;
const evalArgv = (code: string) => ["deno", "eval", "--quiet", code];

dockerTest(
  "shell and run_code run for real in one hardened, network-less sandbox per run",
  async () => {
    const image = await runtimeImage();
    await using backend = new RecordingDockerBackend();
    const run = `shell-it-${crypto.randomUUID().slice(0, 8)}`;
    const shell = new Shell({ backend, image, maxOutputBytes: 1_000, timeoutMs: 60_000 });
    const code = new RunCode({ backend, image, timeoutMs: 60_000 });
    try {
      const hello = await shell.call(ctx(run), {
        argv: evalArgv("console.log(Deno.env.get('GREETING')); console.error('to stderr')"),
        env: { GREETING: "hello from the sandbox" },
      });
      equal(hello.exit_code, 0, JSON.stringify(hello));
      equal(hello.stdout, "hello from the sandbox\n");
      equal(hello.stderr, "to stderr\n");
      equal(hello.timed_out, false);

      const sum = await code.call(ctx(run), { language: "js", code: "console.log(6 * 7)" });
      equal(sum.stdout, "42\n", JSON.stringify(sum));
      const typed = await code.call(ctx(run), {
        language: "deno",
        code: "const n: number = 2; console.log(n ** 10)",
      });
      equal(typed.stdout, "1024\n", JSON.stringify(typed));
      equal(backend.handles.length, 1, "both tools share the run's one sandbox");
      equal(backend.specs[0]?.network, "none");

      const failed = await shell.call(ctx(run), { argv: evalArgv("Deno.exit(3)") });
      equal(failed.exit_code, 3);
      equal(failed.error, "command exited with code 3");

      // The floor holds through the tool: no network, read-only root, unprivileged user.
      const probe = await code.call(ctx(run), {
        language: "js",
        code: [
          "const out = [];",
          "try { await fetch('http://1.1.1.1/'); out.push('net:open'); } catch { out.push('net:none'); }",
          "try { Deno.writeTextFileSync('/etc/zu-probe', 'x'); out.push('root:rw'); } catch { out.push('root:ro'); }",
          "out.push('uid:' + Deno.uid());",
          "console.log(out.join(' '));",
        ].join("\n"),
      });
      const [net, root, uid] = String(probe.stdout).trim().split(" ");
      equal(net, "net:none", JSON.stringify(probe));
      equal(root, "root:ro");
      ok(uid !== "uid:0", uid);

      const big = await shell.call(ctx(run), { argv: evalArgv("console.log('a'.repeat(5000))") });
      equal(big.truncated, true);
      equal(big.stdout, "a".repeat(1_000));

      // Last: a plain exec's timeout kills the command and marks the sandbox dead.
      const slow = await code.call(ctx(run), {
        language: "js",
        code: "while (true) {}",
        timeout_ms: 3_000,
      });
      equal(slow.timed_out, true, JSON.stringify(slow));
      ok(String(slow.error).startsWith("command timed out"));
    } finally {
      await closeRunWorkspaces(run);
    }
    const gone = backend.handles[0]!;
    await rejects(backend.execEntrypoint(gone, ["deno", "--version"]));
  },
);
