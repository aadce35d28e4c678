/**
 * The sidecar as a real process with `--clearance`: under exactly the flags `proxyCommand`
 * computes (the widened `--allow-net`, read/write on the one socket), it asks a real desk over a
 * real unix socket; the host files the request under its own run; a deny reaches the client as
 * a 403 with the operator's reason; with the socket gone, a request is refused at once.
 */
import assert from "node:assert/strict";
import { proxyCommand } from "./proxy_command.ts";
import { ClearanceDesk } from "./clearance/clearance_desk.ts";
import { serveClearanceSocket } from "./clearance/clearance_socket.ts";
import type { ClearancePending } from "../../core/types.ts";
import { readJsonLines } from "./json_lines.ts";
import { parseSidecarArgs } from "./sidecar.ts";
import { clearanceNetFlags } from "./clearance_grant.ts";

const SIDECAR = decodeURIComponent(new URL("./sidecar.ts", import.meta.url).pathname);

async function get(port: number, target: string): Promise<{ head: string; body: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    );
    let text = "";
    const buf = new Uint8Array(4096);
    for (let i = 0; i < 100; i++) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    const at = text.indexOf("\r\n\r\n");
    return { head: text.slice(0, at), body: text.slice(at + 4) };
  } finally {
    conn.close();
  }
}

Deno.test("the sidecar process asks the host's desk over --clearance and fails closed when the socket dies", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_sidecar_clearance_" });
  const socket = `${dir}/clearance.sock`;
  const waiting: ((p: ClearancePending) => void)[] = [];
  const desk = new ClearanceDesk({ holdMs: 30_000, onPending: (p) => waiting.shift()?.(p) });
  await desk.ready();
  const server = await serveClearanceSocket({ path: socket, gate: desk, runId: () => "host-run" });
  const { flags, args } = proxyCommand({
    listen: "127.0.0.1:0",
    allowlist: ["declared.test"],
    pins: { raw: {}, granted: {} },
    sidecarPath: SIDECAR,
    clearance: { socket, timeoutMs: 35_000 },
  });
  assert.deepEqual(flags, [
    "--allow-net",
    // The proxy listens on loopback here: that entry is left out (its own checks refuse it).
    "--deny-net=[::1],169.254.0.0/16,[fd00:ec2::254]",
    "--allow-env=ZU_PROXY_UNSAFE_TEST_ALLOW_ALL",
    `--allow-read=${socket}`,
    `--allow-write=${socket}`,
  ]);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
    clearEnv: true,
    env: { NO_COLOR: "1" },
  }).spawn();
  let ready!: (l: Record<string, unknown>) => void;
  const isReady = new Promise<Record<string, unknown>>((r) => ready = r);
  const lines = readJsonLines(child.stdout, (l) => l.event === "proxy.ready" && ready(l)).catch(
    () => {},
  );
  try {
    const line = await Promise.race([isReady, child.status.then(() => null)]);
    assert.ok(line, "the sidecar started under the computed flags");
    assert.equal(line.clearance, true);
    const port = Number(line.port);
    const seen = new Promise<ClearancePending>((r) => waiting.push(r));
    const answer = get(port, "http://new.test/x");
    const p = await seen;
    assert.equal(p.run_id, "host-run");
    assert.equal(p.host, "new.test");
    await desk.verdict({ ...p, action: "deny", actor: "op", reason: "use the mirror" });
    const res = await answer;
    assert.match(res.head, /^HTTP\/1\.1 403/);
    assert.match(res.head, /X-Zu-Deny-Reason: operator/i);
    assert.equal(res.body.trim(), "use the mirror");
    // The host's socket goes away while a request is held: it is refused at once, and so is
    // the next one.
    const seen2 = new Promise<ClearancePending>((r) => waiting.push(r));
    const held = get(port, "http://held.test/z");
    await seen2;
    const t0 = performance.now();
    await server.close();
    const killed = await held;
    assert.match(killed.head, /^HTTP\/1\.1 403/);
    assert.match(killed.head, /X-Zu-Deny-Reason: clearance_closed/i);
    assert.ok(performance.now() - t0 < 2000, "denied at once, not at the 30 s hold");
    const gone = await get(port, "http://other.test/y");
    assert.match(gone.head, /^HTTP\/1\.1 403/);
    assert.match(gone.head, /X-Zu-Deny-Reason: clearance_closed/i);
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await child.status;
    await lines;
    await server.close();
    desk.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseSidecarArgs reads --clearance and needs its timeout; the container sidecar keeps loopback denied", () => {
  const c = parseSidecarArgs([
    "--clearance",
    "unix:/zu/vault/clearance.sock",
    "--clearance-timeout-ms",
    "30000",
  ]);
  assert.deepEqual(c.clearance, { socket: "/zu/vault/clearance.sock", timeoutMs: 30000 });
  assert.equal(parseSidecarArgs([]).clearance, undefined);
  assert.throws(() => parseSidecarArgs(["--clearance", "unix:/x.sock"]), TypeError);
  assert.throws(
    () => parseSidecarArgs(["--clearance", "/x.sock", "--clearance-timeout-ms", "1"]),
    TypeError,
  );
  assert.deepEqual(clearanceNetFlags("0.0.0.0"), [
    "--allow-net",
    "--deny-net=127.0.0.0/8,[::1],169.254.0.0/16,[fd00:ec2::254]",
  ]);
  // Without clearance nothing changes: exactly the hosts.
  const { flags, args } = proxyCommand({
    listen: "0.0.0.0:8080",
    allowlist: ["a.test:443"],
    pins: { raw: {}, granted: {} },
    sidecarPath: "/opt/zu/backends/egress/sidecar.ts",
  });
  assert.equal(flags[0], "--allow-net=0.0.0.0:8080,a.test:443");
  assert.ok(!args.includes("--clearance"));
});
