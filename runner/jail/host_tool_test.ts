import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { SecurityBlock } from "../../core/errors.ts";
import type { RunContext, Tool } from "../../core/types.ts";
import type { ToolCallMessage } from "./protocol.ts";
import { hostForwardedTool, HostToolClient } from "./host_tool.ts";

function channel() {
  const sent: ToolCallMessage[] = [];
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  const writer = pipe.writable.getWriter();
  const reply = (v: unknown) => writer.write(new TextEncoder().encode(JSON.stringify(v) + "\n"));
  const client = new HostToolClient({ write: (m) => void sent.push(m), input: pipe.readable });
  return { sent, reply, client, end: () => writer.close() };
}

const stub: Tool = {
  name: "render_dom",
  tier: 2,
  schema: { name: "render_dom", description: "", parameters: {} },
  call: () => Promise.reject(new Error("the real tool must not run in the child")),
} as unknown as Tool;
const ctx = { trace_id: "t-1" } as unknown as RunContext;

Deno.test("HostToolClient matches replies to requests by id, in any order", async () => {
  const { sent, reply, client } = channel();
  const a = client.call("render_dom", { url: "http://a.test/" }, "t-1");
  const b = client.call("render_dom", { url: "http://b.test/" }, "t-1");
  deepEqual(sent.map((m) => [m.zu_jail, m.id, m.args["url"], m.trace_id]), [
    ["tool_call", 1, "http://a.test/", "t-1"],
    ["tool_call", 2, "http://b.test/", "t-1"],
  ]);
  await reply({ zu_jail: "tool_result", id: 2, observation: { which: "b" } });
  await reply({ zu_jail: "tool_result", id: 1, observation: { which: "a" } });
  equal((await a).observation?.["which"], "a");
  equal((await b).observation?.["which"], "b");
  await client.close();
});

Deno.test("A forwarded tool rethrows the host's SecurityBlock and answers prechecks locally", async () => {
  const { sent, reply, client } = channel();
  const tool = hostForwardedTool(
    stub,
    client,
    (args) => Promise.resolve(args["bad"] ? { error: "bad", blocked: "invalid_action" } : null),
  );
  equal(tool.name, "render_dom");
  deepEqual(await tool.call(ctx, { bad: true }), { error: "bad", blocked: "invalid_action" });
  equal(sent.length, 0, "a local answer sends nothing");
  const p = tool.call(ctx, { url: "http://x.test/" });
  await Promise.resolve();
  await reply({
    zu_jail: "tool_result",
    id: 1,
    error: {
      name: "SecurityBlock",
      code: "security_block",
      kind: "ssrf",
      target: "x.test",
      message: "no",
    },
  });
  await rejects(p, (e: unknown) => {
    ok(e instanceof SecurityBlock);
    equal(e.kind, "ssrf");
    equal(e.target, "x.test");
    return true;
  });
  await client.close();
});

Deno.test("Pending calls fail with one line when the host closes the channel", async () => {
  const { client, end } = channel();
  const p = client.call("browser", { op: "read" }, "t-1");
  await end();
  const r = await p;
  equal(r.error?.code, "host_tools");
  ok(/host closed the channel/.test(r.error?.message ?? ""));
  await client.close();
});
