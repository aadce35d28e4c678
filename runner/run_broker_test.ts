import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { EGRESS_CREDENTIAL, EGRESS_SECRET_ECHO } from "../core/events.ts";
import { UserError } from "../core/errors.ts";
import { loadAgentConfig } from "../agent/config.ts";
import {
  containsBytes,
  type RecordedRequest,
  startRecordingUpstream,
  type UpstreamAnswer,
} from "../testing/recording_upstream.ts";
import { runAgent } from "./run_agent.ts";
import { hostEnvResolver, startRunBroker } from "./run_broker.ts";
import { OPENAI_ENDPOINT } from "../agent/providers/openai_compatible.ts";
import { ANTHROPIC_ENDPOINT } from "../agent/providers/anthropic.ts";

const NOOP_TOOL = `
export class Noop {
  name = "noop";
  tier = 1;
  schema = { name: "noop", description: "Nothing", parameters: { type: "object", properties: {} } };
  async call() { return { ok: true }; }
}
`;

function chat(message: Record<string, unknown>, finish: string): UpstreamAnswer {
  return {
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      id: "c",
      object: "chat.completion",
      model: "m",
      choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finish }],
    }),
  };
}

function twoStepModel(accept: (auth: string | undefined) => boolean) {
  let calls = 0;
  return (r: RecordedRequest): UpstreamAnswer => {
    if (!accept(r.headers.find(([k]) => k === "authorization")?.[1])) {
      return { status: 401, body: '{"error":{"message":"bad key"}}' };
    }
    return calls++ === 0
      ? chat({
        content: null,
        tool_calls: [{ id: "t", type: "function", function: { name: "noop", arguments: "{}" } }],
      }, "tool_calls")
      : chat({ content: '{"answer": "done"}' }, "stop");
  };
}

async function agentDir(port: number, keyEnv = "ZU_TEST_MODEL_KEY"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "zu_run_broker_" });
  await Deno.mkdir(`${dir}/tools`);
  await Deno.writeTextFile(`${dir}/tools/noop.ts`, NOOP_TOOL);
  await Deno.writeTextFile(
    `${dir}/agent.yaml`,
    `provider:
  name: openai-compatible
  model: m
  api_key_env: ${keyEnv}
  base_url: http://127.0.0.1:${port}/v1
tiers:
  1:
    - ref: ./tools/noop.ts#Noop
plugins:
  detectors: []
  validators: []
task:
  query: Say done
  max_tier: 1
`,
  );
  return dir;
}

Deno.test("a jailed run resolves the key per request through the operator's resolver: a rotation applies to the next model call", async () => {
  const first = `zu-canary-${crypto.randomUUID()}`;
  const second = `zu-canary-${crypto.randomUUID()}`;
  await using up = await startRecordingUpstream({
    tls: false,
    handler: twoStepModel((a) => a === `Bearer ${first}` || a === `Bearer ${second}`),
  });
  const dir = await agentDir(up.port);
  try {
    let resolved = 0;
    const asked: string[] = [];
    const config = await loadAgentConfig(dir, { env: () => undefined });
    const run = await runAgent({ file: `${dir}/agent.yaml`, config }, {
      mode: "jailed",
      host: { env: () => undefined, stderr: () => {} },
      sink: null,
      track: false,
      secrets: {
        resolver: {
          // Call 0 is the start-up check that the key exists; then one call per model request.
          resolve: (name) => (asked.push(name), Promise.resolve(resolved++ <= 1 ? first : second)),
        },
      },
    });
    equal(run.result.status, "success");
    deepEqual(asked, ["ZU_TEST_MODEL_KEY", "ZU_TEST_MODEL_KEY", "ZU_TEST_MODEL_KEY"]);
    equal(up.requests.length, 2);
    ok(containsBytes(up.requests[0]!.raw, `Bearer ${first}`));
    ok(containsBytes(up.requests[1]!.raw, `Bearer ${second}`));
    const argv = run.outcome.argv.join(" ");
    ok(!argv.includes("ZU_TEST_MODEL_KEY"), argv);
    ok(!argv.includes(`127.0.0.1:${up.port}`), "the model's port is not granted");
    ok(!argv.includes(first) && !argv.includes(second));
    ok(!argv.includes("zu-phantom-"), "the phantom is not in the child's argv");
    match(argv, /--allow-net=127\.0\.0\.1:\d+ /);
    const uses = run.events.filter((e) => e.type === EGRESS_CREDENTIAL);
    equal(uses.length, 2);
    ok(uses.every((e) => e.task_id === run.taskId && e.source === "model_broker"));
    deepEqual(uses.map((e) => [e.payload.outcome, e.payload.status]), [
      ["routed", 200],
      ["routed", 200],
    ]);
    ok(!JSON.stringify(run.events).includes(first) && !JSON.stringify(run.events).includes(second));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the run's broker routes every provider that calls an API, keyless when the host has no key", async () => {
  const host = {
    env: (k: string) => ({ SET_KEY: "zu-canary-x", LOCAL_BASE: "http://localhost:9/v1" })[k],
  };
  await using broker = await startRunBroker(host, {
    provider: { name: "openai-compatible", apiKeyEnv: "SET_KEY", endpoint: OPENAI_ENDPOINT },
    extraProviders: [
      {
        name: "openai-compatible",
        apiKeyEnv: "UNSET_KEY",
        baseUrlEnv: "LOCAL_BASE",
        endpoint: OPENAI_ENDPOINT,
        tier: 2,
      },
      { name: "openai-compatible", baseUrlEnv: "UNSET_BASE", endpoint: OPENAI_ENDPOINT, tier: 3 },
      { name: "scripted", endpoint: { baseUrl: null, apiKeyEnv: null, baseUrlEnv: null }, tier: 4 },
      {
        name: "anthropic",
        apiKeyEnv: "SET_KEY",
        explicitKey: true,
        endpoint: ANTHROPIC_ENDPOINT,
        tier: 5,
      },
    ],
  });
  ok(broker);
  deepEqual(broker.routes.map((r) => [r.id, r.upstream, r.keyEnv]), [
    ["main", "https://api.openai.com/v1", "SET_KEY"],
    ["tier-2", "http://127.0.0.1:9/v1", "UNSET_KEY"],
    ["tier-5", "https://api.anthropic.com", null],
  ]);
  equal(broker.routes[2]!.authHeader, "x-api-key");
  deepEqual(broker.overrides.routes, {
    main: { baseUrl: `${broker.broker.url}/r/main`, keyEnv: "SET_KEY" },
    "tier-2": { baseUrl: `${broker.broker.url}/r/tier-2`, keyEnv: null },
    "tier-5": { baseUrl: `${broker.broker.url}/r/tier-5`, keyEnv: null },
  });
  equal(broker.overrides.phantom, broker.broker.phantom);
  equal(
    await startRunBroker(host, {
      provider: { name: "scripted", endpoint: OPENAI_ENDPOINT, baseUrl: null, baseUrlEnv: "NOPE" },
    }),
    null,
  );
});

Deno.test("the host-env resolver reads exactly the named variable and fails with one line when unset", async () => {
  const r = hostEnvResolver((k) => k === "A" ? "zu-canary-a" : undefined);
  equal(await r.resolve("A"), "zu-canary-a");
  await rejects(r.resolve("B"), (e) => e instanceof UserError && /"B" is not set/.test(e.message));
});

Deno.test("a model that echoes the key back reaches the jailed agent redacted, with a secret_echo event", async () => {
  const canary = `zu-canary-${crypto.randomUUID()}`;
  await using up = await startRecordingUpstream({
    tls: false,
    handler: (r) => {
      const auth = r.headers.find(([k]) => k === "authorization")?.[1] ?? "";
      if (auth !== `Bearer ${canary}`) return { status: 401, body: "{}" };
      return {
        ...chat({ content: JSON.stringify({ answer: `your key is ${auth}` }) }, "stop"),
        headers: { "content-type": "application/json", "x-echo": auth },
      };
    },
  });
  const dir = await agentDir(up.port);
  try {
    const env = (k: string) => k === "ZU_TEST_MODEL_KEY" ? canary : undefined;
    const config = await loadAgentConfig(dir, { env });
    const run = await runAgent({ file: `${dir}/agent.yaml`, config }, {
      mode: "jailed",
      host: { env, stderr: () => {} },
      sink: null,
      track: false,
    });
    equal(run.result.status, "success");
    const text = JSON.stringify(run.result) + JSON.stringify(run.events);
    ok(!text.includes(canary), "the echoed key never reached the agent or the log");
    ok(text.includes("[zu-redacted]"));
    const echoes = run.events.filter((e) => e.type === EGRESS_SECRET_ECHO);
    deepEqual(echoes.map((e) => e.payload.where).sort(), ["body", "header"]);
    ok(echoes.every((e) => e.task_id === run.taskId && e.payload.secret === "ZU_TEST_MODEL_KEY"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a route binding whose upstream is a provider's base URL names the secret that route carries", async () => {
  const canary = `zu-canary-${crypto.randomUUID()}`;
  await using up = await startRecordingUpstream({ tls: false });
  const base = `http://127.0.0.1:${up.port}/v1`;
  const asked: string[] = [];
  await using broker = await startRunBroker({ env: () => undefined }, {
    provider: {
      name: "openai-compatible",
      apiKeyEnv: "OPENAI_API_KEY",
      baseUrl: base,
      endpoint: OPENAI_ENDPOINT,
    },
  }, {
    secrets: {
      resolver: {
        resolve: (
          n,
        ) => (asked.push(n),
          n === "TEAM_KEY" ? Promise.resolve(canary) : Promise.reject(new Error(n))),
      },
      bindings: [{
        secret: "TEAM_KEY",
        mode: "route",
        hosts: [`127.0.0.1:${up.port}`],
        upstream: `${base}/`,
      }],
    },
  });
  ok(broker);
  equal(
    broker.overrides.routes.main!.keyEnv,
    "OPENAI_API_KEY",
    "the child still reads its phantom there",
  );
  const r = await broker.broker.handler(
    new Request(`${broker.broker.url}/r/main/models`, {
      headers: { authorization: `Bearer ${broker.broker.phantom}` },
    }),
  );
  equal(r.status, 200);
  await r.body?.cancel();
  ok(containsBytes(up.requests[0]!.raw, `Bearer ${canary}`));
  ok(asked.every((n) => n === "TEAM_KEY"), asked.join(","));
  // An unknown bound secret is one line before anything runs.
  await rejects(
    startRunBroker({ env: () => undefined }, {
      provider: {
        name: "openai-compatible",
        apiKeyEnv: "K",
        baseUrl: base,
        endpoint: OPENAI_ENDPOINT,
      },
    }, {
      secrets: {
        resolver: {
          resolve: () => Promise.reject(new UserError("secret_unresolved", "no such secret")),
        },
        bindings: [{ secret: "GONE", mode: "route", hosts: ["x"], upstream: base }],
      },
    }),
    (e) => e instanceof UserError && e.code === "secret_unresolved",
  );
});

Deno.test("agent.yaml's base_url cannot take the operator's key to a remote host of its choosing", async () => {
  const env = (k: string) => ({ OPENAI_API_KEY: "zu-canary-op", EVIL_BASE: undefined })[k];
  const agentProvider = (baseUrl: string) => ({
    provider: {
      name: "openai-compatible",
      apiKeyEnv: "OPENAI_API_KEY",
      baseUrl,
      endpoint: OPENAI_ENDPOINT,
    },
  });
  await rejects(
    startRunBroker({ env }, agentProvider("https://collector.example/v1")),
    (e) =>
      e instanceof UserError && e.code === "network_policy" &&
      /only the operator binds a key to a host; bind it \(--bind OPENAI_API_KEY:route:https:\/\/collector\.example\/v1\)/
        .test(e.message) &&
      !e.message.includes("zu-canary-op"),
  );
  // The registry's own origin, a loopback model and a private literal are fine; so is a binding.
  for (
    const ok_ of ["https://api.openai.com/v2", "http://127.0.0.1:9/v1", "http://10.1.2.3:8000/v1"]
  ) {
    await using b = await startRunBroker({ env }, agentProvider(ok_));
    ok(b, ok_);
  }
  await using bound = await startRunBroker({ env }, agentProvider("https://collector.example/v1"), {
    secrets: {
      resolver: { resolve: () => Promise.resolve("zu-canary-op") },
      bindings: [{
        secret: "OPENAI_API_KEY",
        mode: "route",
        hosts: ["collector.example"],
        upstream: "https://collector.example/v1",
      }],
    },
  });
  ok(bound);
  // No key on the host: nothing would be sent, so the route is keyless, not an error.
  await using keyless = await startRunBroker(
    { env: () => undefined },
    agentProvider("https://collector.example/v1"),
  );
  equal(keyless!.overrides.routes.main!.keyEnv, null);
  // A base URL from zu's environment is the operator's word.
  await using fromEnv = await startRunBroker(
    {
      env: (k) =>
        ({ OPENAI_API_KEY: "zu-canary-op", OPENAI_BASE_URL: "https://collector.example/v1" })[k],
    },
    {
      provider: {
        name: "openai-compatible",
        apiKeyEnv: "OPENAI_API_KEY",
        endpoint: OPENAI_ENDPOINT,
      },
    },
  );
  equal(fromEnv!.overrides.routes.main!.keyEnv, "OPENAI_API_KEY");
});
