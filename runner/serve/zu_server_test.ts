import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { UserError } from "../../core/errors.ts";
import type { PendingSource, PendingVerdict } from "../../core/types.ts";
import { fakeLauncher } from "./fake_launcher_test_util.ts";
import { collectSse, readSse } from "./sse_test_util.ts";
import { startZuServer } from "./zu_server.ts";

const TOKEN = "test-token-0123456789abcdef";
const AUTH = { authorization: `Bearer ${TOKEN}` };

function jsonPost(body: unknown): RequestInit {
  return {
    method: "POST",
    headers: { ...AUTH, "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

Deno.test("zu serve answers health without a token and 401 for a missing or wrong token", async () => {
  const { launcher } = fakeLauncher();
  await using server = await startZuServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    token: TOKEN,
    launcher,
  });
  const health = await fetch(`${server.url}/v1/health`);
  deepEqual(await health.json(), { status: "ok", api: "v1" });
  const none = await fetch(`${server.url}/v1/runs`);
  equal(none.status, 401);
  equal(none.headers.get("www-authenticate"), 'Bearer realm="zu"');
  await none.body?.cancel();
  for (
    const auth of [
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      TOKEN,
      "Bearer ",
      "Basic abc",
    ]
  ) {
    const res = await fetch(`${server.url}/v1/runs`, { headers: { authorization: auth } });
    equal(res.status, 401, auth);
    deepEqual(await res.json(), { error: "unauthorized" });
  }
  const ok200 = await fetch(`${server.url}/v1/runs`, { headers: AUTH });
  equal(ok200.status, 200);
  deepEqual(await ok200.json(), { runs: [] });
});

Deno.test("zu serve refuses a request whose Host is not loopback (DNS rebinding)", async () => {
  const { launcher } = fakeLauncher();
  await using server = await startZuServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    token: TOKEN,
    launcher,
  });
  // fetch() will not send a forged Host header: speak HTTP/1.1 by hand, as a rebound page would.
  const ask = async (host: string): Promise<string> => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port! });
    await conn.write(new TextEncoder().encode(
      `GET /v1/runs HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`,
    ));
    const text = await new Response(conn.readable).text();
    return text.split("\r\n")[0]!;
  };
  equal(await ask("evil.example:80"), "HTTP/1.1 421 Misdirected Request");
  equal(await ask(`127.0.0.1:${server.port}`), "HTTP/1.1 200 OK");
  equal(await ask(`localhost:${server.port}`), "HTTP/1.1 200 OK");
});

Deno.test("a run started by POST streams its events in order, resumes after Last-Event-ID, and ends", async () => {
  const fake = fakeLauncher();
  await using server = await startZuServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    token: TOKEN,
    launcher: fake.launcher,
  });
  const started = await fetch(`${server.url}/v1/runs`, jsonPost({ agent: "a", task: "do it" }));
  equal(started.status, 202);
  const { run_id } = await started.json();
  const run = await fake.next();
  equal(run.request.task, "do it");
  run.emit("harness.task.started", 1);
  run.emit("data.step", 2);
  const live = await fetch(`${server.url}/v1/runs/${run_id}/events`, { headers: AUTH });
  equal(live.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const frames = readSse(live);
  const first = (await frames.next()).value!;
  equal(first.id, "1");
  equal(JSON.parse(first.data).event.type, "harness.task.started");
  equal((await frames.next()).value!.id, "2");
  run.emit("data.step", 3);
  const third = (await frames.next()).value!;
  deepEqual([third.id, JSON.parse(third.data).event.payload.n, JSON.parse(third.data).run_id], [
    "3",
    3,
    run_id,
  ]);
  run.emit("harness.task.completed", 4);
  run.finish();
  const rest = [];
  for await (const f of frames) rest.push(f);
  deepEqual(rest.map((f) => f.id ?? f.event), ["4", "end"]);
  equal(JSON.parse(rest[1]!.data).status, "completed");

  const resumed = await collectSse(
    await fetch(`${server.url}/v1/runs/${run_id}/events`, {
      headers: { ...AUTH, "last-event-id": "2" },
    }),
  );
  deepEqual(resumed.map((f) => f.id ?? f.event), ["3", "4", "end"]);
  const shown = await (await fetch(`${server.url}/v1/runs/${run_id}`, { headers: AUTH })).json();
  equal(shown.status, "completed");
  equal(shown.events, 4);
  equal(shown.result_status, "success");
  const list = await (await fetch(`${server.url}/v1/runs`, { headers: AUTH })).json();
  deepEqual(list.runs.map((r: { run_id: string }) => r.run_id), [run_id]);
});

Deno.test("POST /v1/runs refuses bad bodies, an unknown agent, and oversized bodies", async () => {
  const fake = fakeLauncher();
  await using server = await startZuServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    token: TOKEN,
    launcher: fake.launcher,
    maxBodyBytes: 1024,
  });
  const cases: [unknown, number, string][] = [
    [{}, 400, "bad_request"],
    [{ agent: 3 }, 400, "bad_request"],
    [{ agent: "missing" }, 400, "agent_not_found"],
    [{ agent: "a", pad: "x".repeat(2000) }, 413, "body_too_large"],
  ];
  for (const [body, status, error] of cases) {
    const res = await fetch(`${server.url}/v1/runs`, jsonPost(body));
    equal(res.status, status, JSON.stringify(body).slice(0, 40));
    equal((await res.json()).error, error);
  }
  deepEqual(server.runs.list(), []);
});

Deno.test("a client that disconnects from POST /v1/runs?stream=1 cancels its run", async () => {
  const fake = fakeLauncher();
  await using server = await startZuServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    token: TOKEN,
    launcher: fake.launcher,
  });
  const client = new AbortController();
  const res = await fetch(`${server.url}/v1/runs?stream=1`, {
    ...jsonPost({ agent: "a" }),
    signal: client.signal,
  });
  const frames = readSse(res);
  const hello = (await frames.next()).value!;
  equal(hello.event, "run");
  const { run_id } = JSON.parse(hello.data);
  const run = await fake.next();
  run.emit("harness.task.started", 1);
  equal((await frames.next()).value!.id, "1");
  client.abort();
  await frames.return(undefined).catch(() => {});
  await run.aborted;
  const rec = server.runs.get(run_id)!;
  await rec.done;
  equal(rec.status, "interrupted");
  equal(rec.error?.code, "interrupted");
  equal(rec.events.at(-1)?.event.type, "harness.task.terminal");
});

Deno.test("a slow global subscriber is dropped with a final overflow frame; others keep up", async () => {
  const fake = fakeLauncher();
  await using server = await startZuServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    token: TOKEN,
    launcher: fake.launcher,
    queueLimit: 5,
  });
  const slow = readSse(await fetch(`${server.url}/v1/events`, { headers: AUTH }));
  equal((await slow.next()).value!.event, "ready");
  const fast = readSse(await fetch(`${server.url}/v1/events`, { headers: AUTH }));
  equal((await fast.next()).value!.event, "ready");
  await (await fetch(`${server.url}/v1/runs`, jsonPost({ agent: "a" }))).json();
  const run = await fake.next();
  // The fast reader reads each event as it comes; the slow one reads nothing meanwhile, so
  // once the socket buffers are full its queue fills and it is dropped.
  let n = 0;
  while (server.runs.global.size === 2 && n < 2000) {
    run.emit("data.step", ++n, 64 * 1024);
    const f = (await fast.next()).value!;
    equal(JSON.parse(f.data).seq, n);
  }
  equal(server.runs.global.size, 1, "the slow subscriber was detached");
  const seen = [];
  for await (const f of slow) seen.push(f);
  ok(seen.length < n, `the slow reader lost events (${seen.length} of ${n})`);
  equal(seen.at(-1)?.event, "overflow");
  run.finish();
  await fast.return(undefined);
});

Deno.test("the pending seam validates verdicts and maps the source's answers", async () => {
  const got: [string, PendingVerdict][] = [];
  const source: PendingSource = {
    list: () =>
      Promise.resolve([{ id: "c1", kind: "clearance", run: "r1", host: "a.example", port: 443 }]),
    verdict: (id, body) => {
      got.push([id, body]);
      if (id !== "c1") return Promise.resolve({ status: 404, body: { error: "unknown_request" } });
      if (body.host !== "a.example") return Promise.resolve({ status: 409, body: null });
      return Promise.resolve({ status: 200, body: { id, action: body.action } });
    },
  };
  const { launcher } = fakeLauncher();
  await using server = await startZuServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    token: TOKEN,
    launcher,
    pending: source,
  });
  const list = await (await fetch(`${server.url}/v1/pending`, { headers: AUTH })).json();
  equal(list.pending[0].id, "c1");
  const post = async (id: string, body: unknown) => {
    const res = await fetch(`${server.url}/v1/pending/${id}`, jsonPost(body));
    return [res.status, await res.json()];
  };
  deepEqual(
    await post("c1", { action: "allow", run: "r1", host: "a.example", port: 443, scope: "once" }),
    [200, { id: "c1", action: "allow" }],
  );
  deepEqual(await post("c1", { action: "allow", host: "b.example" }), [409, {
    error: "tuple_mismatch",
  }]);
  deepEqual(await post("zz", { action: "deny" }), [404, { error: "unknown_request" }]);
  deepEqual((await post("c1", { action: "maybe" }))[0], 400);
  deepEqual((await post("c1", { action: "maybe" }))[1].error, "bad_action");
  deepEqual((await post("c1", { action: "allow", scope: "forever" }))[1].error, "bad_request");
  deepEqual((await post("c1", { action: "allow", by: "me" }))[1].error, "bad_request");
  equal(got.length, 3, "invalid bodies never reach the source");
  equal(got[0]![1].by, "serve");
  const unauth = await fetch(`${server.url}/v1/pending/c1`, {
    method: "POST",
    body: '{"action":"allow"}',
  });
  equal(unauth.status, 401);
  await unauth.body?.cancel();
  equal(got.length, 3);
});

Deno.test("zu serve listens on a unix socket with mode 0600 and needs the token there too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_serve_sock_" });
  const path = `${dir}/zu.sock`;
  try {
    const { launcher } = fakeLauncher();
    await using server = await startZuServer({ socket: path, token: TOKEN, launcher });
    equal(server.url, null);
    equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    using client = Deno.createHttpClient({ proxy: { transport: "unix", path } });
    const none = await fetch("http://localhost/v1/runs", { client });
    equal(none.status, 401);
    await none.body?.cancel();
    const good = await fetch("http://localhost/v1/runs", { client, headers: AUTH });
    deepEqual(await good.json(), { runs: [] });
    await server.shutdown();
    await rejects(Deno.stat(path), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a busy port or a missing socket directory is a one-line serve_listen_failed", async () => {
  const { launcher } = fakeLauncher();
  await using first = await startZuServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    token: TOKEN,
    launcher,
  });
  const busy = await startZuServer({
    listen: { hostname: "127.0.0.1", port: first.port! },
    token: TOKEN,
    launcher,
  })
    .then(() => null, (e) => e);
  ok(busy instanceof UserError);
  equal(busy.code, "serve_listen_failed");
  ok(busy.message.endsWith("the address is already in use"), busy.message);
  const nodir = await startZuServer({
    socket: "/nonexistent-zu-dir/zu.sock",
    token: TOKEN,
    launcher,
  })
    .then(() => null, (e) => e);
  ok(nodir instanceof UserError, String(nodir));
  equal(nodir.message.split("\n").length, 1);
});

Deno.test("stopping the server aborts its runs and ends their streams", async () => {
  const fake = fakeLauncher();
  const server = await startZuServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    token: TOKEN,
    launcher: fake.launcher,
  });
  const { run_id } = await (await fetch(`${server.url}/v1/runs`, jsonPost({ agent: "a" }))).json();
  const run = await fake.next();
  run.emit("harness.task.started");
  const stream = readSse(await fetch(`${server.url}/v1/runs/${run_id}/events`, { headers: AUTH }));
  equal((await stream.next()).value!.id, "1");
  const global = readSse(await fetch(`${server.url}/v1/events`, { headers: AUTH }));
  equal((await global.next()).value!.event, "ready");
  await server.shutdown();
  const rest = [];
  for await (const f of stream) rest.push(f);
  deepEqual(rest.map((f) => f.id ?? f.event), ["2", "end"], "the terminal event, then the end");
  equal(JSON.parse(rest.at(-1)!.data).status, "interrupted");
  const more = [];
  for await (const f of global) more.push(f);
  equal(more.length, 1, "the global stream got the terminal event and ended");
  equal(server.runs.get(run_id)?.status, "interrupted");
});

Deno.test("runs beyond the concurrency limit are refused with 429; DELETE cancels a run", async () => {
  const fake = fakeLauncher();
  await using server = await startZuServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    token: TOKEN,
    launcher: fake.launcher,
    maxConcurrentRuns: 1,
  });
  const { run_id } = await (await fetch(`${server.url}/v1/runs`, jsonPost({ agent: "a" }))).json();
  const run = await fake.next();
  const second = await fetch(`${server.url}/v1/runs`, jsonPost({ agent: "a" }));
  equal(second.status, 429);
  equal((await second.json()).error, "too_many_runs");
  const del = await fetch(`${server.url}/v1/runs/${run_id}`, { method: "DELETE", headers: AUTH });
  equal(del.status, 202);
  await del.body?.cancel();
  await run.aborted;
  await server.runs.get(run_id)!.done;
  equal(server.runs.get(run_id)!.status, "interrupted");
  const third = await fetch(`${server.url}/v1/runs`, jsonPost({ agent: "a" }));
  equal(third.status, 202, "room again once the first ended");
  await third.body?.cancel();
  (await fake.next()).finish();
  const unknown = await fetch(`${server.url}/v1/runs/nope/events`, { headers: AUTH });
  equal(unknown.status, 404);
  await unknown.body?.cancel();
});
