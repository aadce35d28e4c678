/**
 * Live clearance of a contained run (real daemon, real images, the real sidecar and model
 * broker): the model is a loopback server on the host; a tool in the agent container fetches
 * hosts nobody declared through the sidecar, which asks the host's desk over `clearance.sock`.
 * The first is held (a `harness.egress.pending` event, nothing at the origin) until an
 * in-process allow releases it; the second is denied with a reason the tool reads in the 403;
 * the third is held until the run's clearance is closed, which denies it at once (fail closed).
 * The same tool shows that the agent container cannot reach `clearance.sock` nor the host's
 * loopback (where `zu serve` would listen), directly or through the proxy.
 */
import assert from "node:assert/strict";
import type Dockerode from "dockerode";
import { dockerTest } from "../../testing/docker.ts";
import { startRecordingUpstream } from "../../testing/recording_upstream.ts";
import { MemorySink } from "../../sinks/memory/mod.ts";
import type { Event } from "../../core/events.ts";
import type { ClearancePending } from "../../core/types.ts";
import { openRunClearance } from "../clearance/run_clearance.ts";
import { runSandboxed } from "./run_contained.ts";
import {
  ensureTestImage,
  leftovers,
  startTestOrigin,
  TEST_IMAGE,
  ZU_ROOT,
} from "./_launcher_test_util.ts";

/** Fetches each URL in turn (through HTTPS_PROXY/HTTP_PROXY) and probes the host's doors. */
const FETCH_TOOL = `
export class Fetcher {
  constructor(args = {}) { this.egress = new Set(args.egress ?? []); }
  name = "fetcher";
  tier = 1;
  capabilities = new Set(["net"]);
  schema = { name: "fetcher", description: "fetch", parameters: { type: "object", properties: {} } };
  async call(_ctx, args) {
    const tryIt = async (f) => { try { return await f(); } catch (e) { return "refused:" + (e?.name ?? "Error") + ":" + String(e?.message ?? "").slice(0, 120); } };
    const fetched = [];
    for (const url of args.urls) {
      const t0 = performance.now();
      const r = await tryIt(async () => {
        const res = await fetch(url);
        return { status: res.status, deny: res.headers.get("x-zu-deny-reason"), body: (await res.text()).slice(0, 300) };
      });
      fetched.push({ url, ms: Math.round(performance.now() - t0), ...(typeof r === "string" ? { error: r } : r) });
    }
    const socket = await tryIt(() => Deno.connect({ transport: "unix", path: "/zu/vault/clearance.sock" }).then((c) => { c.close(); return "connected"; }));
    const vault = await tryIt(() => Deno.readDirSync("/zu/vault") && "listed");
    // NO_PROXY names 127.0.0.1: a plain fetch goes direct; the second one asks the proxy.
    const hostLoopback = await tryIt(() => fetch(args.serve_url).then((r) => r.status));
    const client = Deno.createHttpClient({ proxy: { url: Deno.env.get("HTTPS_PROXY") } });
    const viaProxy = await tryIt(() => fetch(args.serve_url, { client }).then((r) => r.status + ":" + (r.headers.get("x-zu-deny-reason") ?? "")));
    return { fetched, socket, vault, hostLoopback, viaProxy };
  }
}
`;

function agentYaml(port: number): string {
  return `provider:
  name: openai-compatible
  model: m
  base_url: http://127.0.0.1:${port}/v1
  api_key_env: ZU_TEST_MODEL_KEY
tiers:
  1:
    - ref: ./tools/fetcher.ts#Fetcher
      args: { egress: ["declared.test:8000"] }
plugins:
  detectors: []
  validators: []
budget:
  wall_time_s: 150
task:
  query: Fetch the pages
  max_tier: 1
`;
}

function completion(message: Record<string, unknown>, finish: string) {
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      id: "x",
      object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finish }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    }),
  };
}

dockerTest(
  "a contained run's request to an undeclared host is held on the host's desk, released by an allow, refused by a deny, and denied at once when the clearance closes",
  async () => {
    const mod = await import("dockerode");
    const docker: Dockerode = new mod.default({ socketPath: "/var/run/docker.sock" });
    await ensureTestImage(docker);
    const runId = `clr-${crypto.randomUUID()}`;
    const originSeen: string[] = [];
    const origin = await startTestOrigin(docker, runId, (l) => originSeen.push(String(l.path)));
    // Where `zu serve` would listen: the host's loopback.
    const serve = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response("serve"),
    );
    const urls = [
      "http://api.wild.test:8000/one",
      "http://denied.example:8000/two",
      "http://closed.example:8000/three",
    ];
    const upstream = await startRecordingUpstream({
      tls: false,
      handler: (req) => {
        const body = JSON.parse(new TextDecoder().decode(req.body));
        const toolDone = body.messages.some((m: { role: string }) => m.role === "tool");
        return toolDone ? completion({ content: '{"answer": "done"}' }, "stop") : completion({
          content: null,
          tool_calls: [{
            id: "call_1",
            type: "function",
            function: {
              name: "fetcher",
              arguments: JSON.stringify({
                urls,
                serve_url: `http://127.0.0.1:${serve.addr.port}/v1/runs`,
              }),
            },
          }],
        }, "tool_calls");
      },
    });
    const dir = await Deno.makeTempDir({ prefix: "zu_clearance_contained_" });
    const clearance = await openRunClearance({ holdMs: 60_000, dbPath: null });
    const waiting: ((p: ClearancePending) => void)[] = [];
    const pendings: ClearancePending[] = [];
    const onEvent = (e: Event) => {
      if (e.type !== "harness.egress.pending") return;
      const p = e.payload as unknown as ClearancePending;
      pendings.push(p);
      waiting.shift()?.(p);
    };
    const nextPending = () => new Promise<ClearancePending>((r) => waiting.push(r));
    const output: string[] = [];
    const seenAtPending: string[][] = [];
    try {
      await Deno.mkdir(`${dir}/tools`);
      await Deno.writeTextFile(`${dir}/tools/fetcher.ts`, FETCH_TOOL);
      await Deno.writeTextFile(`${dir}/agent.yaml`, agentYaml(upstream.port));
      const sink = new MemorySink();
      // The operator: allow the first, deny the second, close the clearance on the third.
      const operator = (async () => {
        const p1 = await nextPending();
        seenAtPending.push([...originSeen]);
        await clearance.desk.verdict({ ...p1, action: "allow", actor: "test-op" });
        const p2 = await nextPending();
        await clearance.desk.verdict({
          ...p2,
          action: "deny",
          actor: "test-op",
          reason: "not this one, try the mirror",
        });
        await nextPending();
        await clearance.close();
      })();
      const run = await runSandboxed(dir, {
        sink,
        timeoutMs: 240_000,
        env: (k) => (k === "ZU_TEST_MODEL_KEY" ? "test-key" : undefined),
        resolver: () => Promise.reject(new Error("no DNS in this test")),
        allowCidrs: [origin.subnet],
        proxyNetworks: [origin.network],
        runId,
        clearance,
        onEvent,
        zuSourceBind: ZU_ROOT,
        image: TEST_IMAGE,
        onAgentOutput: (t) => output.push(t),
        onProxyLine: (l) => output.push(JSON.stringify(l)),
        beforeTeardown: async ({ agent, proxy }) => {
          assert.ok(agent && proxy, "both containers exist");
          const agentInspect = JSON.stringify(await docker.getContainer(agent).inspect());
          const proxyInspect = JSON.stringify(await docker.getContainer(proxy).inspect());
          // The socket directory is bound into the sidecar only.
          assert.match(proxyInspect, /:\/zu\/vault:ro/);
          assert.match(proxyInspect, /--clearance/);
          assert.doesNotMatch(agentInspect, /zu_vault_|\/zu\/vault|clearance\.sock/);
        },
      });
      await operator;
      assert.equal(run.result.result.status, "success", output.join("\n"));

      // Held: a pending event for each, filed under the run's task; nothing at the origin
      // before the allow; the origin saw exactly the allowed request.
      const taskId = run.events.find((e) => e.type !== "harness.egress.observed")!.task_id;
      assert.deepEqual(pendings.map((p) => `${p.host}:${p.port}`), [
        "api.wild.test:8000",
        "denied.example:8000",
        "closed.example:8000",
      ]);
      for (const p of pendings) assert.equal(p.run_id, taskId, "the host names the run");
      assert.deepEqual(seenAtPending, [[]], "nothing reached the origin before the allow");
      assert.deepEqual(originSeen, ["/one"]);
      const inLog = run.events.filter((e) => e.type === "harness.egress.pending");
      assert.equal(inLog.length, 3);
      assert.ok(inLog.every((e) => e.task_id === taskId));

      // What the tool saw.
      const tool = run.events.map((e) => JSON.stringify(e.payload)).find((p) =>
        p.includes("viaProxy")
      );
      assert.ok(tool, "the tool's findings are in the log");
      const text = tool!;
      assert.match(text, /origin ok \/one host=api\.wild\.test:8000/);
      assert.match(text, /\\?"deny\\?":\\?"operator\\?"/);
      assert.match(text, /not this one, try the mirror/);
      assert.match(text, /\\?"deny\\?":\\?"clearance_closed\\?"/);
      // The agent container reaches neither the socket nor the host's loopback.
      assert.match(text, /\\?"socket\\?":\\?"refused:/);
      assert.match(text, /\\?"vault\\?":\\?"refused:/);
      assert.match(text, /\\?"hostLoopback\\?":\\?"refused:/);
      assert.match(text, /\\?"viaProxy\\?":\\?"(refused:|403:)/);

      // Every verdict is recorded.
      const verdicts = run.events.filter((e) => e.type === "harness.egress.clearance").map((e) =>
        `${e.payload.host}:${e.payload.decision}:${e.payload.outcome}`
      );
      assert.ok(verdicts.includes("api.wild.test:allow:forwarded"), verdicts.join());
      assert.ok(verdicts.includes("denied.example:deny:denied"), verdicts.join());
      assert.ok(verdicts.some((v) => v.startsWith("closed.example:deny")), verdicts.join());

      // The widened grants are deliberate and visible.
      assert.ok(run.outcome.proxyFlags.includes("--allow-net"), run.outcome.proxyFlags.join(" "));
      assert.ok(run.outcome.proxyFlags.some((f) => f.startsWith("--deny-net=127.0.0.0/8")));
      assert.ok(run.perms.flags.includes("--allow-net"));
      assert.ok(run.perms.explain.some((e) => e.flag === "--allow-net" && /clearance/.test(e.why)));
    } finally {
      await clearance.close();
      await upstream.close();
      await serve.shutdown();
      await origin.close();
      await Deno.remove(dir, { recursive: true });
    }
    assert.deepEqual(await leftovers(docker, runId), []);
  },
);
