import assert from "node:assert/strict";
import { sandboxedPermissions } from "./run_contained.ts";
import { CLEARANCE_JAIL_WHY } from "../../backends/egress/clearance_grant.ts";

const JAIL = {
  agentDir: "/home/me/shop",
  tools: [{ name: "http_fetch", egress: ["*"] }],
  target: "https://shop.example/",
};

Deno.test("sandboxedPermissions widens --allow-net only with clearance, and says why", () => {
  const plain = sandboxedPermissions(JAIL);
  assert.ok(plain.flags.some((f) => f.startsWith("--allow-net=shop.example")));
  assert.ok(!plain.flags.includes("--allow-net"));
  assert.ok(!plain.explain.some((e) => e.why === CLEARANCE_JAIL_WHY));

  const cleared = sandboxedPermissions(JAIL, { clearance: true });
  assert.ok(cleared.flags.includes("--allow-net"));
  assert.ok(!cleared.flags.some((f) => f.startsWith("--allow-net=")));
  // The deny list stays (loopback, metadata, ...); the proxy allowlist (`net`) is unchanged.
  assert.deepEqual(
    cleared.flags.find((f) => f.startsWith("--deny-net=")),
    plain.flags.find((f) => f.startsWith("--deny-net=")),
  );
  assert.ok(cleared.flags.find((f) => f.startsWith("--deny-net="))!.includes("127.0.0.0/8"));
  assert.deepEqual(cleared.net, plain.net);
  assert.ok(cleared.explain.some((e) => e.flag === "--allow-net" && e.why === CLEARANCE_JAIL_WHY));
  // The flag order is stable: --allow-net where the scoped one was.
  assert.equal(
    cleared.flags.indexOf("--allow-net"),
    plain.flags.findIndex((f) => f.startsWith("--allow-net=")),
  );
});
