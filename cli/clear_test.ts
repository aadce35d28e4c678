// zu clear / zu pending / zu watch across processes: a request held by a live run's desk (a real
// egress proxy, a recording upstream) in this process is released by `zu clear allow` run as a
// child process against the same event database; mistakes exit 2 with one line; hostile host
// names are harmless in text and JSON.
import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { startEgressProxy } from "../backends/egress/egress_proxy.ts";
import { EGRESS_PENDING, newEvent } from "../core/events.ts";
import { SqliteSink } from "../sinks/sqlite/sqlite_sink.ts";
import { startRecordingUpstream } from "../testing/recording_upstream.ts";
import { openLiveClearance } from "../runner/clearance/clearance_fixture_test_util.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const MAIN = fromFileUrl(new URL("./main.ts", import.meta.url));
const PUBLIC_IP = "93.184.216.34";

function zuChild(cwd: string, ...args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function zu(cwd: string, ...args: string[]) {
  const out = await zuChild(cwd, ...args).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A plain-HTTP GET through the proxy; the whole response text. */
async function getThrough(port: number, host: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET http://${host}/x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(16384);
    for (let i = 0; i < 1000; i++) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

function harmless(text: string): void {
  for (const c of text) {
    const n = c.codePointAt(0)!;
    const bad = (n < 0x20 && n !== 0x0a) || n === 0x7f || (n >= 0x202a && n <= 0x202e) ||
      (n >= 0x2066 && n <= 0x2069);
    ok(!bad, `U+${n.toString(16)} in ${JSON.stringify(text)}`);
  }
}

Deno.test("zu clear allow from another process releases a request held by the live run's proxy", async () => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "events.db");
  await using upstream = await startRecordingUpstream({ tls: false, honorConnectionClose: true });
  await using live = await openLiveClearance(db, { holdMs: 30_000 });
  const resolved: string[] = [];
  const proxy = await startEgressProxy({
    allowlist: [],
    resolver: (host) => {
      resolved.push(host);
      return Promise.resolve(host === "new.test" ? [PUBLIC_IP] : []);
    },
    dialer: () => Deno.connect({ hostname: "127.0.0.1", port: upstream.port }),
    clearance: { desk: live.rc.gate, runId: "from-the-sandbox" },
  });
  try {
    const response = getThrough(proxy.port, "new.test");
    const p = await live.nextPending();
    equal(p.run_id, live.runId);
    equal(upstream.requests.length, 0); // held: nothing reached the upstream
    equal(resolved.length, 0); // nor its DNS
    // zu pending (another process) lists it.
    const listed = await zu(dir, "pending", "--db", db, "--json");
    equal(listed.code, 0, listed.stderr);
    const rows = JSON.parse(listed.stdout) as Record<string, unknown>[];
    const row = rows.find((r) => r.kind === "clearance");
    equal(row?.id, p.request_id);
    equal(row?.host, "new.test");
    // zu watch (another process) sees the item, then the verdict.
    const watcher = zuChild(dir, "watch", "--db", db, "--json", "--max-lines", "2", "--for", "20");
    const lines = watcher.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    for (let i = 0; i < 1000 && !seen.includes("\n"); i++) {
      const { value, done } = await lines.read();
      if (done) break;
      seen += value;
    }
    equal(JSON.parse(seen.split("\n")[0]!).event, "pending");
    const allowed = await zu(dir, "clear", "allow", p.request_id, "--db", db, "--by", "tester");
    equal(allowed.code, 0, allowed.stderr);
    match(
      allowed.stdout,
      /^allowed: .* new\.test:80 \(run .*scope once\): the held request goes on\n$/,
    );
    const text = await response;
    match(text, /^HTTP\/1\.1 200/);
    equal(upstream.requests.length, 1);
    for (let i = 0; i < 1000; i++) {
      const { value, done } = await lines.read();
      if (done) break;
      seen += value;
    }
    const status = await watcher.status;
    await watcher.stderr.cancel();
    equal(status.code, 0);
    const events = seen.trim().split("\n").map((l) => JSON.parse(l));
    equal(events.length, 2);
    equal(events[1].event, "decided");
    match(events[1].text, /^allow new\.test:80 by cli:tester \(once, forwarded\)/);
    // A replay of the same verdict: one line, exit 2.
    const again = await zu(dir, "clear", "allow", p.request_id, "--db", db);
    equal(again.code, 2);
    match(again.stderr, /already/);
    equal(again.stderr.trim().split("\n").length, 1);
  } finally {
    await proxy.close();
  }
});

Deno.test("zu clear refuses forged ids, mismatched tuples and missing files with exit 2 and one line", async () => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "events.db");
  await using live = await openLiveClearance(db, { holdMs: 30_000 });
  const held = live.rc.gate.request({ run_id: "x", host: "a.test", port: 443, scheme: "https" });
  const p = await live.nextPending();
  const cases: [string[], RegExp][] = [
    [["clear", "allow", "0190d4a0-0000-7000-8000-000000000000", "--db", db], /unknown.*zu pending/],
    [["clear", "allow", p.request_id, "--db", db, "--host", "b.test"], /another run, host or port/],
    [["clear", "allow", p.request_id, "--db", db, "--run", crypto.randomUUID()], /another run/],
    [["clear", "deny", p.request_id, "--db", join(dir, "none.db")], /does not exist/],
    [["clear", "allow", p.request_id, "--db", db, "--scope", "forever"], /scope/],
    [["clear", "allow", p.request_id, "--db", db, "--ttl", "60"], /ttl_ms needs scope run/],
  ];
  for (const [args, why] of cases) {
    const r = await zu(dir, ...args);
    equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    match(r.stderr, why);
    equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  equal(live.rc.desk.pending().length, 1); // still held after every refusal
  const denied = await zu(
    dir,
    "clear",
    "deny",
    p.request_id,
    "--db",
    db,
    "--reason",
    "no",
    "--json",
  );
  equal(denied.code, 0, denied.stderr);
  const out = JSON.parse(denied.stdout);
  equal(out.outcome, "applied");
  equal(out.decision.scope, "persist");
  const a = await held;
  ok(a.decision === "deny" && a.message === "no");
});

Deno.test("hostile host names are harmless in zu pending, zu watch and their JSON", async () => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "events.db");
  const hostile = "evil\x1b[2J\x1b]0;pwn\x07\u202egnp.test\u0000x";
  const run = crypto.randomUUID();
  {
    // A forged pending event straight in the file (a desk would sanitise it already).
    await using sink = new SqliteSink(db);
    await sink.append(newEvent({
      task_id: run,
      type: EGRESS_PENDING,
      source: "egress_proxy",
      payload: {
        request_id: "0190d4a0-0000-7000-8000-0000000000aa",
        run_id: `${run}\x1b[31m`,
        host: hostile,
        port: 443,
        scheme: "https\u202e",
        first_seen: new Date().toISOString(),
        count: 1,
        deadline: new Date(Date.now() + 60_000).toISOString(),
      },
    }));
  }
  await using live = await openLiveClearance(db, { holdMs: 30_000 });
  void live.rc.gate.request({ run_id: "x", host: hostile, port: 443, scheme: "https" });
  await live.nextPending();
  const text = await zu(dir, "pending", "--db", db);
  equal(text.code, 0, text.stderr);
  equal(text.stdout.match(/^clearance /gm)?.length, 2, text.stdout);
  harmless(text.stdout);
  const json = await zu(dir, "pending", "--db", db, "--json");
  harmless(json.stdout);
  const rows = JSON.parse(json.stdout) as { kind: string; host: string }[];
  ok(rows.every((r) => r.kind !== "clearance" || /^[\x20-\x7e]+$/.test(r.host)));
  for (const args of [["--max-lines", "2"], ["--max-lines", "2", "--json"]]) {
    const w = await zu(dir, "watch", "--db", db, "--for", "10", ...args);
    equal(w.code, 0, w.stderr);
    equal(w.stdout.trim().split("\n").length, 2, w.stdout);
    harmless(w.stdout);
  }
  await live.close();
});

Deno.test("zu watch on a terminal redraws the pending list and ends after --max-lines", async () => {
  const dir = await Deno.makeTempDir();
  const db = join(dir, "events.db");
  await using live = await openLiveClearance(db, { holdMs: 30_000 });
  void live.rc.gate.request({
    run_id: "x",
    host: "tty\x1b[2Jhost.test",
    port: 443,
    scheme: "https",
  });
  await live.nextPending();
  const io = captureIo({ cwd: dir, isTTY: true });
  const code = await main(["watch", "--db", db, "--max-lines", "1", "--for", "10"], io);
  equal(code, 0, io.stderrText());
  const out = io.stdoutText();
  ok(out.startsWith("\x1b[H\x1b[2J"), JSON.stringify(out));
  match(out, /zu watch: 1 pending/);
  match(out, /\+ clearance .* tty \[2Jhost\.test:443 held/);
  harmless(out.replace("\x1b[H\x1b[2J", ""));
  await live.close();
});
