/**
 * `zu run --sandboxed` on the real daemon: the jailed agent runs in the runtime container behind
 * the egress proxy; the "outside world" is an origin server in its own container on its own
 * network (the proxy joins it and lets its subnet through), and names resolve through fixed
 * answers the test sets (`ZU_SANDBOX_HOSTS`).
 */
import assert from "node:assert/strict";
import type Dockerode from "dockerode";
import { dockerTest } from "../testing/docker.ts";
import { SqliteSink } from "../sinks/sqlite/mod.ts";
import { verifyChain } from "../core/chain.ts";
import { leftovers, startTestOrigin, ZU_ROOT } from "../runner/contained/_launcher_test_util.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

/** A tool that fetches with the runtime's own fetch (through the proxy from the environment). */
const PROBE_TOOL = `
export class Probe {
  name = "probe";
  tier = 1;
  capabilities = new Set(["net"]);
  schema = {
    name: "probe",
    description: "Fetch a URL",
    parameters: { type: "object", properties: { url: { type: "string" } }, required: ["url"] },
  };
  constructor(args = {}) { this.egress = new Set(args.egress ?? []); }
  async call(_ctx, args) {
    const r = await fetch(args.url);
    return { status: r.status, text: await r.text() };
  }
}
`;

// http_fetch reaches the task's target; the probe declares rebind.test, so the jail lets it
// dial that name (the proxy then refuses it) and refuses offlist.test itself.
const AGENT_YAML = `provider:
  name: scripted
  script:
    - tool: http_fetch
      args: { url: "http://origin.test:8000/page" }
    - tool: probe
      args: { url: "http://offlist.test:8000/secret" }
    - tool: probe
      args: { url: "http://rebind.test:8000/internal" }
    - text: '{"answer": "done"}'
tiers:
  1:
    - http_fetch
    - ref: ./tools/probe.ts#Probe
      args: { egress: ["rebind.test:8000"] }
plugins:
  detectors: []
  validators: []
containment: required
budget:
  wall_time_s: 60
task:
  query: Fetch the origin's page
  target: http://origin.test:8000/
  max_tier: 1
`;

async function dockerClient(): Promise<Dockerode> {
  const mod = await import("dockerode");
  return new mod.default({ socketPath: "/var/run/docker.sock" });
}

dockerTest(
  "zu run --sandboxed runs the jailed agent in the container and its events land in the host db",
  async () => {
    const docker = await dockerClient();
    const testRun = `h14test-${crypto.randomUUID()}`;
    const origin = await startTestOrigin(docker, testRun);
    const dir = await Deno.makeTempDir({ prefix: "zu_run_sandboxed_" });
    let runId: string | undefined;
    try {
      await Deno.mkdir(`${dir}/tools`);
      await Deno.writeTextFile(`${dir}/tools/probe.ts`, PROBE_TOOL);
      await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT_YAML);
      const io = captureIo({
        cwd: dir,
        env: {
          // rebind.test is declared but answers with a private address outside allowCidrs.
          ZU_SANDBOX_HOSTS: `origin.test=${origin.ip},rebind.test=10.255.255.7`,
          ZU_SANDBOX_ALLOW_CIDRS: origin.subnet,
          ZU_SANDBOX_NETWORKS: origin.network,
          ZU_SANDBOX_SOURCE: ZU_ROOT,
          // This test pins the jail-only refusal inside the box; with live clearance on, the
          // in-box jail lets undeclared hosts reach the proxy to be held
          // (clearance_contained_integration_test.ts).
          ZU_CLEARANCE_HOLD: "off",
        },
      });
      const code = await main(["run", "--sandboxed", dir, "--db", "events.db", "--json"], io);
      const out = JSON.parse(io.stdoutText() || "{}");
      runId = out.sandbox?.run_id;
      assert.equal(code, 0, io.stderrText() + io.stdoutText());
      assert.equal(out.status, "success");
      assert.deepEqual(out.value, { answer: "done" });
      assert.deepEqual(out.sandbox.allowlist, ["origin.test:8000", "rebind.test:8000"]);

      const sink = new SqliteSink(`${dir}/events.db`);
      try {
        const events = await sink.query();
        assert.equal(events.length, out.events);
        assert.deepEqual(verifyChain(events), [], "the host's hash chain verifies");
        const types = events.map((e) => e.type);
        assert.equal(types[0], "harness.task.started");
        assert.ok(types.includes("harness.task.completed"), types.join());

        // A containment-required agent finds itself contained, corroborated by the proxy and network.
        const attested = events.find((e) => e.type === "harness.containment.attested");
        assert.deepEqual(attested?.payload, {
          policy: "required",
          sandboxed: true,
          corroborated: true,
          signals: { HTTPS_PROXY: true, ZU_SANDBOX_NETWORK: true },
        });

        // The origin's page, fetched from inside through the proxy.
        const fetched = events.filter((e) => e.type === "data.source.fetched");
        const page = fetched.find((e) => String(e.payload.url).includes("origin.test"));
        assert.ok(page, JSON.stringify(fetched.map((e) => e.payload)));
        assert.equal(page.payload.status, 200);
        assert.equal(page.payload.html, "origin ok /page host=origin.test:8000");

        // The off-allowlist host is refused inside the box by the Deno jail itself and never
        // reaches the proxy.
        const blocked = events.filter((e) => e.type === "harness.defense.blocked");
        assert.ok(
          blocked.some((e) =>
            e.payload.kind === "runtime_permission" && e.payload.target === "offlist.test:8000"
          ),
          JSON.stringify(blocked.map((e) => e.payload)),
        );
        const observed = events.filter((e) => e.type === "harness.egress.observed");
        assert.ok(observed.every((e) => e.source === "egress_proxy"));
        assert.ok(observed.every((e) => e.task_id === events[0]!.task_id));
        const decisions = observed.map((e) =>
          `${e.payload.host} ${e.payload.allowed} ${e.payload.reason}`
        );
        assert.ok(decisions.includes("origin.test true allowlisted"), decisions.join("; "));
        assert.ok(!decisions.some((d) => d.startsWith("offlist.test")), decisions.join("; "));
        // A declared name whose answer is private is refused by the proxy, visibly.
        assert.ok(
          decisions.includes("rebind.test false blocked_resolution"),
          decisions.join("; "),
        );
        assert.ok(
          out.sandbox.egress.some((d: Record<string, unknown>) =>
            d.host === "rebind.test" && d.allowed === false
          ),
        );
        const rebind = fetched.find((e) => e.source === "probe" && e.payload.status === 403);
        assert.ok(rebind, JSON.stringify(fetched.map((e) => [e.source, e.payload])));
      } finally {
        await sink.close();
      }

      // `zu events verify` agrees.
      const verifyIo = captureIo({ cwd: dir });
      assert.equal(
        await main(["events", "verify", "--db", "events.db"], verifyIo),
        0,
        verifyIo.stderrText() + verifyIo.stdoutText(),
      );
    } finally {
      await origin.close();
      await Deno.remove(dir, { recursive: true });
    }
    assert.ok(runId, "the run reported its id");
    assert.deepEqual(await leftovers(docker, runId), []);
    assert.deepEqual(await leftovers(docker, testRun), []);
  },
);

dockerTest(
  "zu run --sandboxed with the runtime image missing exits 2, says to build it, and leaves no log",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "zu_run_sandboxed_" });
    try {
      await Deno.mkdir(`${dir}/tools`);
      await Deno.writeTextFile(`${dir}/tools/probe.ts`, PROBE_TOOL);
      await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT_YAML);
      const io = captureIo({ cwd: dir, env: { ZU_SANDBOX_IMAGE: "zu-runtime:h14-missing" } });
      assert.equal(await main(["run", "--sandboxed", dir, "--db", "events.db"], io), 2);
      const lines = io.stderrText().trim().split("\n");
      assert.equal(lines.length, 1, io.stderrText());
      assert.match(
        lines[0]!,
        /^error: Cannot run ".*" sandboxed: image "zu-runtime:h14-missing" is not present locally; build it with "zu sandbox image build"$/,
      );
      await assert.rejects(Deno.lstat(`${dir}/events.db`), Deno.errors.NotFound);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
