// The gate is unreachable from a jailed child whose run declares no repos: the child runs under
// the exact `--allow-net`/`--deny-net` the jail computes for such an agent, tries the gate's
// real port on 127.0.0.1, and Deno refuses the connection before any byte is sent.
import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { loadAgentConfig } from "../../agent/config.ts";
import { jailAgentOf } from "../jail/jail_agent.ts";
import { computeRunPermissions } from "../jail/permission_flags.ts";
import { GitLab, makeGatedRepo } from "./gate_lab_test_util.ts";
import { openRunGate } from "./run_gate.ts";

const NO_ENV = (_: string) => undefined;

Deno.test("a jailed child of a run without repos cannot reach the gate", async () => {
  const lab = new GitLab(await Deno.makeTempDir({ prefix: "zu-gate-jail-" }));
  const root = await makeGatedRepo(lab, ["app"]);
  const gate = await openRunGate({
    root,
    run: "other-run",
    grants: [{ name: "app", access: "read", branches: [], force: false, main: false, tags: false }],
  });
  try {
    const agentDir = join(lab.dir, "agent");
    Deno.mkdirSync(agentDir);
    Deno.writeTextFileSync(
      join(agentDir, "agent.yaml"),
      "provider: {name: scripted}\nplugins: {tools: [http_fetch]}\nallowed_domains: [example.com]\ntask: {query: q, target: 'https://example.com/'}\n",
    );
    const config = await loadAgentConfig(agentDir, { env: NO_ENV });
    equal(config.repos.length, 0);
    const perms = computeRunPermissions(await jailAgentOf(config, { env: NO_ENV }), {
      mode: "live",
      env: NO_ENV,
    });
    const net = perms.flags.filter((f) =>
      f.startsWith("--allow-net") || f.startsWith("--deny-net")
    );
    ok(!net.some((f) => f.includes(new URL(gate.url).port)), net.join(" "));
    const probe = `try { await fetch(${
      JSON.stringify(`${gate.url}/app.git/info/refs?service=git-upload-pack`)
    }); console.log("reached"); } catch (e) { console.log(e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied ? "denied" : "other:" + e); }`;
    const probeFile = join(lab.dir, "probe.ts");
    Deno.writeTextFileSync(probeFile, probe);
    const probeWith = async (flags: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-prompt", "--no-config", ...flags, probeFile],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      return new TextDecoder().decode(out.stdout).trim();
    };
    // Control: with the gate's origin granted, the same probe reaches it.
    equal(await probeWith([`--allow-net=127.0.0.1:${new URL(gate.url).port}`]), "reached");
    const text = await probeWith(net);
    equal(text, "denied");
  } finally {
    await gate.close();
    await Deno.remove(lab.dir, { recursive: true });
  }
});
