/**
 * The host side of the jail's fetch relay on its own: https through the proxy's CONNECT (held,
 * then allowed or denied with the proxy's reason although `fetch` only saw a failed tunnel), the
 * concurrency cap, the response cap and fail-closed on close. A real desk, proxy and upstreams.
 */
import { equal, match, ok } from "node:assert/strict";
import type { ClearancePending } from "../core/types.ts";
import { startRecordingUpstream, TEST_CA_PEM } from "../testing/recording_upstream.ts";
import type { ToolCallMessage } from "./jail/protocol.ts";
import { openRunClearance, type RunClearance } from "./clearance/run_clearance.ts";
import { RELAY_TOOL, startJailRelay } from "./jail_relay.ts";

let nextId = 1;
function call(url: string, extra: Record<string, unknown> = {}): ToolCallMessage {
  return {
    zu_jail: "tool_call",
    id: nextId++,
    tool: RELAY_TOOL,
    args: { url, method: "GET", headers: [], redirect: "follow", ...extra },
    trace_id: "",
  };
}

/** Resolves with the next pending report of `rc`. */
function nextPending(rc: RunClearance): Promise<ClearancePending> {
  return new Promise((resolve) =>
    rc.listen((r) => {
      if (r.kind === "pending") resolve(r.pending);
    })
  );
}

function refusal(obs: Record<string, unknown> | undefined): { reason: string; message: string } {
  return (obs as { refused: { reason: string; message: string } }).refused;
}

Deno.test("jail relay: https is held on the desk; an allow reaches the TLS upstream, a deny comes back with the proxy's reason", async () => {
  await using up = await startRecordingUpstream({
    handler: () => ({ status: 200, body: "tls-ok" }),
  });
  await using rc = await openRunClearance({ holdMs: 20_000, dbPath: null, runId: "r1" });
  const lookups: string[] = [];
  await using relay = await startJailRelay({
    allowlist: [],
    clearance: { desk: rc.gate, runId: "r1" },
    localOrigins: [`127.0.0.1:${up.port}`],
    resolver: (h) => {
      lookups.push(h);
      return Promise.resolve(["127.0.0.1"]);
    },
    caCerts: [TEST_CA_PEM],
  });
  let pending = nextPending(rc);
  const allowed = relay.handle(call(`https://api.test:${up.port}/a`));
  let p = await pending;
  equal(up.requests.length, 0);
  equal(lookups.length, 0);
  await rc.desk.verdict({ ...p, action: "allow", actor: "alice" });
  const a = await allowed;
  const obs = a.observation as { status: number; body_b64: string };
  equal(obs.status, 200, JSON.stringify(a));
  equal(atob(obs.body_b64), "tls-ok");
  equal(up.requests.length, 1);

  pending = nextPending(rc);
  const denied = relay.handle(call(`https://other.test:${up.port}/b`));
  p = await pending;
  await rc.desk.verdict({ ...p, action: "deny", scope: "once", actor: "bob", reason: "nope" });
  const d = refusal((await denied).observation);
  equal(d.reason, "operator");
  match(d.message, /request_id=/);
  equal(up.requests.length, 1);
  equal(lookups.join(","), "api.test");
});

Deno.test("jail relay: at most maxConcurrent at once, the response is capped, and closing denies what is held", async () => {
  const big = "x".repeat(8 * 1024 * 1024 + 1);
  await using srv = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(big),
  );
  const local = `127.0.0.1:${srv.addr.port}`;
  const rc = await openRunClearance({ holdMs: 20_000, dbPath: null });
  await using relay = await startJailRelay({
    allowlist: [],
    clearance: { desk: rc.gate, runId: "r2" },
    localOrigins: [local],
    maxConcurrent: 1,
  });
  const tooBig = refusal((await relay.handle(call(`http://${local}/`))).observation);
  equal(tooBig.reason, "relay_too_large");
  const pending = nextPending(rc);
  const held = relay.handle(call("http://held.test/"));
  await pending;
  const busy = refusal((await relay.handle(call("http://second.test/"))).observation);
  equal(busy.reason, "relay_busy");
  const started = performance.now();
  await rc.close();
  const closed = refusal((await held).observation);
  equal(closed.reason, "clearance_closed");
  ok(performance.now() - started < 5_000);
});

Deno.test("jail relay: a cleared name that does not resolve is a network failure, not a refusal", async () => {
  await using rc = await openRunClearance({ holdMs: 20_000, dbPath: null, runId: "r3" });
  await using relay = await startJailRelay({
    allowlist: [],
    clearance: { desk: rc.gate, runId: "r3" },
    resolver: () => Promise.reject(new Error("NXDOMAIN")),
  });
  const pending = nextPending(rc);
  const answer = relay.handle(call("http://gone.test/"));
  await rc.desk.verdict({ ...(await pending), action: "allow", actor: "alice" });
  const a = await answer;
  equal(a.observation, undefined, JSON.stringify(a));
  equal(a.error?.name, "TypeError");
  match(a.error?.message ?? "", /dns error: "gone.test"/);
});
