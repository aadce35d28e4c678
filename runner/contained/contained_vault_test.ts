import { deepEqual, equal, match, ok } from "node:assert/strict";
import { newEvent } from "../../core/events.ts";
import type { AgentLauncher } from "../../core/types.ts";
import { MemorySink } from "../../sinks/memory/mod.ts";
import { containsBytes, startRecordingUpstream } from "../../testing/recording_upstream.ts";
import type { BrokerReport } from "../run_broker.ts";
import { modelBrokerStarter } from "./contained_vault.ts";
import { type LauncherWiring, runSandboxed } from "./run_contained.ts";
import type { LaunchOutcome, LaunchRequest } from "./sandbox_launcher.ts";

const CANARY = `zu-canary-${crypto.randomUUID()}`;

/** One HTTP/1.1 request over a unix socket, as the sidecar sends it; the status line back. */
async function overSocket(path: string, auth: string | null): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    const body = '{"model":"m","messages":[]}';
    const head = [
      "POST /r/m0/chat/completions HTTP/1.1",
      "Host: zu-vault",
      "Content-Type: application/json",
      `Content-Length: ${body.length}`,
      "Connection: close",
      ...(auth ? [`Authorization: ${auth}`] : []),
    ].join("\r\n");
    await conn.write(new TextEncoder().encode(`${head}\r\n\r\n${body}`));
    let text = "";
    const buf = new Uint8Array(8192);
    for (let i = 0; i < 1000; i++) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text.split("\r\n")[0]!;
  } finally {
    conn.close();
  }
}

Deno.test("the contained broker factory serves the routes on the unix socket with the operator's resolver and reports each use", async () => {
  await using up = await startRecordingUpstream({
    tls: false,
    handler: (r) => ({
      status: r.headers.some(([k, v]) => k === "authorization" && v === `Bearer ${CANARY}`)
        ? 200
        : 401,
      body: "{}",
    }),
  });
  const dir = await Deno.makeTempDir({ prefix: "zu_contained_vault_" });
  const reports: [string, BrokerReport][] = [];
  const start = modelBrokerStarter({
    env: () => undefined, // the key is not in the host env: the resolver has it
    resolver: { resolve: (n) => Promise.resolve(n === "ZU_TEST_KEY" ? CANARY : "") },
    onReport: (source, r) => reports.push([source, r]),
  });
  const broker = await start({
    routes: [{
      id: "m0",
      provider: "openai-compatible",
      upstream: `http://localhost:${up.port}/v1/`,
      keyEnv: "ZU_TEST_KEY",
      authHeader: "authorization",
    }],
    unixPath: `${dir}/broker.sock`,
    localOrigins: [`127.0.0.1:${up.port}`],
  });
  try {
    equal(broker.routeUrl("m0", "http://zu-vault"), "http://zu-vault/r/m0");
    match(await overSocket(`${dir}/broker.sock`, `Bearer ${broker.phantom}`), /^HTTP\/1\.1 200/);
    match(await overSocket(`${dir}/broker.sock`, null), /^HTTP\/1\.1 401/);
    equal(up.requests.length, 1);
    ok(containsBytes(up.requests[0]!.raw, `Bearer ${CANARY}`));
    ok(!containsBytes(up.requests[0]!.raw, broker.phantom));
    deepEqual(
      reports.map(([s, r]) => `${s}:${r.kind === "credential" ? r.use.outcome : "echo"}`),
      ["model_broker:routed", "model_broker:phantom_rejected"],
    );
    ok(!JSON.stringify(reports).includes(CANARY));
  } finally {
    await broker.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A launcher that plays the container: starts the task, then calls the broker's socket. */
class SocketLauncher implements AgentLauncher {
  requests: LaunchRequest[] = [];
  status = "";
  constructor(private wiring: LauncherWiring) {}
  async run(request: LaunchRequest): Promise<LaunchOutcome> {
    this.requests.push(request);
    await this.wiring.sink.append(newEvent({ task_id: "t-1", type: "harness.task.started" }));
    const dir = this.wiring.hostSockets!.dir;
    this.status = await overSocket(`${dir}/broker.sock`, `Bearer ${request.env!.ZU_TEST_KEY}`);
    this.wiring.onAgentLine?.({
      zu_jail: "result",
      result: {
        result: { status: "success", value: { ok: true }, reason: null },
        task: "q",
        task_id: "t-1",
        model: null,
        replayed_track: false,
      },
    });
    return {
      exitCode: 0,
      timedOut: false,
      events: 1,
      rejectedEvents: 0,
      proxyDecisions: [],
      allowlist: [...request.allowlist],
      proxyFlags: [],
      network: "zu-net-fake",
      stderr: "",
      durationMs: 0,
    };
  }
}

Deno.test("a contained run uses the real broker by default, with the operator's resolver, and stores its reports on the task", async () => {
  await using up = await startRecordingUpstream({ tls: false, handler: () => ({ body: "{}" }) });
  const dir = await Deno.makeTempDir({ prefix: "zu_contained_vault_run_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, "provider: {name: scripted}\n");
    const sink = new MemorySink();
    let launcher: SocketLauncher | null = null;
    const run = await runSandboxed(dir, {
      sink,
      timeoutMs: 60_000,
      jail: {
        agentDir: dir,
        tools: [],
        provider: {
          name: "openai-compatible",
          baseUrl: `http://127.0.0.1:${up.port}/v1`,
          apiKeyEnv: "ZU_TEST_KEY",
        },
      },
      env: () => undefined,
      secrets: {
        resolver: { resolve: () => Promise.resolve(CANARY) },
        bindings: [],
      },
      launcher: (w) => launcher = new SocketLauncher(w),
    });
    const request = launcher!.requests[0]!;
    match(request.env!.ZU_TEST_KEY!, /\S/);
    ok(!JSON.stringify(request).includes(CANARY), "the request holds no key");
    match(launcher!.status, /^HTTP\/1\.1 200/);
    ok(containsBytes(up.requests[0]!.raw, `Bearer ${CANARY}`));
    const credential = run.events.filter((e) => e.type === "harness.egress.credential");
    equal(credential.length, 1, JSON.stringify(run.events));
    equal(credential[0]!.source, "model_broker");
    equal(credential[0]!.task_id, "t-1");
    equal(credential[0]!.payload.outcome, "routed");
    equal(credential[0]!.payload.secret, "ZU_TEST_KEY");
    equal(await sink.count({ type: "harness.egress.credential" }), 1);
    ok(!JSON.stringify(run.events).includes(CANARY));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
