import { deepEqual, equal, ok } from "node:assert/strict";
import { OPENAI_ENDPOINT } from "../../agent/providers/openai_compatible.ts";
import { computeRunPermissions } from "../jail/permission_flags.ts";
import { SANDBOX_AGENT_DIR, sandboxedPermissions } from "./run_contained.ts";
import { agentInBox } from "./contained_broker.ts";

const AGENT = {
  agentDir: "/home/someone/shop",
  tools: [{ name: "http_fetch", egress: ["*"] }, {
    name: "probe",
    egress: ["api.shop.example:8443"],
  }],
  target: "https://shop.example/item",
  provider: { name: "openai", endpoint: OPENAI_ENDPOINT },
};

Deno.test("sandboxedPermissions grants the declared hosts and the model host, read on /agent only", () => {
  const p = sandboxedPermissions(AGENT);
  equal(SANDBOX_AGENT_DIR, "/agent");
  deepEqual(p.net, [
    "api.openai.com:80",
    "api.openai.com:443",
    "api.shop.example:8443",
    "shop.example:80",
    "shop.example:443",
  ]);
  ok(
    p.flags.includes(
      "--allow-net=api.openai.com:80,api.openai.com:443,api.shop.example:8443,shop.example:80,shop.example:443",
    ),
    p.flags.join(" "),
  );
  ok(p.flags.includes("--allow-read=/agent"), p.flags.join(" "));
  ok(!p.flags.some((f) => f.includes("/home/someone")), "the host path never reaches the box");
  for (const k of ["ZU_SANDBOXED", "HTTPS_PROXY", "ZU_SANDBOX_NETWORK"]) ok(p.env.includes(k), k);
  // The child may read the key variable; under a broker it holds the run's phantom, never the
  // key (contained_broker_test.ts and secrets_contained_integration_test.ts check the values).
  ok(p.env.includes("OPENAI_API_KEY"));
  equal(p.flags[0], "--no-prompt");
  equal(p.flags[1], "--cached-only");
  ok(!p.flags.some((f) => /^--allow-(run|ffi|sys|write)/.test(f) || f === "-A"), p.flags.join(" "));
});

Deno.test("sandboxedPermissions keeps loopback and metadata denied but lets the proxy's private network through", () => {
  const p = sandboxedPermissions(AGENT);
  const host = computeRunPermissions(AGENT, { mode: "live" });
  const deny = p.flags.find((f) => f.startsWith("--deny-net="));
  equal(deny, `--deny-net=${p.denyNet.join(",")}`);
  for (
    const r of [
      "127.0.0.0/8",
      "169.254.0.0/16",
      "100.64.0.0/10",
      "0.0.0.0/8",
      "[::1]",
      "[fd00:ec2::254]",
    ]
  ) {
    ok(p.denyNet.includes(r), `${r} stays denied`);
  }
  for (const r of ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]) {
    ok(host.denyNet.includes(r), `${r} is denied on the host`);
    ok(!p.denyNet.includes(r), `${r} is left to the proxy inside the box`);
    const why = p.explain.find((e) => e.flag === "--deny-net" && e.value === r)?.why ?? "";
    ok(why.includes("egress proxy"), why);
  }
});

Deno.test("sandboxedPermissions grants nothing to an agent that declares no host", () => {
  const p = sandboxedPermissions({ ...AGENT, provider: { name: "scripted" }, tools: [] });
  deepEqual(p.net, []);
  ok(!p.flags.some((f) => f.startsWith("--allow-net")), p.flags.join(" "));
  ok(p.flags.some((f) => f.startsWith("--deny-net=")), p.flags.join(" "));
});

Deno.test("sandboxedPermissions of a brokered agent grants the broker's name, never the model host", () => {
  const boxed = agentInBox(AGENT, new Map([["m0", "http://zu-vault/r/m0"]]));
  const p = sandboxedPermissions(boxed);
  deepEqual(p.net, [
    "api.shop.example:8443",
    "shop.example:80",
    "shop.example:443",
    "zu-vault:80",
    "zu-vault:443",
  ]);
  ok(!p.flags.some((f) => f.includes("api.openai.com")), p.flags.join(" "));
  ok(p.env.includes("OPENAI_API_KEY"), "the key variable (holding the phantom) stays readable");
});
