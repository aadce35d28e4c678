/**
 * Every address form the host policy refuses is refused by a REAL jailed child: the agent
 * declares the form (or a name the host resolved to it) as a tool's egress, the jail's flag
 * builder computes the flags, and a child `deno run` under those flags tries to fetch a loopback
 * origin server through that form. (A canonical loopback or private literal in a tool's own
 * `egress` is the operator's explicit grant; the same address through `allowed_domains`, in
 * another encoding, or as a resolved answer is refused.) A control shows the origin is reachable when its canonical
 * literal is declared, so each refusal is Deno's, not a dead route.
 *
 * A test file at the root: it composes the jail (backends/permissions) with core's policy.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { runInJail } from "./child_runner.ts";
import { computeRunPermissions } from "./permission_flags.ts";

const PROBE = new URL("./testdata/probe_entry.ts", import.meta.url);
const HERE = new URL("./", import.meta.url).pathname;

function origin(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("origin"),
  );
}

async function fetchInJail(
  declared: string,
  url: string,
  resolved?: Record<string, string[]>,
): Promise<{ observation: Record<string, unknown>; net: string[]; refused: string[] }> {
  const perms = computeRunPermissions({
    agentDir: HERE,
    tools: [{ name: "probe", egress: [declared] }],
    provider: { name: "scripted" },
  }, { mode: "live", ...(resolved ? { resolved } : {}) });
  const r = await runInJail(PROBE, ["fetch", url], perms);
  const observation =
    (r.result as { observation?: Record<string, unknown> } | undefined)?.observation ?? {};
  equal(r.code, 0, r.stderr);
  return { observation, net: perms.net, refused: perms.refused.map((x: { why: string }) => x.why) };
}

Deno.test("control: a declared canonical loopback literal reaches the origin on its port", async () => {
  await using srv = origin();
  const port = srv.addr.port;
  const r = await fetchInJail(`127.0.0.1:${port}`, `http://127.0.0.1:${port}/`);
  deepEqual(r.observation, { status: 200, text: "origin" });
});

/** [form name, host as declared and as written in the URL]. */
const FORMS: ReadonlyArray<readonly [string, string]> = [
  ["IPv4-mapped loopback", "[::ffff:127.0.0.1]"],
  ["IPv4-mapped metadata", "[::ffff:169.254.169.254]"],
  ["IPv4-compatible loopback", "[::127.0.0.1]"],
  ["NAT64 loopback", "[64:ff9b::7f00:1]"],
  ["6to4 loopback", "[2002:7f00:1::]"],
  ["Teredo", "[2001:0:4136:e378:8000:63bf:3fff:fdd2]"],
  ["unique-local (ULA)", "[fd12::1]"],
  ["IPv6 link-local", "[fe80::1]"],
  ["IPv4 link-local", "169.254.1.1"],
  ["metadata", "169.254.169.254"],
  ["IPv6 metadata", "[fd00:ec2::254]"],
  ["octal private", "012.0.0.5"],
  ["IPv4-mapped private", "[::ffff:10.0.0.5]"],
  ["decimal loopback", "2130706433"],
  ["hex loopback", "0x7f000001"],
  ["octal loopback", "0177.0.0.1"],
  ["unspecified", "0.0.0.0"],
  ["loopback by name", "localhost"],
];

for (const [form, host] of FORMS) {
  Deno.test(`a jailed child is refused the ${form} form "${host}" of a loopback origin`, async () => {
    await using srv = origin();
    const port = srv.addr.port;
    const r = await fetchInJail(`${host}:${port}`, `http://${host}:${port}/`);
    deepEqual(r.net, [], "nothing is granted");
    ok(r.refused.length === 1 && r.refused[0]!.startsWith("refused, never granted"), r.refused[0]);
    equal(r.observation.blocked, "runtime_permission", JSON.stringify(r.observation));
    ok(r.observation.status === undefined, JSON.stringify(r.observation));
  });
}

for (
  const [form, answer] of [
    ["loopback", "127.0.0.1"],
    ["IPv4-mapped loopback", "::ffff:127.0.0.1"],
    ["NAT64 loopback", "64:ff9b::7f00:1"],
  ] as const
) {
  Deno.test(`a declared name the host resolved to ${form} (${answer}) is not granted and the child is refused`, async () => {
    await using srv = origin();
    const port = srv.addr.port;
    const r = await fetchInJail(`origin.test:${port}`, `http://origin.test:${port}/`, {
      "origin.test": ["93.184.216.34", answer],
    });
    deepEqual(r.net, []);
    equal(r.observation.blocked, "runtime_permission", JSON.stringify(r.observation));
  });
}

for (
  const [form, host] of [["private", "10.0.0.5"], ["carrier-grade NAT", "100.64.0.1"]] as const
) {
  Deno.test(`a ${form} address reached through allowed_domains is refused to a jailed child`, async () => {
    await using srv = origin();
    const port = srv.addr.port;
    const perms = computeRunPermissions({
      agentDir: HERE,
      tools: [{ name: "http_fetch", egress: ["*"] }],
      allowedDomains: [`${host}:${port}`],
      provider: { name: "scripted" },
    }, { mode: "live" });
    deepEqual(perms.net, []);
    const r = await runInJail(PROBE, ["fetch", `http://${host}:${port}/`], perms);
    const obs = (r.result as { observation?: Record<string, unknown> } | undefined)?.observation;
    equal(obs?.blocked, "runtime_permission", JSON.stringify(obs));
  });
}
