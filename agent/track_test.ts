import { deepStrictEqual, equal, notEqual, ok } from "node:assert/strict";
import { newTaskSpec } from "../core/contracts.ts";
import { newEvent } from "../core/events.ts";
import { summarizeCost } from "./cost.ts";
import { runTask } from "./loop.ts";
import { recordTrack, Track } from "./track.ts";
import { call, collectingBus, fixtureTool, plugins, RecordingProvider, say } from "./_testing.ts";

const TASK = "Find the price";

function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: (ms: number) => (waits.push(ms), Promise.resolve()) };
}

Deno.test("Track content hash ignores wait_ms and round-trips through track.json", () => {
  const a = new Track(TASK, [{ tool: "fetch", args: { url: "https://x/" }, wait_ms: 10 }]);
  const b = new Track(TASK, [{ tool: "fetch", args: { url: "https://x/" }, wait_ms: 9999 }]);
  const c = new Track(TASK, [{ tool: "fetch", args: { url: "https://y/" } }]);
  equal(a.contentHash(), b.contentHash());
  notEqual(a.contentHash(), c.contentHash());
  const parsed = Track.parse(a.toJson());
  deepStrictEqual(parsed?.toJSON(), a.toJSON());
  ok(a.matches(TASK) && !a.matches(`${TASK} `));
});

Deno.test("Track.parse and Track.load return null for invalid or missing files", async () => {
  equal(Track.parse("not json"), null);
  equal(Track.parse('{"task": "x"}'), null);
  equal(Track.parse('{"task": "x", "steps": [{"args": {}}]}'), null);
  equal(await Track.load("/nonexistent/track.json"), null);
});

Deno.test("recordTrack takes one step per invocation with waits, tiers and ctx", () => {
  const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
  const ev = (type: string, payload: Record<string, unknown>, ms: number) =>
    newEvent({ task_id: "t", type, payload }, { now: () => at(ms) });
  const events = [
    ev("harness.tool.invoked", { tool: "a", args: { q: 1 } }, 0),
    ev("harness.task.escalated", { reason: "empty", from_tier: 1, to_tier: 2 }, 100),
    ev("harness.tool.invoked", {
      tool: "b",
      args: {},
      ctx: { consequence: "read", destination: "x.example" },
    }, 1250),
  ];
  const track = recordTrack(events, TASK, "m");
  deepStrictEqual(track.toJSON(), {
    task: TASK,
    model: "m",
    steps: [
      { tool: "a", args: { q: 1 }, wait_ms: 0, tier: 1 },
      {
        tool: "b",
        args: {},
        wait_ms: 1250,
        tier: 2,
        consequence: "read",
        destination: "x.example",
      },
    ],
  });
});

Deno.test("A clean replay hands the rest of the run to the finish provider", async () => {
  const { bus, events } = collectingBus();
  const fetch = fixtureTool("fetch", (args) => ({ status: 200, html: `price 12 at ${args.url}` }));
  const track = new Track(TASK, [
    { tool: "fetch", args: { url: "https://a/" }, wait_ms: 10_000 },
    { tool: "fetch", args: { url: "https://b/" }, wait_ms: 20 },
  ]);
  const main = new RecordingProvider([]);
  const finisher = new RecordingProvider([say('{"price": 12}')], "cheap");
  const { waits, sleep } = recordingSleep();
  const result = await runTask(newTaskSpec({ query: TASK }), main, plugins([fetch]), bus, {
    track,
    finishProvider: finisher,
    sleep,
  });
  deepStrictEqual(result, { status: "success", value: { price: 12 }, reason: null });
  deepStrictEqual(waits, [3000, 20]);
  equal(main.requests.length, 0);
  equal(finisher.requests.length, 1);
  const starts = events.filter((e) => e.type === "harness.turn.started").map((e) => e.payload);
  deepStrictEqual(starts, [{ step: 1, replay: true }, { step: 2, replay: true }, { step: 1 }]);
  equal(summarizeCost(events).replay_steps, 2);
});

Deno.test("A challenge during replay hands control to the model at once", async () => {
  const { bus, events } = collectingBus();
  const fetch = fixtureTool(
    "fetch",
    (args) => ({ status: args.url === "https://a/" ? 503 : 200, html: "x" }),
  );
  const track = new Track(TASK, [
    { tool: "fetch", args: { url: "https://a/" } },
    { tool: "fetch", args: { url: "https://b/" } },
  ]);
  const main = new RecordingProvider([say("{}")]);
  const finisher = new RecordingProvider([]);
  await runTask(newTaskSpec({ query: TASK }), main, plugins([fetch]), bus, {
    track,
    finishProvider: finisher,
    sleep: recordingSleep().sleep,
  });
  equal(events.filter((e) => e.type === "harness.tool.invoked").length, 1);
  equal(main.requests.length, 1);
  equal(finisher.requests.length, 0);
});

Deno.test("Three soft misses in a row count as divergence, fewer do not", async () => {
  const soft = { action_error: "missed", action_error_kind: "soft", text: "x" };
  const run = async (pattern: boolean[]) => {
    const { bus, events } = collectingBus();
    let i = 0;
    const act = fixtureTool("act", () => (pattern[i++] ? { ...soft } : { text: "ok" }));
    const track = new Track(TASK, pattern.map(() => ({ tool: "act", args: {} })));
    const main = new RecordingProvider([say("{}")]);
    const finisher = new RecordingProvider([say("{}")]);
    await runTask(newTaskSpec({ query: TASK }), main, plugins([act]), bus, {
      track,
      finishProvider: finisher,
      sleep: recordingSleep().sleep,
    });
    return {
      invoked: events.filter((e) => e.type === "harness.tool.invoked").length,
      main,
      finisher,
    };
  };
  const diverged = await run([true, true, true, false]);
  equal(diverged.invoked, 3);
  equal(diverged.main.requests.length, 1);
  const clean = await run([true, true, false, true, true, false]);
  equal(clean.invoked, 6);
  equal(clean.finisher.requests.length, 1);
});

Deno.test("Replay climbs to a step's tier and is skipped for another task", async () => {
  const { bus, events } = collectingBus();
  const browser = fixtureTool("browser", () => ({ text: "ok" }), { tier: 2 });
  const track = new Track(TASK, [{ tool: "browser", args: {} }]);
  await runTask(
    newTaskSpec({ query: TASK }),
    new RecordingProvider([say("{}")]),
    plugins([browser]),
    bus,
    {
      track,
      sleep: recordingSleep().sleep,
    },
  );
  deepStrictEqual(events.find((e) => e.type === "harness.task.escalated")?.payload, {
    reason: "replay",
    from_tier: 1,
    to_tier: 2,
    replay: true,
  });
  const other = collectingBus();
  await runTask(
    newTaskSpec({ query: "Another task" }),
    new RecordingProvider([say("{}")]),
    plugins([browser]),
    other.bus,
    { track },
  );
  ok(!other.events.some((e) => e.type === "harness.tool.invoked"));
});

Deno.test("An unapproved track ends the run terminal with rail.unapproved", async () => {
  const { bus, events } = collectingBus();
  const track = new Track(TASK, [{ tool: "t", args: {} }]);
  const result = await runTask(
    newTaskSpec({ query: TASK }),
    new RecordingProvider([]),
    plugins([]),
    bus,
    {
      track,
      approvedRailHash: "0".repeat(64),
    },
  );
  equal(result.reason, "rail.unapproved");
  equal(events.find((e) => e.type === "harness.defense.blocked")?.payload.kind, "rail_unapproved");
  const ok2 = collectingBus();
  await runTask(
    newTaskSpec({ query: TASK }),
    new RecordingProvider([say("{}")]),
    plugins([fixtureTool("t", () => ({}))]),
    ok2.bus,
    {
      track,
      approvedRailHash: track.contentHash(),
      sleep: recordingSleep().sleep,
    },
  );
  ok(ok2.events.some((e) => e.type === "harness.rail.verified"));
});

Deno.test("A recorded run replays into the same tool calls", async () => {
  const first = collectingBus();
  const fetch = fixtureTool("fetch", () => ({ text: "price 12" }));
  await runTask(
    newTaskSpec({ query: TASK }),
    new RecordingProvider([call("fetch", { url: "https://a/" }), say('{"price": 12}')]),
    plugins([fetch]),
    first.bus,
  );
  const track = recordTrack(first.events, TASK);
  const second = collectingBus();
  const result = await runTask(
    newTaskSpec({ query: TASK }),
    new RecordingProvider([say('{"price": 12}')]),
    plugins([fetch]),
    second.bus,
    {
      track,
      sleep: recordingSleep().sleep,
    },
  );
  equal(result.status, "success");
  deepStrictEqual(
    second.events.filter((e) => e.type === "harness.tool.invoked").map((e) => e.payload.args),
    [{ url: "https://a/" }],
  );
});
