import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { ScriptedProvider } from "./scripted.ts";

const req = { messages: [], tools: [], params: {} };

Deno.test("ScriptedProvider plays tool and text moves, then answers with no text", async () => {
  const p = ScriptedProvider.fromMoves([
    { tool: "lookup", args: { q: "x" }, usage: { input_tokens: 3 } },
    { text: "done", finish: "length" },
    { text: "plain" },
  ]);
  equal(p.model, null);
  deepStrictEqual(await p.complete(req), {
    text: null,
    tool_calls: [{ name: "lookup", args: { q: "x" } }],
    finish: "tool_calls",
    usage: { input_tokens: 3 },
  });
  deepStrictEqual(await p.complete(req), {
    text: "done",
    tool_calls: [],
    finish: "length",
    usage: {},
  });
  equal((await p.complete(req)).finish, "stop");
  ok(p.exhausted);
  deepStrictEqual(await p.complete(req), { text: null, tool_calls: [], finish: "stop", usage: {} });
});

Deno.test("ScriptedProvider rejects an unknown move key by name", () => {
  throws(
    () => ScriptedProvider.fromMoves([{ tool: "a", text: "b" }]),
    (e: unknown) => e instanceof TypeError && e.message.includes('"text"'),
  );
  throws(
    () => ScriptedProvider.fromMoves([{ answer: 1 }]),
    (e: unknown) => e instanceof TypeError && e.message.includes('"answer"'),
  );
  throws(() => ScriptedProvider.fromMoves([{}]), TypeError);
});

Deno.test("ScriptedProvider hands out deep copies", async () => {
  const moves = [{ tool: "a", args: { nested: { n: 1 } } }, {
    tool: "a",
    args: { nested: { n: 1 } },
  }];
  const p = ScriptedProvider.fromMoves(moves);
  (moves[1]?.args.nested as { n: number }).n = 99;
  const first = await p.complete(req);
  (first.tool_calls[0]?.args.nested as { n: number }).n = 42;
  deepStrictEqual((await p.complete(req)).tool_calls[0]?.args, { nested: { n: 1 } });
});
