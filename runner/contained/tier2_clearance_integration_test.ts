/**
 * Live clearance on the tier-2 tools' egress (real daemon, real images): a `DockerProxyEgress`
 * lease for one checked target, given the run's clearance socket directory, holds a request to
 * any other host on the run's desk (the host names the run), forwards it after an allow (nothing
 * at the origin before) and answers a deny with the operator's reason. A client container on the
 * lease's internal network stands in for the browser sandbox.
 */
import assert from "node:assert/strict";
import type Dockerode from "dockerode";
import { dockerTest } from "../../testing/docker.ts";
import type { ClearancePending } from "../../core/types.ts";
import { openRunClearance } from "../clearance/run_clearance.ts";
import { openClearanceSocketDir } from "./clearance_socket_dir.ts";
import {
  containerStdout,
  DockerProxyEgress,
  jsonObjectLines,
} from "../../backends/egress/docker_proxy_egress.ts";
import {
  ensureTestImage,
  leftovers,
  startTestOrigin,
  TEST_IMAGE,
  ZU_ROOT,
} from "./_launcher_test_util.ts";

const CLIENT = `
for (const url of JSON.parse(Deno.args[0])) {
  try {
    const r = await fetch(url);
    console.log(JSON.stringify({ url, status: r.status, deny: r.headers.get("x-zu-deny-reason"), body: (await r.text()).slice(0, 200) }));
  } catch (e) {
    console.log(JSON.stringify({ url, error: String(e) }));
  }
}
`;

dockerTest(
  "a tier-2 egress lease holds any host but its target on the run's desk: an allow forwards it, a deny answers 403 with the reason",
  async () => {
    const mod = await import("dockerode");
    const docker: Dockerode = new mod.default({ socketPath: "/var/run/docker.sock" });
    await ensureTestImage(docker);
    const runId = `t2c-${crypto.randomUUID()}`;
    const originSeen: string[] = [];
    const origin = await startTestOrigin(docker, runId, (l) => originSeen.push(String(l.path)));
    const clearance = await openRunClearance({ holdMs: 60_000, dbPath: null, runId: "tier2-run" });
    const waiting: ((p: ClearancePending) => void)[] = [];
    clearance.listen((r) => {
      if (r.kind === "pending") waiting.shift()?.(r.pending);
    });
    const nextPending = () => new Promise<ClearancePending>((r) => waiting.push(r));
    let dir: Awaited<ReturnType<typeof openClearanceSocketDir>> | undefined;
    let lease: Awaited<ReturnType<DockerProxyEgress["open"]>> | undefined;
    let client: Dockerode.Container | undefined;
    try {
      dir = await openClearanceSocketDir(clearance);
      const egress = new DockerProxyEgress(docker, {
        outsideNetwork: origin.network,
        allowCidrs: [origin.subnet],
        image: TEST_IMAGE,
        clearance: dir.option,
        zuSourceBind: ZU_ROOT,
      });
      lease = await egress.open({
        host: "declared.test",
        addresses: [origin.ip],
        port: 8000,
        runId,
      });
      const seenAtPending: string[][] = [];
      const operator = (async () => {
        const p1 = await nextPending();
        seenAtPending.push([...originSeen]);
        assert.equal(p1.run_id, "tier2-run", "the host names the run");
        await clearance.desk.verdict({ ...p1, action: "allow", actor: "op" });
        const p2 = await nextPending();
        await clearance.desk.verdict({ ...p2, action: "deny", actor: "op", reason: "no CDN" });
      })();
      client = await docker.createContainer({
        Image: TEST_IMAGE,
        Entrypoint: [],
        Cmd: [
          "/usr/local/bin/deno",
          "eval",
          CLIENT,
          JSON.stringify(["http://api.wild.test:8000/sub", "http://cdn.example:8000/lib.js"]),
        ],
        User: "10001:10001",
        Env: [
          "DENO_DIR=/tmp/.deno",
          "HOME=/tmp",
          "NO_COLOR=1",
          `HTTP_PROXY=${lease!.proxy}`,
          `HTTPS_PROXY=${lease!.proxy}`,
        ],
        Labels: { "zu.run": runId, "zu.managed": "1" },
        HostConfig: {
          NetworkMode: lease!.networkName,
          CapDrop: ["ALL"],
          SecurityOpt: ["no-new-privileges"],
          ReadonlyRootfs: true,
          Tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m" },
          DnsOptions: ["timeout:1", "attempts:1"],
        },
      });
      await client.start();
      await operator;
      await client.wait();
      const lines = jsonObjectLines(await containerStdout(client));
      assert.deepEqual(seenAtPending, [[]], "nothing reached the origin before the allow");
      assert.deepEqual(originSeen, ["/sub"]);
      assert.equal(lines.length, 2, JSON.stringify(lines));
      assert.equal(lines[0]!.status, 200, JSON.stringify(lines));
      assert.match(String(lines[0]!.body), /origin ok \/sub host=api\.wild\.test:8000/);
      assert.equal(lines[1]!.status, 403);
      assert.equal(lines[1]!.deny, "operator");
      assert.equal(String(lines[1]!.body).trim(), "no CDN");
      const decisions = await lease!.decisions();
      assert.ok(
        decisions.some((d) => d.host === "api.wild.test" && d.reason === "cleared"),
        JSON.stringify(decisions),
      );
    } finally {
      await client?.remove({ force: true }).catch(() => {});
      await lease?.close();
      await dir?.close();
      await clearance.close();
      await origin.close();
    }
    assert.deepEqual(await leftovers(docker, runId), []);
  },
);
