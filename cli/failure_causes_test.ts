import { equal, match, ok } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";
import { agentYaml } from "./_test_agents.ts";

const agent = agentYaml;

interface Outcome {
  code: number;
  out: Record<string, unknown>;
  err: string;
  lastEvent: { type: string; payload: Record<string, unknown> } | null;
}

async function run(yaml: string, env: Record<string, string> = {}): Promise<Outcome> {
  const dir = await Deno.makeTempDir({ prefix: "zu_failure_causes_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, yaml);
    const io = captureIo({ cwd: dir, env });
    const code = await main(["run", ".", "--db", "events.db", "--json"], io);
    let lastEvent = null;
    try {
      const db = new DatabaseSync(`${dir}/events.db`, { readOnly: true });
      try {
        const row = db.prepare("SELECT event_id FROM events ORDER BY seq DESC LIMIT 1").get() as
          | { event_id: string }
          | undefined;
        if (row) {
          const show = captureIo({ cwd: dir });
          await main(["events", "show", row.event_id, "--db", "events.db"], show);
          lastEvent = JSON.parse(show.stdoutText());
        }
      } finally {
        db.close();
      }
    } catch {
      // no event log
    }
    return { code, out: JSON.parse(io.stdoutText() || "{}"), err: io.stderrText(), lastEvent };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("zu run --json against a model that wants a key that is not set says so, in one JSON object and the last event", async () => {
  let calls = 0;
  await using api = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    calls++;
    return Response.json({ error: { message: "missing bearer" } }, { status: 401 });
  });
  const o = await run(agent(`  name: openai-compatible
  model: m
  api_key_env: MY_LLM_KEY
  base_url: http://127.0.0.1:${api.addr.port}/v1`));
  equal(o.code, 2, o.err);
  equal(calls, 1);
  equal(o.out.ok, false);
  const error = o.out.error as { code: string; message: string };
  equal(error.code, "provider_auth");
  match(error.message, /"MY_LLM_KEY" is not set/);
  equal(o.err.trim().split("\n").length, 1, o.err);
  equal(o.lastEvent?.type, "harness.task.terminal");
  equal(o.lastEvent?.payload.reason, "error:provider_auth");
  match(String(o.lastEvent?.payload.error), /"MY_LLM_KEY" is not set/);
});

Deno.test("zu run with a declared base_url_env that is unset fails with one line instead of calling the default API", async () => {
  const o = await run(agent(`  name: openai-compatible
  model: m
  base_url_env: LOCAL_LLM_URL`));
  equal(o.code, 2, o.err);
  equal(o.err.trim().split("\n").length, 1, o.err);
  match(o.err, /"LOCAL_LLM_URL" \(base_url_env\) is not set/);
  equal(o.out.ok, false);
  equal((o.out.error as { code: string }).code, "config_invalid");
  equal(o.lastEvent?.type, "harness.task.terminal");
  equal(o.lastEvent?.payload.reason, "error:config_invalid");
});

Deno.test("zu run --json of a successful run carries ok: true", async () => {
  const o = await run(`provider:
  name: scripted
  script:
    - text: '{"answer": "hi"}'
plugins:
  detectors: []
  validators: []
task:
  query: Say hello
  max_tier: 1
`);
  equal(o.code, 0, o.err);
  equal(o.out.ok, true);
  equal(o.out.status, "success");
  ok(o.lastEvent?.type === "harness.task.completed");
});

Deno.test("zu replay --json without a bundle prints the failure as a JSON object too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_failure_causes_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, agent("  name: scripted"));
    const io = captureIo({ cwd: dir });
    const code = await main(["replay", ".", "--json"], io);
    equal(code, 2, io.stderrText());
    const out = JSON.parse(io.stdoutText());
    equal(out.ok, false);
    equal(out.command, "replay");
    equal(out.exit_code, 2);
    equal(out.error.kind, "user");
    equal(typeof out.error.code, "string");
    ok(out.error.message.length > 0);
    const plain = captureIo({ cwd: dir });
    await main(["replay", "."], plain);
    equal(plain.stdoutText(), "", "without --json stdout stays empty");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
