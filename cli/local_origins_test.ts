import { equal, ok } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

function agentYaml(port: number, local: boolean): string {
  const url = `http://127.0.0.1:${port}/item`;
  return `provider:
  name: scripted
  script:
    - tool: http_fetch
      args: { url: "${url}" }
    - text: '{"answer": "done"}'
tiers:
  1: [http_fetch]
plugins:
  detectors: []
  validators: []
${local ? `local_origins: ["127.0.0.1:${port}"]\n` : ""}task:
  query: Read the local test page
  target: "${url}"
  max_tier: 1
`;
}

async function runAgent(port: number, local: boolean): Promise<Record<string, unknown>> {
  const dir = await Deno.makeTempDir({ prefix: "zu_local_origin_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, agentYaml(port, local));
    const io = captureIo({ cwd: dir });
    const code = await main(["run", dir, "--db", "events.db", "--json"], io);
    const out = JSON.parse(io.stdoutText() || "{}");
    return { code, out, stderr: io.stderrText() };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("zu run reaches a loopback test page only when agent.yaml lists it in local_origins", async () => {
  let hits = 0;
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    hits++;
    return new Response("<html><body><h1>local-page-ok</h1></body></html>", {
      headers: { "content-type": "text/html" },
    });
  });
  const port = server.addr.port;

  const refused = await runAgent(port, false);
  equal(hits, 0, "without local_origins nothing reaches the page");
  const text = JSON.stringify(refused.out);
  ok(/loopback/.test(text), text);
  ok(
    text.includes(`local_origins\\", e.g. \\"127.0.0.1:${port}`),
    `the refusal names the setting: ${text}`,
  );
  const blocked = (refused.out as { blocked: { kind: string; tool: string }[] }).blocked;
  equal(blocked.length, 1);
  equal(blocked[0]?.kind, "ssrf");
  equal(blocked[0]?.tool, "http_fetch");

  const allowed = await runAgent(port, true);
  equal(allowed.code, 0, String(allowed.stderr) + JSON.stringify(allowed.out));
  equal(hits, 1, "with local_origins the page is fetched once");
  const out = allowed.out as { status: string; blocked: unknown[] };
  equal(out.status, "success");
  equal(out.blocked.length, 0);
});

Deno.test("a local_origins entry that is not a loopback host:port is one config error line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_local_origin_" });
  try {
    await Deno.writeTextFile(
      `${dir}/agent.yaml`,
      agentYaml(8080, false) + `local_origins: ["localhost:8080"]\n`,
    );
    const io = captureIo({ cwd: dir });
    equal(await main(["run", dir, "--db", "events.db"], io), 2);
    const lines = io.stderrText().trim().split("\n");
    equal(lines.length, 1, io.stderrText());
    ok(/local_origins\[0\]/.test(lines[0]!), lines[0]);
    ok(/write the loopback address, e\.g\. 127\.0\.0\.1:8080/.test(lines[0]!), lines[0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
