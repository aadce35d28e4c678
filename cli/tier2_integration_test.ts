/**
 * `zu run`'s path with a tier-2 tool on the real daemon: the jailed child fetches a JavaScript
 * shell with http_fetch, the js-shell detector escalates, and the child's render_dom call is
 * forwarded to the host, which renders the page in the zu-browser sandbox behind the egress proxy
 * container. The events land in the host's SQLite log; nothing is left behind.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { LocalDockerBackend } from "../backends/docker/mod.ts";
import { dockerTest } from "../testing/docker.ts";
import { DEFAULT_BROWSER_IMAGE } from "../agent/tools/browser_target.ts";
import {
  dockerClient,
  DockerProxyEgress,
  imagePresent,
  leftovers,
  startOriginWorld,
} from "../agent/tools/_browser_integration_util.ts";
import { loadAgent } from "./_agent.ts";
import { openEventLog } from "./_event_log.ts";
import { HostToolExecutor } from "../runner/host_tools.ts";
import { captureIo } from "./_io.ts";
import { permissionsFor, runJailed } from "../runner/jailed.ts";

async function browserImageMissing(): Promise<boolean> {
  try {
    const docker = await dockerClient();
    await docker.ping();
    return !(await imagePresent(docker, DEFAULT_BROWSER_IMAGE));
  } catch {
    return false; // no daemon: dockerTest reports that itself
  }
}

const missing = await browserImageMissing();
const required = Boolean(Deno.env.get("ZU_REQUIRE_BROWSER"));

function agentYaml(url: string, subnet: string): string {
  return `provider:
  name: scripted
  script:
    - tool: http_fetch
      args: { url: "${url}" }
    - tool: render_dom
      args: { url: "${url}" }
    - text: '{"price": "$42.00"}'
tiers:
  1:
    - ref: http_fetch
      args: { allow_cidrs: ["${subnet}"] }
  2:
    - ref: render_dom
      args: { allow_cidrs: ["${subnet}"], timeout_ms: 90000 }
plugins:
  detectors: [js-shell]
  validators: []
task:
  query: What does the widget cost?
  target: "${url}"
  max_tier: 2
`;
}

dockerTest(
  "zu run escalates a jailed agent to render_dom, which the host runs in the browser sandbox",
  async () => {
    if (missing) throw new Error(`Cannot run: image "${DEFAULT_BROWSER_IMAGE}" is missing`);
    const docker = await dockerClient();
    const world = await startOriginWorld(docker);
    const dir = await Deno.makeTempDir({ prefix: "zu_tier2_" });
    let traceId = "";
    try {
      const url = `http://${world.originIp}:${world.port}/app`;
      await Deno.writeTextFile(`${dir}/agent.yaml`, agentYaml(url, world.subnet));
      const io = captureIo({ cwd: dir });
      const agent = await loadAgent(io, dir);
      const { perms, dns } = await permissionsFor(io, agent, { mode: "live", resolve: true });
      const sink = await openEventLog(io, `${dir}/events.db`, {
        mustExist: false,
      });
      const host = new HostToolExecutor(agent.config, {
        env: () => undefined,
        backend: new LocalDockerBackend(),
        egress: new DockerProxyEgress(docker, world),
        allowCidrs: [world.subnet],
      });
      const calls: string[] = [];
      let run;
      try {
        run = await runJailed(io, agent, {
          mode: "live",
          perms,
          dns,
          sink,
          childOptions: { track: false },
          onToolCall: (call) => {
            calls.push(call.tool);
            return host.call(call);
          },
        });
      } finally {
        await host.close();
        await sink.close();
      }
      traceId = run.events[0]?.trace_id ?? "";
      const result = run.result["result"] as { status: string; value: unknown };
      equal(result.status, "success", JSON.stringify(run.result).slice(0, 2000));
      deepEqual(result.value, { price: "$42.00" });
      deepEqual(calls, ["render_dom"], "only the tier-2 call went to the host");
      const log = await openEventLog(io, `${dir}/events.db`, {
        mustExist: true,
      });
      try {
        const rows = (await log.query()).map((e) => ({
          type: e.type,
          payload: JSON.stringify(e.payload),
        }));
        const escalated = rows.find((r) => r.type === "harness.task.escalated");
        ok(escalated && /js-shell/.test(escalated.payload), rows.map((r) => r.type).join(","));
        ok(
          rows.some((r) => r.type === "harness.tool.returned" && /render_dom/.test(r.payload)),
          "the render is in the host's log",
        );
        ok(
          rows.some((r) => r.type === "data.source.fetched" && /Price: \$42\.00/.test(r.payload)),
          "the rendered page is logged in full",
        );
        equal(rows.length, run.events.length);
      } finally {
        await log.close();
      }
    } finally {
      await world.close();
      await Deno.remove(dir, { recursive: true });
    }
    deepEqual(await leftovers(docker, traceId || "none"), [], "nothing is left behind");
  },
  { ignore: missing && !required },
);
