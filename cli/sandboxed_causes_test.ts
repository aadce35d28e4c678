import { doesNotMatch, equal, match } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";
import { agentYaml } from "./_test_agents.ts";

const agent = agentYaml;

async function sandboxed(
  yaml: string,
  env: Record<string, string> = {},
  flags: string[] = [],
): Promise<{ code: number; err: string }> {
  const dir = await Deno.makeTempDir({ prefix: "zu_sandboxed_causes_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, yaml);
    // No Docker daemon: the model URL is judged before Docker is asked.
    const io = captureIo({
      cwd: dir,
      env: { DOCKER_HOST: `unix://${dir}/no-such-docker.sock`, ...env },
    });
    const code = await main(["run", "--sandboxed", ".", "--db", "events.db", ...flags], io);
    return { code, err: io.stderrText() };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("zu run --sandboxed with a model on 127.0.0.1 goes on to the Docker check: the host-side broker reaches it", async () => {
  const { code, err } = await sandboxed(agent(`  name: openai-compatible
  model: llama
  base_url: http://127.0.0.1:11434/v1`));
  equal(code, 2, err);
  doesNotMatch(err, /loopback/);
  match(err, /no Docker daemon answers/);
});

Deno.test("zu run --sandboxed with a localhost model URL from base_url_env goes on to the Docker check too", async () => {
  const { code, err } = await sandboxed(
    agent(`  name: openai-compatible
  model: llama
  base_url_env: LOCAL_LLM_URL`),
    { LOCAL_LLM_URL: "http://localhost:8000/v1" },
  );
  equal(code, 2, err);
  match(err, /no Docker daemon answers/);
});

Deno.test("zu run --sandboxed with a bound secret that does not resolve is exit 2 before Docker is asked", async () => {
  const { code, err } = await sandboxed(
    agent(`  name: openai-compatible
  model: gpt
  base_url: https://api.example.com/v1`),
    {},
    ["--secret", "GH=env:ZU_TEST_UNSET_VARIABLE", "--bind", "GH:inject:api.github.com"],
  );
  equal(code, 2, err);
  doesNotMatch(err, /Docker/);
  match(err, /GH|ZU_TEST_UNSET_VARIABLE/);
});

Deno.test("zu run --sandboxed with a global model host goes on to the Docker check", async () => {
  const { code, err } = await sandboxed(agent(`  name: openai-compatible
  model: gpt
  base_url: https://api.example.com/v1`));
  equal(code, 2, err);
  match(err, /no Docker daemon answers/);
});
