import { deepEqual, equal, match, ok } from "node:assert/strict";
import type { Event } from "../../core/events.ts";
import { runInJail } from "./child_runner.ts";
import { computeRunPermissions } from "./permission_flags.ts";

const PROBE = new URL("./testdata/probe_entry.ts", import.meta.url);
const HERE = new URL(".", import.meta.url).pathname;

function serve(body: string): Deno.HttpServer<Deno.NetAddr> & { port: number } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(body),
  );
  return Object.assign(server, { port: server.addr.port });
}

function permsFor(declared: string[]) {
  return computeRunPermissions({
    agentDir: HERE,
    tools: [{ name: "probe", egress: declared }],
    provider: { name: "scripted" },
  }, { mode: "live" });
}

interface ProbeOutcome {
  code: number;
  events: Event[];
  observation: Record<string, unknown>;
  stderr: string;
}

async function probe(kind: string, arg: string, declared: string[]): Promise<ProbeOutcome> {
  const events: Event[] = [];
  const r = await runInJail(PROBE, [kind, arg], permsFor(declared), {
    onEvent: (e) => void events.push(e),
  });
  const observation =
    (r.result as { observation?: Record<string, unknown> } | undefined)?.observation ?? {};
  return { code: r.code, events, observation, stderr: r.stderr };
}

Deno.test("a jailed tool reaches a declared loopback port while Deno refuses an undeclared one", async () => {
  await using allowed = serve("allowed-ok");
  await using denied = serve("denied-body");
  const declared = [`127.0.0.1:${allowed.port}`];

  const good = await probe("fetch", `http://127.0.0.1:${allowed.port}/`, declared);
  equal(good.code, 0, good.stderr);
  deepEqual(good.observation, { status: 200, text: "allowed-ok" });
  equal(good.events.length, 0);

  const bad = await probe("fetch", `http://127.0.0.1:${denied.port}/`, declared);
  equal(bad.code, 0, bad.stderr);
  equal(bad.observation.blocked, "runtime_permission");
  match(String(bad.observation.error), /Requires net access to "127\.0\.0\.1:\d+"/);
  equal(bad.events.length, 1);
  const ev = bad.events[0]!;
  equal(ev.type, "harness.defense.blocked");
  equal(ev.payload.kind, "runtime_permission");
  equal(ev.payload.tool, "probe_fetch");
  equal(ev.payload.target, `127.0.0.1:${denied.port}`);
});

Deno.test("a refusal a tool swallows into an error observation is still logged as runtime_permission", async () => {
  await using denied = serve("denied-body");
  const r = await probe("fetch-swallow", `http://127.0.0.1:${denied.port}/`, []);
  equal(r.code, 0, r.stderr);
  equal(r.observation.blocked, "runtime_permission");
  equal(r.events[0]?.payload.kind, "runtime_permission");
});

Deno.test("a declared name that resolves into a denied range is refused by Deno after resolution", async () => {
  await using srv = serve("local");
  // The name is granted (as if it resolved to a global address at launch), but the loopback
  // range stays denied, so Deno refuses the connection once the child resolves the name.
  const perms = computeRunPermissions({
    agentDir: HERE,
    tools: [{ name: "probe", egress: [`loopback-alias.test:${srv.port}`] }],
  }, { mode: "live" });
  const flags = perms.flags.map((f) =>
    f.startsWith("--allow-net=") ? `--allow-net=localhost:${srv.port}` : f
  );
  const events: Event[] = [];
  const r = await runInJail(PROBE, ["fetch", `http://localhost:${srv.port}/`], { flags, env: [] }, {
    onEvent: (e) => void events.push(e),
  });
  const obs = (r.result as { observation: Record<string, unknown> }).observation;
  equal(obs.blocked, "runtime_permission", JSON.stringify(obs));
  equal(events[0]?.payload.kind, "runtime_permission");
  ok(perms.denyNet.includes("127.0.0.0/8"));
});

Deno.test("declaring localhost grants nothing: the name is internal", () => {
  const perms = computeRunPermissions({
    agentDir: HERE,
    tools: [{ name: "probe", egress: ["localhost:8080"] }],
  }, { mode: "live" });
  deepEqual(perms.net, []);
  match(perms.refused[0]?.why ?? "", /internal name/);
});

Deno.test("a jailed tool that tries Deno.Command is refused by Deno and logged", async () => {
  const r = await probe("command", "echo", []);
  equal(r.code, 0, r.stderr);
  equal(r.observation.blocked, "runtime_permission");
  match(String(r.observation.error), /Requires run access to "echo"/);
  equal(r.events[0]?.payload.target, "echo");
});

Deno.test("a jailed tool that tries FFI is refused by Deno and logged", async () => {
  const r = await probe("ffi", "/lib/x86_64-linux-gnu/libc.so.6", []);
  equal(r.code, 0, r.stderr);
  equal(r.observation.blocked, "runtime_permission");
  match(String(r.observation.error), /Requires ffi access/);
});

Deno.test("an uncaught refusal from node:dgram becomes an event instead of killing the child", async () => {
  const r = await probe("dgram", "127.0.0.1", []);
  equal(r.code, 0, r.stderr);
  const blocked = r.events.filter((e) => e.type === "harness.defense.blocked");
  ok(blocked.length >= 1, r.stderr);
  equal(blocked[0]?.payload.kind, "runtime_permission");
  equal(blocked[0]?.source, "jail");
});

Deno.test("runInJail refuses to start a child with run, ffi, sys or -A", async () => {
  for (const f of ["-A", "--allow-all", "--allow-run", "--allow-ffi=/x", "--allow-sys"]) {
    let threw = false;
    try {
      await runInJail(PROBE, [], { flags: ["--no-prompt", f], env: [] });
    } catch (err) {
      threw = err instanceof TypeError;
    }
    ok(threw, f);
  }
});
