/**
 * `zu run --sandboxed` on the real daemon: the model is reached through the host-side broker
 * (the key never enters the box), which honours the operator's sandbox name pins
 * (`ZU_SANDBOX_HOSTS`) and ranges; a model host whose address is private is refused by the
 * broker, and that is reported as what it is (host, address), not as refused credentials, in
 * one line, in the `--json` result and in the run's terminal event.
 */
import assert from "node:assert/strict";
import type Dockerode from "dockerode";
import { dockerTest } from "../testing/docker.ts";
import { SqliteSink } from "../sinks/sqlite/mod.ts";
import { leftovers, ZU_ROOT } from "../runner/contained/_launcher_test_util.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const AGENT_YAML = `provider:
  name: openai-compatible
  model: m
  base_url: http://llm.test:8000/v1
plugins:
  detectors: []
  validators: []
budget:
  wall_time_s: 60
task:
  query: Say hello
  max_tier: 1
`;

dockerTest(
  "zu run --sandboxed names the broker's refusal of a private model host, not the credentials",
  async () => {
    const mod = await import("dockerode");
    const docker: Dockerode = new mod.default({ socketPath: "/var/run/docker.sock" });
    const dir = await Deno.makeTempDir({ prefix: "zu_sandboxed_causes_" });
    let runId: string | undefined;
    try {
      await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT_YAML);
      const io = captureIo({
        cwd: dir,
        env: {
          // The model's name answers with a private address no CIDR lets through.
          ZU_SANDBOX_HOSTS: "llm.test=10.255.255.9",
          ZU_SANDBOX_SOURCE: ZU_ROOT,
          OPENAI_API_KEY: "sk-test-not-a-real-key",
        },
      });
      // The operator binds the key to the model host agent.yaml names (docs/secrets.md).
      const code = await main([
        "run",
        "--sandboxed",
        dir,
        "--db",
        "events.db",
        "--json",
        "--bind",
        "OPENAI_API_KEY:route:http://llm.test:8000/v1",
      ], io);
      const err = io.stderrText().trim().split("\n").filter((l) => l.startsWith("error:"));
      assert.equal(code, 1, io.stderrText() + io.stdoutText());
      assert.equal(err.length, 1, io.stderrText());
      assert.match(
        err[0]!,
        /the model broker could not reach the upstream: Cannot reach host "llm\.test": it resolves to "10\.255\.255\.9", which is private/,
      );
      assert.doesNotMatch(err[0]!, /credentials/);
      assert.doesNotMatch(io.stderrText() + io.stdoutText(), /sk-test-not-a-real-key/);
      const out = JSON.parse(io.stdoutText());
      assert.equal(out.ok, false);
      assert.equal(out.error.code, "provider_unavailable");

      const sink = new SqliteSink(`${dir}/events.db`);
      try {
        const events = await sink.query();
        runId = events.find((e) =>
          e.type === "harness.egress.observed" || e.type === "harness.egress.credential"
        )?.payload.run_id as string | undefined;
        assert.ok(runId, "the run id is in the log");
        const terminal = events.filter((e) => e.type === "harness.task.terminal");
        assert.equal(terminal.length, 1, events.map((e) => e.type).join());
        assert.equal(terminal[0]!.payload.reason, "error:provider_unavailable");
        assert.match(String(terminal[0]!.payload.error), /Cannot reach host "llm\.test"/);
        const after = events.slice(events.indexOf(terminal[0]!) + 1);
        assert.ok(
          after.every((e) => e.type === "harness.egress.observed"),
          "only the proxy's own record may follow the terminal event",
        );
      } finally {
        await sink.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    if (runId) assert.deepEqual(await leftovers(docker, runId), []);
  },
);
