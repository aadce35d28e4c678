import { CA_ENV_VARS } from "../../backends/egress/tls/ca_bundle.ts";
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { OPENAI_ENDPOINT } from "../../agent/providers/openai_compatible.ts";
import { MemorySink } from "../../sinks/memory/mod.ts";
import { FakeAgentLauncher } from "../../testing/fake_agent_launcher.ts";
import type { LaunchOutcome, LaunchRequest } from "../../core/types.ts";
import { UserError } from "../../core/errors.ts";
import { runSandboxed } from "./run_contained.ts";
import { checkSandboxModelUrls } from "./sandbox_model_url.ts";
import {
  agentInBox,
  brokerRoutes,
  loopbackOrigins,
  rewriteStagedAgent,
} from "./contained_broker.ts";
import { standInBroker } from "./_broker_stand_in.ts";
import type { HostSockets } from "./host_sockets.ts";
import type { LauncherWiring } from "./run_contained.ts";

const CANARY = `zu-canary-${crypto.randomUUID()}`;

const PROVIDER = {
  name: "openai-compatible",
  baseUrl: "http://127.0.0.1:5111/v1",
  apiKeyEnv: "ZU_TEST_KEY",
  endpoint: OPENAI_ENDPOINT,
};

Deno.test("brokerRoutes routes every provider with a URL and a key variable, by index", () => {
  const routes = brokerRoutes({
    agentDir: "/a",
    tools: [],
    provider: PROVIDER,
    extraProviders: [
      { name: "scripted" },
      { name: "anthropic", endpoint: { ...OPENAI_ENDPOINT, authHeader: "x-api-key" } },
    ],
  }, () => undefined);
  deepEqual(routes, [
    {
      id: "m0",
      provider: "openai-compatible",
      upstream: "http://127.0.0.1:5111/v1",
      keyEnv: "ZU_TEST_KEY",
      authHeader: "authorization",
      source: "agent",
      defaultUrl: "https://api.openai.com/v1",
    },
    {
      id: "m2",
      provider: "anthropic",
      upstream: "https://api.openai.com/v1",
      keyEnv: "OPENAI_API_KEY",
      authHeader: "x-api-key",
      source: "registry",
      defaultUrl: "https://api.openai.com/v1",
    },
  ]);
  deepEqual(loopbackOrigins(routes), ["127.0.0.1:5111"]);
  deepEqual(
    loopbackOrigins([{ ...routes[0]!, upstream: "http://localhost:8000/v1" }, {
      ...routes[0]!,
      upstream: "http://[::1]:9000",
    }]),
    ["127.0.0.1:8000", "[::1]:9000"],
  );
  const boxed = agentInBox(
    { agentDir: "/a", tools: [], provider: PROVIDER },
    new Map([["m0", "http://zu-vault/r/m0"]]),
  );
  equal(boxed.provider?.baseUrl, "http://zu-vault/r/m0");
  equal(boxed.provider?.baseUrlEnv, null);
});

Deno.test("rewriteStagedAgent points routed providers at their routes and drops keys written in the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/agent.yaml`;
    await Deno.writeTextFile(
      file,
      `provider:\n  name: openai-compatible\n  base_url_env: MY_URL\n  api_key: ${CANARY}\nproviders:\n  10:\n    name: openai\n  2:\n    name: scripted\ntask:\n  query: hi\n`,
    );
    await rewriteStagedAgent(
      file,
      new Map([["m0", "http://zu-vault/r/m0"], ["m2", "http://zu-vault/r/m2"]]),
    );
    const text = await Deno.readTextFile(file);
    ok(!text.includes(CANARY), text);
    const doc = parseYaml(text);
    deepEqual(doc.provider, { name: "openai-compatible", base_url: "http://zu-vault/r/m0" });
    deepEqual(doc.providers["2"], { name: "scripted" });
    deepEqual(doc.providers["10"], { name: "openai", base_url: "http://zu-vault/r/m2" });
    deepEqual(doc.task, { query: "hi" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkSandboxModelUrls allows a loopback model through the broker and refuses what still cannot work", () => {
  const agent = { agentDir: "/a", tools: [], provider: PROVIDER };
  throws(
    () => checkSandboxModelUrls("a", agent),
    (e) => e instanceof UserError && /loopback/.test(e.message),
  );
  checkSandboxModelUrls("a", agent, () => undefined, { brokered: true });
  // A provider the broker does not carry (no key variable) still cannot reach loopback.
  const keyless = { ...agent, provider: { name: "x", baseUrl: "http://127.0.0.1:1/v1" } };
  throws(() => checkSandboxModelUrls("a", keyless, () => undefined, { brokered: true }), UserError);
});

/** A fake launcher that looks at the staged agent and the host socket directory mid-run. */
class PeekingLauncher extends FakeAgentLauncher {
  seen: { agentYaml?: string; sockets?: HostSockets; dirMode?: number; sockUid?: number | null } =
    {};
  #wiring: LauncherWiring;
  constructor(wiring: LauncherWiring, lines: Record<string, unknown>[]) {
    super(wiring, { lines });
    this.#wiring = wiring;
  }
  override async run(request: LaunchRequest): Promise<LaunchOutcome> {
    const stage = request.binds!.find((b) => b.endsWith(":/agent"))!.split(":")[0]!;
    this.seen.agentYaml = await Deno.readTextFile(`${stage}/agent.yaml`);
    const sockets = this.#wiring.hostSockets;
    if (sockets) {
      this.seen.sockets = sockets;
      this.seen.dirMode = (await Deno.stat(sockets.dir)).mode! & 0o777;
      if (sockets.forwardHttp) {
        this.seen.sockUid = (await Deno.lstat(`${sockets.dir}/broker.sock`)).uid;
      }
    }
    return await super.run(request);
  }
}

const ANSWER = {
  zu_jail: "result",
  result: {
    result: { status: "success", value: { answer: "hi" }, reason: null },
    task: "hi",
    task_id: "t-1",
    model: "m",
    replayed_track: false,
  },
};

Deno.test("a brokered contained run hands the container the phantom and the route, never the key", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_brokered_" });
  await Deno.writeTextFile(
    `${dir}/agent.yaml`,
    "provider:\n  name: openai-compatible\n  model: m\n  base_url: http://127.0.0.1:5111/v1\n  api_key_env: ZU_TEST_KEY\ntask:\n  query: hi\n",
  );
  const hostEnv: Record<string, string> = {
    ZU_TEST_KEY: CANARY,
    OPENAI_BASE_URL: "http://127.0.0.1:5111/v1",
  };
  const broker = standInBroker((k) => hostEnv[k]);
  let launcher: PeekingLauncher | null = null;
  try {
    const run = await runSandboxed(dir, {
      sink: new MemorySink(),
      timeoutMs: 60_000,
      env: (k) => hostEnv[k],
      startBroker: broker.start,
      launcher: (w) => launcher = new PeekingLauncher(w, [ANSWER]),
    });
    equal(run.result.result.status, "success");
    const request = launcher!.requests[0]!;
    const phantom = broker.log.requests.length === 1 ? request.env!.ZU_TEST_KEY : "";
    ok(phantom?.startsWith("zu-phantom-"), JSON.stringify(request.env));
    equal(request.env!.OPENAI_BASE_URL, "http://zu-vault/r/m0");
    ok(!JSON.stringify(request).includes(CANARY), "the key is nowhere in the launch request");
    ok(!launcher!.seen.agentYaml!.includes("127.0.0.1"), launcher!.seen.agentYaml);
    ok(
      launcher!.seen.agentYaml!.includes("base_url: http://zu-vault/r/m0"),
      launcher!.seen.agentYaml,
    );
    // The jail inside grants the broker's name, the sidecar allowlists neither it nor the model.
    ok(run.perms.net.includes("zu-vault:80"), run.perms.net.join());
    ok(!run.perms.net.some((e) => e.startsWith("127.0.0.1")), run.perms.net.join());
    deepEqual(request.allowlist, []);
    // The broker was asked for the one route and may dial the loopback model.
    deepEqual(broker.log.requests[0]!.routes.map((r) => [r.id, r.upstream, r.keyEnv]), [[
      "m0",
      "http://127.0.0.1:5111/v1",
      "ZU_TEST_KEY",
    ]]);
    deepEqual(broker.log.requests[0]!.localOrigins, ["127.0.0.1:5111"]);
    // The socket directory: forwarded to by the sidecar only, never bound into the agent.
    const sockets = launcher!.seen.sockets!;
    deepEqual(sockets.forwardHttp, { "zu-vault": "broker.sock" });
    ok(!request.binds!.some((b) => b.startsWith(sockets.dir)), request.binds!.join());
    if (Deno.uid() === 0) {
      equal(launcher!.seen.dirMode, 0o700);
      equal(launcher!.seen.sockUid, 10001);
    } else equal(launcher!.seen.dirMode, 0o711);
    await rejects(Deno.stat(sockets.dir), Deno.errors.NotFound, "removed after the run");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a contained run with an interceptor mounts the CA bundle and forwards the bound hosts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_intercept_" });
  await Deno.writeTextFile(`${dir}/agent.yaml`, "provider: {name: scripted}\ntask: {query: hi}\n");
  let closed = false;
  let launcher: PeekingLauncher | null = null;
  let caText = "";
  try {
    await runSandboxed(dir, {
      sink: new MemorySink(),
      timeoutMs: 60_000,
      env: () => undefined,
      intercept: {
        hosts: ["api.bound.test", "*.other.test"],
        caBundlePem: "-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n",
        env: { GH_TOKEN: "zu_ph_GH_abcdefghijklmnopqrstuv" },
        start: ({ unixPath }) => {
          const l = Deno.listen({ transport: "unix", path: unixPath });
          return Promise.resolve({ close: () => (l.close(), closed = true, Promise.resolve()) });
        },
      },
      launcher: (w) =>
        launcher = new (class extends PeekingLauncher {
          override async run(request: LaunchRequest) {
            const ca = request.binds!.find((b) => b.endsWith(":/zu/ca.pem"))!;
            caText = await Deno.readTextFile(ca.split(":")[0]!);
            return await super.run(request);
          }
        })(w, [ANSWER]),
    });
    const request = launcher!.requests[0]!;
    for (const k of CA_ENV_VARS) equal(request.env![k], "/zu/ca.pem", k);
    equal(request.env!.GH_TOKEN, "zu_ph_GH_abcdefghijklmnopqrstuv");
    ok(request.command.some((a) => a.startsWith("--allow-env=") && a.includes("GH_TOKEN")));
    ok(caText.includes("TEST"));
    deepEqual(launcher!.seen.sockets!.forwardConnect, {
      "api.bound.test": "intercept.sock",
      "*.other.test": "intercept.sock",
    });
    ok(closed, "the interceptor was stopped");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
