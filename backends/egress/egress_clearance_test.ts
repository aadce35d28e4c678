/**
 * Live clearance through a real egress proxy on loopback: a recording resolver and a recording
 * upstream show that a held request reaches neither DNS nor the upstream before an allow, and
 * that an allow still goes through every address check.
 */
import assert from "node:assert/strict";
import { startEgressProxy } from "./egress_proxy.ts";
import type { Dialer, ProxyLogLine } from "./egress_proxy.ts";
import { ClearanceDesk, type ClearanceDeskOptions } from "./clearance/clearance_desk.ts";
import type { ClearanceDecision, ClearancePending } from "../../core/types.ts";
import {
  type RecordingUpstream,
  startRecordingUpstream,
  TEST_CA_PEM,
} from "../../testing/recording_upstream.ts";
import { rawRequest, readResponseHead } from "./_test_util.ts";

const PUBLIC_IP = "93.184.216.34";
const ANSWERS: Record<string, string[]> = {
  "new.test": [PUBLIC_IP],
  "api.test": [PUBLIC_IP],
  "meta.test": ["169.254.169.254"],
  "loop.test": ["127.0.0.1"],
};

interface Ctx {
  port: number;
  desk: ClearanceDesk;
  upstream: RecordingUpstream;
  resolved: string[];
  dials: string[];
  lines: ProxyLogLine[];
  pendings: ClearancePending[];
  verdicts: ClearanceDecision[];
  nextPending(): Promise<ClearancePending>;
  nextDecision(): Promise<ProxyLogLine>;
}

async function withClearance(
  opts: { desk?: ClearanceDeskOptions; tls?: boolean },
  fn: (ctx: Ctx) => Promise<void>,
): Promise<void> {
  const upstream = await startRecordingUpstream({
    tls: opts.tls ?? false,
    honorConnectionClose: true,
  });
  const resolved: string[] = [];
  const dials: string[] = [];
  const lines: ProxyLogLine[] = [];
  const pendings: ClearancePending[] = [];
  const verdicts: ClearanceDecision[] = [];
  const waiting: ((p: ClearancePending) => void)[] = [];
  const decided: ((l: ProxyLogLine) => void)[] = [];
  const desk = new ClearanceDesk({
    holdMs: 5000,
    ...opts.desk,
    onPending: (p) => {
      pendings.push(p);
      waiting.shift()?.(p);
    },
    onVerdict: (d) => verdicts.push(d),
  });
  const dialer: Dialer = (t) => {
    dials.push(`${t.hostname}:${t.port}`);
    if (t.hostname !== PUBLIC_IP) {
      return Promise.reject(new Error(`test dialer refuses ${t.hostname}`));
    }
    return Deno.connect({ hostname: "127.0.0.1", port: upstream.port });
  };
  const proxy = await startEgressProxy({
    allowlist: ["allowed.test"],
    resolver: (host) => {
      resolved.push(host);
      const a = ANSWERS[host];
      return a ? Promise.resolve(a) : Promise.reject(new Error(`NXDOMAIN ${host}`));
    },
    dialer,
    log: (l) => {
      lines.push(l);
      if (l.event === "proxy.decision") decided.shift()?.(l);
    },
    clearance: { desk, runId: "run-1" },
  });
  try {
    await fn({
      port: proxy.port,
      desk,
      upstream,
      resolved,
      dials,
      lines,
      pendings,
      verdicts,
      nextPending: () => new Promise((resolve) => waiting.push(resolve)),
      nextDecision: () => new Promise((resolve) => decided.push(resolve)),
    });
  } finally {
    desk.close();
    await proxy.close();
    await upstream.close();
  }
}

/** Reads one response (head, then a Content-Length body) and returns it as text. */
async function readResponse(conn: Deno.Conn | Deno.TlsConn): Promise<string> {
  const head = await readResponseHead(conn);
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? "0");
  const body = new Uint8Array(length);
  let at = 0;
  while (at < length) {
    const n = await conn.read(body.subarray(at));
    if (n === null) break;
    at += n;
  }
  return head + new TextDecoder().decode(body.subarray(0, at));
}

/** A plain-HTTP request through the proxy; the whole response (the proxy closes after it). */
async function get(port: number, host: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(`GET http://${host}/x HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    );
    return await readResponse(conn);
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

function decisionsOf(lines: ProxyLogLine[]): ProxyLogLine[] {
  return lines.filter((l) => l.event === "proxy.decision");
}

Deno.test("EgressProxy forwards a held request when the operator allows it in time", async () => {
  await withClearance({}, async (c) => {
    const decision = c.nextDecision();
    const response = get(c.port, "new.test");
    const p = await c.nextPending();
    assert.deepEqual(c.resolved, [], "nothing is resolved before the allow");
    assert.deepEqual(c.dials, []);
    assert.equal(p.host, "new.test");
    assert.equal(p.port, 80);
    assert.equal(p.scheme, "http");
    await c.desk.verdict({ ...p, action: "allow", actor: "alice" });
    const text = await response;
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.match(text, /ok$/);
    assert.equal(c.upstream.requests.length, 1);
    assert.deepEqual(c.resolved, ["new.test"]);
    assert.equal(c.verdicts[0]?.held, true);
    assert.equal(c.verdicts[0]?.outcome, "forwarded");
    const d = await decision;
    assert.equal(d.reason, "cleared");
    assert.equal(d.clearance, p.request_id);
    assert.equal(d.allowed, true);
  });
});

Deno.test("EgressProxy opens a cleared CONNECT tunnel and still checks its TLS server name", async () => {
  await withClearance({ tls: true }, async (c) => {
    const firstDone = c.nextDecision();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: c.port });
    await conn.write(
      new TextEncoder().encode("CONNECT api.test:443 HTTP/1.1\r\nHost: api.test\r\n\r\n"),
    );
    const p = await c.nextPending();
    assert.equal(p.scheme, "https");
    await c.desk.verdict({ ...p, action: "allow", scope: "run", actor: "alice" });
    assert.match(await readResponseHead(conn), /^HTTP\/1\.1 200 /);
    const tls = await Deno.startTls(conn, { hostname: "api.test", caCerts: [TEST_CA_PEM] });
    await tls.write(
      new TextEncoder().encode("GET /in HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n"),
    );
    const text = await readResponse(tls);
    tls.close();
    assert.match(text, /ok$/);
    assert.equal((await firstDone).reason, "cleared");
    // The run rule now lets a tunnel through at once, but a ClientHello naming another host
    // (domain fronting) is still refused.
    const second = await Deno.connect({ hostname: "127.0.0.1", port: c.port });
    await second.write(
      new TextEncoder().encode("CONNECT api.test:443 HTTP/1.1\r\nHost: api.test\r\n\r\n"),
    );
    assert.match(await readResponseHead(second), /^HTTP\/1\.1 200 /);
    const fronted = await Deno.startTls(second, {
      hostname: "other.test",
      caCerts: [TEST_CA_PEM],
    });
    const refusal = c.nextDecision();
    await assert.rejects(fronted.handshake());
    try {
      fronted.close();
    } catch { /* closed by the failed handshake */ }
    assert.equal((await refusal).reason, "sni_mismatch");
    const reasons = decisionsOf(c.lines).map((l) => l.reason);
    assert.deepEqual(c.upstream.requests.map((r) => r.target), ["/in"]);
    assert.ok(reasons.includes("sni_mismatch"), JSON.stringify(reasons));
  });
});

Deno.test("EgressProxy answers 403 clearance_timeout at the deadline with no DNS and no upstream byte", async () => {
  await withClearance({ desk: { holdMs: 400 } }, async (c) => {
    const t0 = performance.now();
    const text = await get(c.port, "new.test");
    const took = performance.now() - t0;
    assert.match(text, /^HTTP\/1\.1 403 /);
    assert.match(text, /\r\nX-Zu-Deny-Reason: clearance_timeout\r\n/);
    const id = c.pendings[0]!.request_id;
    assert.ok(text.endsWith(`awaiting operator approval; request_id=${id}; retry later\n`), text);
    assert.ok(Math.abs(took - 400) <= 500 && took >= 395, `took ${took} ms`);
    assert.deepEqual(c.resolved, []);
    assert.deepEqual(c.dials, []);
    assert.equal(c.upstream.allBytes().length, 0);
    assert.equal(c.verdicts[0]?.outcome, "timed_out");
  });
});

Deno.test("EgressProxy applies a late allow to the next connection, not the held one", async () => {
  await withClearance({ desk: { holdMs: 300 } }, async (c) => {
    const first = await get(c.port, "new.test");
    assert.match(first, /clearance_timeout/);
    const p = c.pendings[0]!;
    const d = await c.desk.verdict({ ...p, action: "allow", actor: "late-alice" });
    assert.equal(d.outcome, "late");
    assert.equal(c.upstream.requests.length, 0, "the held request was never forwarded");
    const next = await get(c.port, "new.test");
    assert.match(next, /^HTTP\/1\.1 200 /);
    assert.equal(c.upstream.requests.length, 1);
    assert.equal(c.pendings.length, 1, "the next connection was not held");
  });
});

Deno.test("EgressProxy still refuses a cleared name that resolves to metadata or loopback", async () => {
  await withClearance({}, async (c) => {
    for (const host of ["meta.test", "loop.test"]) {
      const response = get(c.port, host);
      const p = await c.nextPending();
      assert.ok(!c.resolved.includes(host), "no DNS before the allow");
      await c.desk.verdict({ ...p, action: "allow", actor: "alice" });
      const text = await response;
      assert.match(text, /^HTTP\/1\.1 403 /);
      assert.match(text, /X-Zu-Egress-Refused: blocked_resolution/);
      assert.ok(c.resolved.includes(host));
    }
    assert.deepEqual(c.dials, []);
    assert.equal(c.upstream.allBytes().length, 0);
  });
});

Deno.test("EgressProxy answers an operator deny with 403 and the operator's reason", async () => {
  await withClearance({}, async (c) => {
    const response = get(c.port, "new.test");
    const p = await c.nextPending();
    await c.desk.verdict({ ...p, action: "deny", actor: "bob", reason: "use api.test\x1b[2J" });
    const text = await response;
    assert.match(text, /^HTTP\/1\.1 403 /);
    assert.match(text, /\r\nX-Zu-Deny-Reason: operator\r\n/);
    assert.ok(text.endsWith("\r\n\r\nuse api.test [2J\n"), JSON.stringify(text));
    // persisted by default: the next request is refused at once, without a hold
    const again = await get(c.port, "new.test");
    assert.match(again, /X-Zu-Deny-Reason: operator/);
    assert.equal(c.pendings.length, 1);
    assert.deepEqual(c.resolved, []);
  });
});

Deno.test("EgressProxy refuses hostile, internal and blocked targets before asking anyone", async () => {
  await withClearance({}, async (c) => {
    const hostile = await rawRequest(
      c.port,
      "CONNECT ev\x1b[31mil\u202e.test:443 HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert.match(hostile, /^HTTP\/1\.1 400 /);
    const nul = await rawRequest(c.port, "CONNECT a\0b.test:443 HTTP/1.1\r\n\r\n");
    assert.match(nul, /^HTTP\/1\.1 400 /);
    for (const host of ["localhost", "metadata.google.internal", "127.0.0.1", "169.254.169.254"]) {
      const text = await get(c.port, host);
      assert.match(text, /^HTTP\/1\.1 403 /, host);
      assert.match(text, /blocked_address/, host);
    }
    assert.equal(c.pendings.length, 0);
    assert.deepEqual(c.resolved, []);
    assert.equal(c.upstream.allBytes().length, 0);
  });
});

Deno.test("EgressProxy keeps 16 held per run under a flood and refuses the rest fast", async () => {
  await withClearance({ desk: { holdMs: 60_000 } }, async (c) => {
    const held: Promise<string>[] = [];
    for (let i = 0; i < 16; i++) {
      const seen = c.nextPending();
      held.push(get(c.port, `h${i}.flood.test`));
      await seen;
    }
    const t0 = performance.now();
    const refused = await Promise.all(
      Array.from({ length: 24 }, (_, i) => get(c.port, `x${i}.flood.test`)),
    );
    assert.ok(performance.now() - t0 < 2000);
    assert.ok(refused.every((t) => /X-Zu-Deny-Reason: clearance_queue_full/.test(t)));
    assert.equal(c.desk.stats().pending, 16);
    assert.equal(c.pendings.length, 16);
    c.desk.close();
    const closed = await Promise.all(held);
    assert.ok(closed.every((t) => /X-Zu-Deny-Reason: clearance_closed/.test(t)));
    assert.deepEqual(c.resolved, []);
  });
});

Deno.test("EgressProxy denies every held request within 100 ms when the desk closes (fail closed)", async () => {
  await withClearance({ desk: { holdMs: 60_000 } }, async (c) => {
    const held: Promise<{ text: string; at: number }>[] = [];
    for (let i = 0; i < 5; i++) {
      const seen = c.nextPending();
      held.push(get(c.port, `h${i}.test`).then((text) => ({ text, at: performance.now() })));
      await seen;
    }
    const t0 = performance.now();
    c.desk.close();
    const all = await Promise.all(held);
    for (const { text, at } of all) {
      assert.match(text, /^HTTP\/1\.1 403 /);
      assert.match(text, /X-Zu-Deny-Reason: clearance_closed/);
      assert.ok(at - t0 < 100, `answered ${at - t0} ms after the close`);
    }
    assert.equal(c.upstream.allBytes().length, 0);
  });
});

Deno.test("EgressProxy attaches concurrent retries to one pending record", async () => {
  await withClearance({ desk: { holdMs: 60_000 } }, async (c) => {
    const seen = c.nextPending();
    const first = get(c.port, "new.test");
    const p = await seen;
    const more = Array.from({ length: 4 }, () => get(c.port, "new.test"));
    for (let i = 0; i < 200 && c.desk.pending()[0]!.count < 5; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(c.desk.pending()[0]!.count, 5);
    await c.desk.verdict({ ...p, action: "allow", actor: "alice" });
    const all = await Promise.all([first, ...more]);
    assert.ok(all.every((t) => /^HTTP\/1\.1 200 /.test(t)));
    assert.equal(c.pendings.length, 1);
    assert.equal(c.upstream.requests.length, 5);
  });
});

Deno.test("EgressProxy close does not wait for a held request's deadline", async () => {
  const desk = new ClearanceDesk({ holdMs: 60_000 });
  const proxy = await startEgressProxy({ allowlist: [], clearance: { desk, runId: "r" } });
  const response = get(proxy.port, "new.test");
  for (let i = 0; i < 200 && desk.stats().waiters === 0; i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const t0 = performance.now();
  await proxy.close();
  assert.ok(performance.now() - t0 < 1000);
  assert.match(await response, /^HTTP\/1\.1 403 |^$/);
  desk.close();
});

Deno.test("EgressProxy with clearance off refuses an undeclared host at once, as without it", async () => {
  await withClearance({ desk: { holdMs: "off" } }, async (c) => {
    const text = await get(c.port, "new.test");
    assert.match(text, /^HTTP\/1\.1 403 /);
    assert.match(text, /X-Zu-Egress-Refused: not_allowlisted/);
    assert.doesNotMatch(text, /X-Zu-Deny-Reason/);
    assert.equal(c.pendings.length, 0);
  });
});
