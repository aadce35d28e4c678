import assert from "node:assert/strict";
import type Dockerode from "dockerode";
import {
  containedEventLine,
  eventFromContained,
  modelHostEntry,
  SandboxLauncher,
} from "./sandbox_launcher.ts";
import { MemorySink } from "../../sinks/memory/mod.ts";
import { launcherCreateOptions, TextTail } from "./_launcher_docker.ts";
import { SandboxFloorError, seccompJsonFor } from "../../backends/docker/sandbox_floor.ts";
import { newEvent } from "../../core/events.ts";

Deno.test("eventFromContained keeps a contained event and drops its chain fields", () => {
  const e = newEvent({
    task_id: "t-1",
    type: "harness.task.started",
    payload: { q: 1 },
    source: "loop",
  });
  const forged = { ...e, prev_hash: "x", hash: "y", sig: "z" };
  const line = JSON.parse(containedEventLine(forged as typeof e));
  const back = eventFromContained(line.zu_event)!;
  assert.equal(back.event_id, e.event_id);
  assert.equal(back.ts, e.ts);
  assert.deepEqual(back.payload, { q: 1 });
  assert.equal(back.hash, null);
  assert.equal(back.prev_hash, null);
  assert.equal(back.sig, null);
});

Deno.test("eventFromContained refuses malformed events", () => {
  const good = newEvent({ task_id: "t-1", type: "harness.task.started" });
  assert.equal(eventFromContained(null), null);
  assert.equal(eventFromContained([good]), null);
  assert.equal(eventFromContained({ ...good, type: "custom.thing" }), null);
  assert.equal(eventFromContained({ ...good, event_id: 7 }), null);
  assert.equal(eventFromContained({ ...good, parent_id: 3 }), null);
  assert.equal(eventFromContained({ ...good, payload: [1] }), null);
  // Host-only facts cannot be forged from inside the box.
  assert.equal(eventFromContained({ ...good, type: "harness.egress.observed" }), null);
  assert.equal(eventFromContained({ ...good, type: "harness.host_effect.observed" }), null);
  assert.equal(eventFromContained({ ...good, source: "egress_proxy" }), null);
});

Deno.test("launcherCreateOptions keeps the sandbox floor and only adds read-only binds", () => {
  const o = launcherCreateOptions({
    name: "zu-agent-x",
    image: "zu-runtime:0.1.0",
    cmd: ["deno", "eval", "1"],
    env: { HTTP_PROXY: "http://10.0.0.2:8080" },
    runId: "run-1",
    role: "agent",
    network: "zu-net-x",
    seccomp: seccompJsonFor("block"),
    memoryBytes: 8 * 1024 ** 3,
    pids: 10_000,
    cpus: 0.5,
    binds: ["/a:/b"],
    dnsOptions: ["timeout:1"],
    extraHosts: { "origin.test": "10.0.0.2" },
  });
  const hc = o.HostConfig!;
  assert.deepEqual(hc.CapDrop, ["ALL"]);
  assert.deepEqual(hc.SecurityOpt, ["no-new-privileges", `seccomp=${seccompJsonFor("block")}`]);
  assert.equal(hc.ReadonlyRootfs, true);
  assert.equal(hc.Privileged, false);
  assert.equal(hc.Memory, 1024 ** 3);
  assert.equal(hc.PidsLimit, 256);
  assert.equal(hc.NetworkMode, "zu-net-x");
  assert.deepEqual(hc.Binds, ["/a:/b:ro"]);
  assert.deepEqual(hc.DnsOptions, ["timeout:1"]);
  assert.deepEqual(hc.ExtraHosts, ["origin.test:10.0.0.2"]);
  assert.equal(o.User, "10001:10001");
  assert.equal(o.Labels?.["zu.managed"], "1");
  assert.equal(o.Labels?.["zu.run"], "run-1");
  assert.equal(o.Labels?.["zu.role"], "agent");
  assert.equal(o.Labels?.["zu.pid"], String(Deno.pid));
  assert.deepEqual(o.Entrypoint, []);
});

Deno.test("launcherCreateOptions refuses a Docker socket bind, a file seccomp profile and a host network", () => {
  const input = {
    name: "zu-agent-x",
    image: "zu-runtime:0.1.0",
    cmd: ["true"],
    env: {},
    runId: "run-1",
    role: "agent",
    network: "zu-net-x",
    seccomp: seccompJsonFor("block"),
    memoryBytes: 1024 ** 3,
    pids: 256,
    cpus: 1,
  };
  for (
    const bad of [
      { binds: ["/var/run/docker.sock:/var/run/docker.sock"] },
      { binds: ["/:/host"] },
      { seccomp: '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}' },
      { network: "host" },
    ]
  ) {
    assert.throws(() => launcherCreateOptions({ ...input, ...bad }), SandboxFloorError);
  }
});

Deno.test("TextTail keeps only the last characters", () => {
  const t = new TextTail(5);
  t.push("abc");
  t.push("defg");
  assert.equal(t.text, "cdefg");
});

Deno.test("modelHostEntry takes a host or a base URL", () => {
  assert.equal(modelHostEntry("https://api.openai.com/v1"), "api.openai.com");
  assert.equal(modelHostEntry("http://llm.internal:8000/v1"), "llm.internal:8000");
  assert.equal(modelHostEntry("https://api.anthropic.com:443"), "api.anthropic.com");
  assert.equal(modelHostEntry("api.anthropic.com"), "api.anthropic.com");
});

Deno.test("SandboxLauncher refuses a bad request before touching Docker", async () => {
  const sink = new MemorySink();
  // A client whose every call fails the test: nothing may reach the daemon.
  const docker = new Proxy({}, {
    get: (_t, key) =>
      key === "then" ? undefined : () => {
        throw new Error("Docker was called");
      },
  }) as unknown as Dockerode;
  const base = { command: ["x"], allowlist: ["a.test"], timeoutMs: 1000 };
  await assert.rejects(
    new SandboxLauncher({ sink, docker, image: "registry.example.com/zu:1" }).run(base),
    /registry "registry\.example\.com", which is not allowed/,
  );
  const launcher = new SandboxLauncher({ sink, docker });
  await assert.rejects(launcher.run({ ...base, allowlist: ["*"] }), TypeError);
  await assert.rejects(launcher.run({ ...base, timeoutMs: 0 }), RangeError);
  const aborted = AbortSignal.abort(new Error("already cancelled"));
  await assert.rejects(launcher.run({ ...base, signal: aborted }), /already cancelled/);
  await sink.close();
});

Deno.test("SandboxLauncher reports a dead daemon in one line", async () => {
  const sink = new MemorySink();
  const mod = await import("dockerode");
  const docker = new mod.default({ socketPath: "/nonexistent/zu-test-docker.sock" });
  const launcher = new SandboxLauncher({ sink, docker });
  await assert.rejects(
    launcher.run({ command: ["x"], allowlist: [], timeoutMs: 1000 }),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, "docker_unavailable");
      assert.match(e.message, /^Cannot start sandbox run ".+": no Docker daemon answers; start it/);
      return true;
    },
  );
  await sink.close();
});
