import assert from "node:assert/strict";
import { parseSidecarArgs, pinnedResolver } from "./sidecar.ts";

Deno.test("parseSidecarArgs reads listen, allowlist, pins, CIDRs and limits", () => {
  const c = parseSidecarArgs([
    "--listen",
    "0.0.0.0:8080",
    "--allow",
    "a.test,b.test",
    "--allow",
    "*.c.test",
    "--pin",
    "A.test=93.184.216.34,93.184.216.35",
    "--allow-cidr",
    "10.9.0.0/16",
    "--max-header-bytes",
    "8192",
    "--idle-timeout-ms",
    "1000",
  ]);
  assert.deepEqual(c, {
    hostname: "0.0.0.0",
    port: 8080,
    allowlist: ["a.test", "b.test", "*.c.test"],
    pinned: { "a.test": ["93.184.216.34", "93.184.216.35"] },
    allowCidrs: ["10.9.0.0/16"],
    limits: { maxHeaderBytes: 8192, idleTimeoutMs: 1000 },
    forwardHttp: [],
    forwardConnect: [],
  });
});

Deno.test("parseSidecarArgs refuses unknown flags, bad pins and bad numbers", () => {
  assert.throws(() => parseSidecarArgs(["--nope"]));
  assert.throws(() => parseSidecarArgs(["--pin", "a.test"]), TypeError);
  assert.throws(() => parseSidecarArgs(["--max-connections", "-1"]), TypeError);
  assert.throws(() => parseSidecarArgs(["--listen", "a:99999"]), RangeError);
});

Deno.test("pinnedResolver answers pinned names without any lookup", async () => {
  const resolve = pinnedResolver({ "a.test": ["93.184.216.34"] });
  assert.deepEqual(await resolve("a.test"), ["93.184.216.34"]);
});
