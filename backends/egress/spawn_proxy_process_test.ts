/**
 * The proxy as a real child `deno run` under the flags `permissionFlagsForProxy` computes.
 * Loopback only: the origins are `Deno.serve` on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { ProcessEgressProxy, spawnProxyProcess } from "./spawn_proxy_process.ts";
import { permissionFlagsForProxy, UNSAFE_TEST_ENV } from "./permission_flags.ts";
import { connectThenGet, rawRequest, startOrigin } from "./_test_util.ts";

Deno.test("permissionFlagsForProxy grants the listen address, hosts and pinned addresses only", () => {
  const flags = permissionFlagsForProxy({
    listen: "0.0.0.0:8080",
    allowlist: [
      "API.example.com.",
      "*.cdn.test",
      "origin.test:8443",
      "8.8.4.4",
      "[2001:db8::1]:443",
    ],
    pinned: { "api.example.com": ["93.184.216.34"], "origin.test": ["10.9.0.5"] },
  });
  assert.deepEqual(flags, [
    "--allow-net=0.0.0.0:8080,api.example.com:80,api.example.com:443,93.184.216.34:80," +
    "93.184.216.34:443,*.cdn.test,origin.test:8443,10.9.0.5:8443,8.8.4.4:80," +
    "8.8.4.4:443,[2001:db8::1]:443",
    `--allow-env=${UNSAFE_TEST_ENV}`,
  ]);
  for (const f of flags) assert.doesNotMatch(f, /--allow-(read|write|run|ffi|sys|all)|^-A$/);
});

Deno.test("The proxy child runs with exactly the computed flags and refuses loopback itself", async () => {
  const origin = startOrigin();
  const proxy = await spawnProxyProcess({ allowlist: [`127.0.0.1:${origin.port}`] });
  try {
    assert.deepEqual(proxy.flags, [
      `--allow-net=127.0.0.1:0,127.0.0.1:${origin.port}`,
      `--allow-env=${UNSAFE_TEST_ENV}`,
    ]);
    assert.ok(proxy.args.includes("--no-prompt") && proxy.args.includes("--cached-only"));
    // With its checks on, the proxy refuses loopback before Deno is even asked.
    const { head } = await connectThenGet(proxy.port, `127.0.0.1:${origin.port}`);
    assert.match(head, /^HTTP\/1\.1 403/);
  } finally {
    await proxy.close();
    await origin.close();
  }
  const d = proxy.connections();
  assert.equal(d.length, 1);
  assert.equal(d[0]!.reason, "blocked_address");
  assert.deepEqual(origin.hits, []);
});

Deno.test("A deliberately broken allowlist check is still stopped by Deno's --allow-net", async () => {
  const declared = startOrigin();
  const undeclared = startOrigin();
  const ready: Record<string, unknown>[] = [];
  const proxy = await spawnProxyProcess({
    allowlist: [`127.0.0.1:${declared.port}`],
    env: { [UNSAFE_TEST_ENV]: "1" },
    onLine: (l) => l.event === "proxy.ready" && ready.push(l),
  });
  try {
    assert.equal(ready[0]!.unsafe_test_allow_all, true);
    // The broken proxy lets everything through its own checks; the declared port works ...
    const ok = await connectThenGet(proxy.port, `127.0.0.1:${declared.port}`);
    assert.match(ok.head, /^HTTP\/1\.1 200/);
    assert.match(ok.body, /origin ok GET \/inside/);
    const okAbs = await rawRequest(
      proxy.port,
      `GET http://127.0.0.1:${declared.port}/abs HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    assert.match(okAbs, /origin ok GET \/abs/);
    // ... and the undeclared port on the same address is refused by Deno, on both forms.
    const denied = await connectThenGet(proxy.port, `127.0.0.1:${undeclared.port}`);
    assert.match(denied.head, /^HTTP\/1\.1 403/);
    const deniedAbs = await rawRequest(
      proxy.port,
      `GET http://127.0.0.1:${undeclared.port}/abs HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    assert.match(deniedAbs, /^HTTP\/1\.1 403/);
  } finally {
    await proxy.close();
    await declared.close();
    await undeclared.close();
  }
  assert.deepEqual(undeclared.hits, []);
  assert.deepEqual(declared.hits, ["GET /inside", "GET /abs"]);
  const reasons = proxy.connections().map((d) => [d.allowed, d.reason]);
  assert.deepEqual(reasons, [
    [true, "unsafe_test_allow_all"],
    [true, "unsafe_test_allow_all"],
    [false, "runtime_permission"],
    [false, "runtime_permission"],
  ]);
  assert.match(String(proxy.connections()[2]!.detail), /NotCapable|Requires net access/);
});

Deno.test("spawnProxyProcess pins names once at start and grants only passing addresses", async () => {
  const asked: string[] = [];
  const proxy = await spawnProxyProcess({
    allowlist: ["good.test", "rebind.test", "gone.test", "*.wild.test"],
    resolver: (h) => {
      asked.push(h);
      if (h === "good.test") return Promise.resolve(["93.184.216.34"]);
      if (h === "rebind.test") return Promise.resolve(["10.0.0.7"]);
      return Promise.reject(new Error("NXDOMAIN"));
    },
  });
  try {
    assert.deepEqual(asked, ["good.test", "rebind.test", "gone.test"]);
    assert.equal(
      proxy.flags[0],
      "--allow-net=127.0.0.1:0,good.test:80,good.test:443,93.184.216.34:80,93.184.216.34:443," +
        "rebind.test:80,rebind.test:443,gone.test:80,gone.test:443,*.wild.test",
    );
    assert.deepEqual(proxy.pinned, { "good.test": ["93.184.216.34"], "rebind.test": ["10.0.0.7"] });
    // The child judges the pinned private answer itself and refuses it.
    assert.match((await connectThenGet(proxy.port, "rebind.test:443")).head, /^HTTP\/1\.1 403/);
  } finally {
    await proxy.close();
  }
  assert.equal(proxy.connections()[0]!.reason, "blocked_resolution");
});

Deno.test("ProcessEgressProxy launches a child proxy through the EgressProxy port", async () => {
  // The resolver is the test's: no query leaves the machine.
  const resolver = (h: string) => Promise.reject(new Error(`NXDOMAIN ${h}`));
  const handle = await new ProcessEgressProxy({ resolver }).launch({
    allowlist: ["offlist-is-not-this.test"],
    listen: "127.0.0.1:0",
  });
  try {
    assert.equal(handle.host, "127.0.0.1");
    const reply = await rawRequest(
      handle.port,
      "GET http://other.test/ HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert.match(reply, /^HTTP\/1\.1 403/);
  } finally {
    await handle.close();
  }
  assert.equal(handle.connections()[0]!.reason, "not_allowlisted");
});
