import assert from "node:assert/strict";
import { toAnthropicMessages, toOpenAIMessages } from "./_messages.ts";
import type { Message } from "../../core/contracts.ts";

Deno.test("toOpenAIMessages assigns synthesised ids to the following results in order", () => {
  const msgs: Message[] = [
    { role: "user", content: "q" },
    { role: "assistant", tool_calls: [{ name: "a", args: {} }, { name: "b", args: { x: 1 } }] },
    { role: "tool", name: "a", content: "1" },
    { role: "tool", name: "b", content: "2" },
    { role: "assistant", tool_calls: [{ name: "a", args: {} }] },
    { role: "tool", name: "a", content: "3" },
    { role: "assistant", content: "done" },
  ];
  const out = toOpenAIMessages(msgs);
  assert.deepEqual(out.filter((m) => m.role === "tool").map((m) => m.tool_call_id), [
    "call_1",
    "call_2",
    "call_3",
  ]);
  assert.deepEqual(out[6], { role: "assistant", content: "done" });
});

Deno.test("Message translation refuses calls left without results", () => {
  const msgs: Message[] = [
    { role: "assistant", tool_calls: [{ name: "a", args: {} }, { name: "b", args: {} }] },
    { role: "tool", name: "a", content: "1" },
  ];
  assert.throws(() => toOpenAIMessages(msgs), /1 tool call\(s\) have no matching tool result/);
  assert.throws(() => toAnthropicMessages(msgs), TypeError);
});

Deno.test("toAnthropicMessages gives a null system when there is none", () => {
  const out = toAnthropicMessages([{ role: "user", content: "hi" }]);
  assert.deepEqual(out, { system: null, messages: [{ role: "user", content: "hi" }] });
});
