import { equal, ok } from "node:assert/strict";
import { startRunInterceptor } from "./run_interceptor.ts";
import { startEgressProxy } from "../backends/egress/egress_proxy.ts";
import {
  containsBytes,
  startRecordingUpstream,
  TEST_CA_PEM,
} from "../testing/recording_upstream.ts";
import type { BrokerReport } from "./run_broker.ts";

const CANARY = `zu-canary-${crypto.randomUUID()}`;

Deno.test("a run's interceptor injects and swaps through its own name-constrained CA; the sandbox sees neither value", async () => {
  await using up = await startRecordingUpstream({
    handler: (r) => ({
      status: r.headers.some(([k, v]) => k === "authorization" && v === `Bearer ${CANARY}`)
        ? 200
        : 401,
      body: JSON.stringify(Object.fromEntries(r.headers)),
    }),
  });
  let value = CANARY;
  const resolver = { resolve: () => Promise.resolve(value) };
  await using icpt = await startRunInterceptor({
    resolver,
    bindings: [
      {
        secret: "API",
        mode: "inject",
        hosts: [`api.test:${up.port}`],
        headers: ["Authorization: Bearer {{secret:API}}"],
      },
      { secret: "PH", mode: "placeholder", hosts: [`other.test:${up.port}`], env: "PH_TOKEN" },
    ],
  }, {
    caCerts: [TEST_CA_PEM],
    dnsResolver: () => Promise.resolve(["127.0.0.1"]),
    localOrigins: [`127.0.0.1:${up.port}`],
    systemRootsPath: null,
  });
  ok(icpt);
  const reports: BrokerReport[] = [];
  icpt.listen((r) => reports.push(r));
  const ph = icpt.env.PH_TOKEN!;
  ok(ph.startsWith("zu_ph_PH_") && ph.length === CANARY.length);
  await using proxy = await startEgressProxy({ allowlist: [], handoff: icpt.handoff });
  const client = Deno.createHttpClient({ proxy: { url: proxy.url }, caCerts: [icpt.caPem] });
  const a = await fetch(`https://api.test:${up.port}/v1/x`, { client });
  equal(a.status, 200);
  const echoed = await a.text();
  ok(!echoed.includes(CANARY), "the echoed header comes back redacted");
  const b = await fetch(`https://other.test:${up.port}/y`, {
    client,
    headers: { authorization: `token ${ph}` },
  });
  equal(b.status, 401); // the upstream wants "Bearer"; the swap still happened
  await b.body?.cancel();
  ok(up.requests[1]!.headers.some(([k, v]) => k === "authorization" && v === `token ${CANARY}`));
  // A's placeholder to B's host is refused (laundering), and nothing reaches the upstream.
  const before = up.requests.length;
  const c = await fetch(`https://api.test:${up.port}/z`, { client, headers: { "x-leak": ph } });
  equal(c.status, 403);
  await c.body?.cancel();
  equal(up.requests.length, before);
  value = `${CANARY}-rotated`;
  const d = await fetch(`https://api.test:${up.port}/v1/x`, { client });
  await d.body?.cancel();
  ok(containsBytes(up.requests.at(-1)!.raw, `${CANARY}-rotated`));
  client.close();
  ok(reports.some((r) => r.kind === "credential" && r.use.outcome === "injected"));
  ok(reports.some((r) => r.kind === "credential" && r.use.outcome === "substituted"));
  ok(reports.some((r) => r.kind === "credential" && r.use.outcome === "blocked_placeholder"));
  ok(reports.some((r) => r.kind === "echo"));
  ok(!JSON.stringify(reports).includes(CANARY));
  ok(!JSON.stringify(proxy.connections()).includes(CANARY));
});

Deno.test("a placeholder in a plain-HTTP request to an unbound host is refused by the proxy's screen, in any form", async () => {
  await using plain = await startRecordingUpstream({ tls: false });
  await using icpt = await startRunInterceptor({
    resolver: { resolve: () => Promise.resolve(CANARY) },
    bindings: [{ secret: "PH", mode: "placeholder", hosts: ["api.test"], env: "PH_TOKEN" }],
  }, { systemRootsPath: null });
  ok(icpt);
  const reports: BrokerReport[] = [];
  icpt.listen((r) => reports.push(r));
  const ph = icpt.env.PH_TOKEN!;
  await using proxy = await startEgressProxy({
    allowlist: [`plain.test:${plain.port}`],
    localOrigins: [`127.0.0.1:${plain.port}`],
    resolver: () => Promise.resolve(["127.0.0.1"]),
    handoff: icpt.handoff,
    screen: icpt.screen,
  });
  const client = Deno.createHttpClient({ proxy: { url: proxy.url } });
  const url = `http://plain.test:${plain.port}`;
  const tries: [string, RequestInit][] = [
    [`${url}/a`, { headers: { authorization: `Bearer ${ph}` } }],
    [`${url}/b?t=${encodeURIComponent(ph).replaceAll("_", "%5F")}`, {}],
    [`${url}/c`, { headers: { authorization: `Basic ${btoa(`user:${ph}`)}` } }],
  ];
  for (const [u, init] of tries) {
    const r = await fetch(u, { ...init, client });
    equal(r.status, 403, u);
    equal(r.headers.get("x-zu-egress-refused"), "blocked_placeholder");
    await r.body?.cancel();
  }
  client.close();
  equal(plain.requests.length, 0, "nothing went upstream");
  const blocked = reports.filter((r) =>
    r.kind === "credential" && r.use.outcome === "blocked_placeholder"
  );
  equal(blocked.length, 3);
  ok(!JSON.stringify(reports).includes(ph), "the placeholder is logged only as a hash prefix");
  ok(!JSON.stringify(proxy.connections()).includes(ph));
});
