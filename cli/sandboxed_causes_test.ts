import { equal, match } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";
import { agentYaml } from "./_test_agents.ts";

const agent = agentYaml;

async function sandboxed(
  yaml: string,
  env: Record<string, string> = {},
): Promise<{ code: number; err: string }> {
  const dir = await Deno.makeTempDir({ prefix: "zu_sandboxed_causes_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, yaml);
    // No Docker daemon: the model URL is judged before Docker is asked.
    const io = captureIo({
      cwd: dir,
      env: { DOCKER_HOST: `unix://${dir}/no-such-docker.sock`, ...env },
    });
    const code = await main(["run", "--sandboxed", ".", "--db", "events.db"], io);
    return { code, err: io.stderrText() };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("zu run --sandboxed with a model on 127.0.0.1 says loopback is not reachable from the container and what to do", async () => {
  const { code, err } = await sandboxed(agent(`  name: openai-compatible
  model: llama
  base_url: http://127.0.0.1:11434/v1`));
  equal(code, 2, err);
  const lines = err.trim().split("\n");
  equal(lines.length, 1, err);
  match(lines[0]!, /model URL "http:\/\/127\.0\.0\.1:11434\/v1" \(base_url\) is on loopback/);
  match(lines[0]!, /not reachable from the container/);
  match(lines[0]!, /ZU_SANDBOX_HOSTS/);
});

Deno.test("zu run --sandboxed with a localhost model URL from base_url_env says the same", async () => {
  const { code, err } = await sandboxed(
    agent(`  name: openai-compatible
  model: llama
  base_url_env: LOCAL_LLM_URL`),
    { LOCAL_LLM_URL: "http://localhost:8000/v1" },
  );
  equal(code, 2, err);
  match(err, /model URL "http:\/\/localhost:8000\/v1" \(\$LOCAL_LLM_URL\) is on loopback/);
});

Deno.test("zu run --sandboxed with a global model host goes on to the Docker check", async () => {
  const { code, err } = await sandboxed(agent(`  name: openai-compatible
  model: gpt
  base_url: https://api.example.com/v1`));
  equal(code, 2, err);
  match(err, /no Docker daemon answers/);
});
