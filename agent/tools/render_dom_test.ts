import assert from "node:assert/strict";
import { SecurityBlock, ZuError } from "../../core/errors.ts";
import type { RunContext } from "../../core/types.ts";
import { FakeBrowserEgress, FakeSandboxBackend } from "../../testing/fake_sandbox_backend.ts";
import { RenderDom, renderObservation } from "./render_dom.ts";

const resolver = (host: string): Promise<string[]> =>
  Promise.resolve(
    ({ "shop.test": ["93.184.216.34"], "rebind.test": ["93.184.216.34", "10.0.0.5"] } as Record<
      string,
      string[]
    >)[
      host
    ] ?? [],
  );
const ctx = { trace_id: "trace-1", spec: { task_id: "task-1" } } as unknown as RunContext;
const page = {
  status: 200,
  html: "<p>Price: $42</p>",
  url: "https://shop.test/",
  text: "Price: $42",
};

function setup(
  answer: Partial<{ exitCode: number; stdout: string; stderr: string; timedOut: boolean }> = {},
) {
  const backend = new FakeSandboxBackend({
    onExec: () => ({ stdout: JSON.stringify(page) + "\n", ...answer }),
  });
  const egress = new FakeBrowserEgress();
  const tool = new RenderDom({ backend, egress, resolver, image: "zu-browser:test" });
  return { backend, egress, tool };
}

Deno.test("RenderDom is a tier-2 tool that needs net and sandbox", () => {
  const tool = new RenderDom();
  assert.equal(tool.name, "render_dom");
  assert.equal(tool.tier, 2);
  assert.deepEqual([...tool.capabilities!].sort(), ["net", "sandbox"]);
  assert.deepEqual([...tool.egress!], ["*"]);
  assert.deepEqual((tool.schema.parameters as { required: string[] }).required, ["url"]);
});

Deno.test("RenderDom launches an isolated sandbox behind the proxy with the target allowlisted and pinned", async () => {
  const { backend, egress, tool } = setup();
  const obs = await tool.call(ctx, {
    url: "https://shop.test/item",
    wait_for: "#price",
    actions: [{ click: "text=Buy", near: "Widget" }],
    capture_network: true,
    width: 800,
  });
  assert.equal(obs["rendered"], true);
  assert.equal(obs["text"], "Price: $42");
  assert.equal(obs["blocked_egress"], undefined);
  const spec = backend.launched[0]!;
  assert.equal(spec.image, "zu-browser:test");
  assert.equal(spec.network, "isolated");
  assert.equal(spec.networkName, "zu-net-1");
  assert.equal(spec.proxy, "http://zu-proxy:8080");
  assert.deepEqual(spec.allowlist, ["shop.test"]);
  assert.deepEqual(spec.extraHosts, { "zu-proxy": "10.99.0.2", "shop.test": "93.184.216.34" });
  assert.equal(spec.runId, "trace-1");
  assert.deepEqual(egress.leases[0]!.request, {
    host: "shop.test",
    addresses: ["93.184.216.34"],
    runId: "trace-1",
  });
  const cmd = backend.execs[0]!.cmd;
  assert.deepEqual(cmd.slice(0, 2), ["zu-render", "https://shop.test/item"]);
  assert.deepEqual(cmd.slice(cmd.indexOf("--actions"), cmd.indexOf("--actions") + 2), [
    "--actions",
    '[{"click":"text=Buy","near":"Widget"}]',
  ]);
  assert.ok(cmd.includes("--capture-network"));
  assert.equal(cmd[cmd.indexOf("--wait-for") + 1], "#price");
  assert.equal(cmd[cmd.indexOf("--width") + 1], "800");
  assert.equal(backend.live(), 0, "the sandbox is destroyed");
  assert.equal(egress.live(), 0, "the proxy is closed");
});

Deno.test("RenderDom rejects stray action keys before anything starts", async () => {
  const { backend, egress, tool } = setup();
  const obs = await tool.call(ctx, {
    url: "https://shop.test/",
    actions: [{ click: "#a", script: "x" }],
  });
  assert.equal(obs["blocked"], "invalid_action");
  assert.match(String(obs["error"]), /unexpected key "script"/);
  assert.equal(backend.launched.length, 0);
  assert.equal(egress.leases.length, 0);
});

Deno.test("RenderDom refuses internal targets in any encoding and rebinding answers, launching nothing", async () => {
  const { backend, egress, tool } = setup();
  for (
    const url of [
      "http://127.0.0.1/",
      "http://2130706433/",
      "http://[::ffff:169.254.169.254]/",
      "http://rebind.test/",
    ]
  ) {
    await assert.rejects(
      tool.call(ctx, { url }),
      (e) => e instanceof SecurityBlock && e.kind === "ssrf",
      url,
    );
  }
  await assert.rejects(
    tool.call(ctx, { url: "file:///etc/passwd" }),
    (e) => e instanceof SecurityBlock && e.kind === "scheme",
  );
  assert.equal(backend.launched.length, 0);
  assert.equal(egress.leases.length, 0);
});

Deno.test("RenderDom honours allowed_domains", async () => {
  const backend = new FakeSandboxBackend();
  const tool = new RenderDom({
    backend,
    egress: new FakeBrowserEgress(),
    resolver,
    allowedDomains: ["*.example.com"],
  });
  await assert.rejects(
    tool.call(ctx, { url: "https://shop.test/" }),
    (e) => e instanceof SecurityBlock && e.kind === "off_allowlist",
  );
});

Deno.test("RenderDom records blocked_egress from the proxy's refusals", async () => {
  const backend = new FakeSandboxBackend({ onExec: () => ({ stdout: JSON.stringify(page) }) });
  const egress = new FakeBrowserEgress({
    decide: () => [
      { host: "shop.test", port: 443, allowed: true, reason: "exact" },
      { host: "evil.test", port: 80, allowed: false, reason: "not_allowlisted" },
      { host: "evil.test", port: 80, allowed: false, reason: "not_allowlisted" },
    ],
  });
  const tool = new RenderDom({ backend, egress, resolver });
  const obs = await tool.call(ctx, { url: "https://shop.test/" });
  assert.deepEqual(obs["blocked_egress"], [{
    host: "evil.test",
    port: 80,
    reason: "not_allowlisted",
  }]);
});

Deno.test("RenderDom destroys the sandbox and closes the proxy when the exec throws", async () => {
  const backend = new FakeSandboxBackend({
    onExec: () => {
      throw new Error("daemon went away");
    },
  });
  const egress = new FakeBrowserEgress();
  const tool = new RenderDom({ backend, egress, resolver });
  await assert.rejects(tool.call(ctx, { url: "https://shop.test/" }), /daemon went away/);
  assert.equal(backend.live(), 0);
  assert.equal(egress.live(), 0);
});

Deno.test("RenderDom without an egress proxy refuses unless unrestricted egress is allowed", async () => {
  const backend = new FakeSandboxBackend({ onExec: () => ({ stdout: JSON.stringify(page) }) });
  await assert.rejects(
    new RenderDom({ backend, resolver }).call(ctx, { url: "https://shop.test/" }),
    (e) => e instanceof ZuError && e.code === "egress_required",
  );
  const obs = await new RenderDom({ backend, resolver, allowUnrestrictedEgress: true }).call(ctx, {
    url: "https://shop.test/",
  });
  assert.equal(obs["status"], 200);
  assert.equal(backend.launched[0]!.network, "unrestricted");
  assert.equal(backend.launched[0]!.allowUnrestrictedEgress, true);
  await assert.rejects(
    new RenderDom({ egress: new FakeBrowserEgress(), resolver }).call(ctx, {
      url: "https://shop.test/",
    }),
    (e) => e instanceof ZuError && e.code === "sandbox_required",
  );
});

Deno.test("renderObservation maps timeouts, failures and non-JSON output to zu's shapes", () => {
  assert.deepEqual(
    renderObservation({ exitCode: 137, stdout: "", stderr: "", timedOut: true }, 45_000),
    {
      status: 504,
      html: "",
      error: "render timed out after 45s",
    },
  );
  assert.deepEqual(
    renderObservation({ exitCode: 1, stdout: "", stderr: "boom", timedOut: false }, 1),
    {
      status: 500,
      html: "",
      error: "render failed (exit 1): boom",
    },
  );
  assert.equal(
    renderObservation({ exitCode: 0, stdout: "<html>", stderr: "", timedOut: false }, 1)["raw"],
    "<html>",
  );
  assert.deepEqual(
    renderObservation({
      exitCode: 0,
      stdout: 'noise\n{"status":200}\n',
      stderr: "",
      timedOut: false,
    }, 1),
    { status: 200 },
  );
});

Deno.test("RenderDom validates viewport and wait arguments", async () => {
  const { tool } = setup();
  await assert.rejects(tool.call(ctx, { url: "https://shop.test/", width: -5 }), TypeError);
  await assert.rejects(
    tool.call(ctx, { url: "https://shop.test/", wait_until: "forever" }),
    TypeError,
  );
  await assert.rejects(tool.call(ctx, { url: "" }), TypeError);
});
