import { deepEqual, equal, ok } from "node:assert/strict";
import { ANTHROPIC_ENDPOINT } from "../../agent/providers/anthropic.ts";
import { OPENAI_ENDPOINT } from "../../agent/providers/openai_compatible.ts";
import { NO_ENDPOINT } from "../../agent/builtins.ts";
import { BROKER_WHY, computeRunPermissions, netEntryOfUrl } from "./permission_flags.ts";

function flag(flags: string[], name: string): string | undefined {
  return flags.find((f) => f === name || f.startsWith(`${name}=`));
}

Deno.test("open egress grants the task target and allowed_domains, never a blanket --allow-net", () => {
  const p = computeRunPermissions({
    agentDir: "/a",
    tools: [{ name: "http_fetch", egress: new Set(["*"]) }, { name: "recall" }],
    target: "https://Shop.Example/item/42",
    allowedDomains: ["*.cdn.example", "api.shop.example"],
    provider: { name: "scripted" },
  }, { mode: "live" });
  equal(
    flag(p.flags, "--allow-net"),
    "--allow-net=*.cdn.example:80,*.cdn.example:443,api.shop.example:80,api.shop.example:443," +
      "shop.example:80,shop.example:443",
  );
  ok(!p.flags.includes("--allow-net"));
  ok(!p.flags.some((f) => /^--allow-(run|ffi|sys|all)|^-A$/.test(f)));
  ok(p.flags.includes("--no-prompt") && p.flags.includes("--cached-only"));
});

Deno.test("the provider's host and key env come from the provider, its base URL env or its declared endpoint", () => {
  const openai = computeRunPermissions({
    agentDir: "/a",
    tools: [],
    provider: { name: "openai-compatible", endpoint: OPENAI_ENDPOINT },
  }, {
    mode: "live",
  });
  // Without a broker (a caller that passes none): the host and the variables are granted.
  equal(flag(openai.flags, "--allow-net"), "--allow-net=api.openai.com:80,api.openai.com:443");
  equal(
    flag(openai.flags, "--allow-env"),
    "--allow-env=LOG_STREAM,LOG_TOKENS,OPENAI_API_KEY,OPENAI_BASE_URL",
  );
  const custom = computeRunPermissions({
    agentDir: "/a",
    tools: [],
    provider: {
      name: "openai-compatible",
      apiKeyEnv: "MY_KEY",
      baseUrlEnv: "MY_BASE",
      endpoint: OPENAI_ENDPOINT,
    },
  }, { mode: "live", env: (k) => k === "MY_BASE" ? "http://127.0.0.1:8181/v1" : undefined });
  equal(flag(custom.flags, "--allow-net"), "--allow-net=127.0.0.1:8181");
  equal(flag(custom.flags, "--allow-env"), "--allow-env=LOG_STREAM,LOG_TOKENS,MY_BASE,MY_KEY");
  const anthropic = computeRunPermissions({
    agentDir: "/a",
    tools: [],
    provider: { name: "anthropic", endpoint: ANTHROPIC_ENDPOINT },
  }, {
    mode: "live",
  });
  equal(
    flag(anthropic.flags, "--allow-net"),
    "--allow-net=api.anthropic.com:80,api.anthropic.com:443",
  );
});

Deno.test("with the model broker the provider's host and key variables are not granted, the broker's port is", () => {
  const agent = {
    agentDir: "/a",
    tools: [{ name: "http_fetch", egress: ["*"] }],
    target: "https://shop.example/",
    provider: { name: "openai-compatible", endpoint: OPENAI_ENDPOINT },
    extraProviders: [{
      name: "anthropic",
      endpoint: ANTHROPIC_ENDPOINT,
      baseUrlEnv: "LOCAL_CLAUDE",
      tier: 2,
    }],
  };
  const env = (k: string) => k === "LOCAL_CLAUDE" ? "http://127.0.0.1:9911" : undefined;
  const p = computeRunPermissions(agent, {
    mode: "live",
    env,
    broker: { hostname: "127.0.0.1", port: 4545 },
  });
  equal(
    flag(p.flags, "--allow-net"),
    "--allow-net=127.0.0.1:4545,shop.example:80,shop.example:443",
  );
  equal(flag(p.flags, "--allow-env"), "--allow-env=LOG_STREAM,LOG_TOKENS");
  ok(!p.flags.join(" ").includes("api.openai.com") && !p.flags.join(" ").includes("9911"));
  ok(!/OPENAI|ANTHROPIC|LOCAL_CLAUDE/.test(p.flags.join(" ")), p.flags.join(" "));
  ok(
    !p.denyNet.includes("127.0.0.0/8"),
    "loopback is not denied: only the broker's port is allowed",
  );
  equal(p.explain.find((e) => e.value === "127.0.0.1:4545")?.why, BROKER_WHY);
  ok(p.explain.some((e) => /"api\.openai\.com" is not granted, the model broker/.test(e.why)));
  const planned = computeRunPermissions(agent, { mode: "live", env, broker: "planned" });
  ok(planned.flags.includes("--allow-net=127.0.0.1:<port>,shop.example:80,shop.example:443"));
  const scripted = computeRunPermissions({
    agentDir: "/a",
    tools: [],
    provider: { name: "scripted", endpoint: NO_ENDPOINT },
  }, {
    mode: "live",
    broker: "planned",
  });
  equal(
    flag(scripted.flags, "--allow-net"),
    undefined,
    "no provider calls an API: no broker grant",
  );
  const named = computeRunPermissions({ ...agent, tools: [] }, {
    mode: "live",
    env,
    broker: { hostname: "zu-vault", port: 80 },
  });
  equal(flag(named.flags, "--allow-net"), "--allow-net=zu-vault:80");
  ok(named.denyNet.includes("127.0.0.0/8"), "a named broker lifts no range");
  const offline = computeRunPermissions(agent, { mode: "offline", env, broker: "planned" });
  equal(flag(offline.flags, "--allow-net"), undefined);
});

Deno.test("a provider is never guessed from its name: one that declares no endpoint gets no host and no key", () => {
  const p = computeRunPermissions({
    agentDir: "/a",
    tools: [],
    provider: { name: "claude-but-not-really" },
  }, { mode: "live" });
  equal(flag(p.flags, "--allow-net"), undefined);
  equal(flag(p.flags, "--allow-env"), "--allow-env=LOG_STREAM,LOG_TOKENS");
  ok(p.explain.some((e) => e.why.includes("declares no default endpoint")));
});

Deno.test("offline runs get no network flag at all and still no run, ffi or sys", () => {
  const p = computeRunPermissions({
    agentDir: "/a",
    tools: [{ name: "http_fetch", egress: ["*"] }],
    target: "https://shop.example/",
    provider: { name: "openai-compatible" },
  }, { mode: "offline" });
  equal(flag(p.flags, "--allow-net"), undefined);
  equal(flag(p.flags, "--deny-net"), undefined);
  deepEqual(p.net, []);
  ok(!p.flags.some((f) => /^--allow-(run|ffi|sys|all)|^-A$/.test(f)));
});

Deno.test("a declared loopback host lifts only the loopback deny; metadata ranges stay denied", () => {
  const p = computeRunPermissions({
    agentDir: "/a",
    tools: [{ name: "probe", egress: ["127.0.0.1:8080", "169.254.169.254"] }],
  }, { mode: "live" });
  ok(!p.denyNet.includes("127.0.0.0/8"));
  ok(p.denyNet.includes("169.254.0.0/16"));
  ok(p.denyNet.includes("10.0.0.0/8"));
  ok(p.denyNet.includes("0.0.0.0/8"));
  const plain = computeRunPermissions({
    agentDir: "/a",
    tools: [{ name: "t", egress: ["shop.example"] }],
  }, {
    mode: "live",
  });
  ok(plain.denyNet.includes("127.0.0.0/8") && plain.denyNet.includes("[::1]"));
});

Deno.test("names resolved by the host add their pinned addresses with the same port", () => {
  const p = computeRunPermissions({
    agentDir: "/a",
    tools: [{ name: "t", egress: ["shop.example", "api.example:8443"] }],
  }, {
    mode: "live",
    resolved: {
      "shop.example": ["93.184.216.34", "2606:2800:220:1::1"],
      "api.example": ["93.184.216.35"],
    },
  });
  deepEqual(p.net, [
    "93.184.216.34:80",
    "93.184.216.34:443",
    "93.184.216.35:8443",
    "[2606:2800:220:1::1]:80",
    "[2606:2800:220:1::1]:443",
    "api.example:8443",
    "shop.example:80",
    "shop.example:443",
  ]);
});

Deno.test("reads are limited to the agent directory and writes to the given outputs", () => {
  const p = computeRunPermissions({ agentDir: "/agents/a", tools: [] }, {
    mode: "offline",
    writePaths: ["/out/capture.json"],
  });
  equal(flag(p.flags, "--allow-read"), "--allow-read=/agents/a");
  equal(flag(p.flags, "--allow-write"), "--allow-write=/out/capture.json");
  const none = computeRunPermissions({ agentDir: "/agents/a", tools: [] }, { mode: "offline" });
  equal(flag(none.flags, "--allow-write"), undefined);
  equal(flag(none.flags, "--allow-env"), "--allow-env=LOG_STREAM,LOG_TOKENS");
});

Deno.test("netEntryOfUrl keeps a non-default port and brackets IPv6", () => {
  equal(netEntryOfUrl("https://a.example/x"), "a.example");
  equal(netEntryOfUrl("http://a.example:8080/x"), "a.example:8080");
  equal(netEntryOfUrl("http://[::1]:9/"), "[::1]:9");
  equal(netEntryOfUrl("not a url"), null);
});

Deno.test("the jail never grants a refused literal in any encoding, and says why", () => {
  const p = computeRunPermissions({
    agentDir: "/a",
    tools: [{
      name: "probe",
      egress: [
        "[::ffff:127.0.0.1]:8080",
        "[::ffff:169.254.169.254]",
        "2130706433:8080",
        "0x7f000001:8080",
        "[::127.0.0.1]:8080",
        "[64:ff9b::7f00:1]:8080",
        "[2002:7f00:1::]:8080",
        "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
        "[fd12::1]",
        "[fe80::1]",
        "169.254.169.254",
        "0.0.0.0:8080",
        "localhost:8080",
        "*",
      ],
    }],
    allowedDomains: ["10.0.0.5", "127.0.0.1:9"],
    target: "http://192.168.1.1/",
  }, { mode: "live" });
  deepEqual(p.net, []);
  equal(flag(p.flags, "--allow-net"), undefined);
  equal(p.refused.length, 16);
  ok(p.refused.every((r) => r.why.startsWith("refused, never granted")));
  ok(p.denyNet.includes("127.0.0.0/8") && p.denyNet.includes("169.254.0.0/16"));
});

Deno.test("a canonical loopback literal a tool declares is granted on its port only", () => {
  const p = computeRunPermissions({
    agentDir: "/a",
    tools: [{ name: "probe", egress: ["127.0.0.1:8080", "[::1]:8081"] }],
  }, { mode: "live" });
  deepEqual(p.net, ["127.0.0.1:8080", "[::1]:8081"]);
  ok(!p.denyNet.includes("127.0.0.0/8") && !p.denyNet.includes("[::1]"));
});

Deno.test("a declared name with any refused answer is not granted, nor are its addresses", () => {
  const p = computeRunPermissions({
    agentDir: "/a",
    tools: [{ name: "t", egress: ["good.example", "rebind.example", "nat64.example"] }],
  }, {
    mode: "live",
    resolved: {
      "good.example": ["93.184.216.34"],
      "rebind.example": ["93.184.216.35", "::ffff:127.0.0.1"],
      "nat64.example": ["64:ff9b::a9fe:a9fe"],
    },
  });
  deepEqual(p.net, [
    "93.184.216.34:80",
    "93.184.216.34:443",
    "good.example:80",
    "good.example:443",
  ]);
  deepEqual(p.refused.map((r) => r.value), [
    "rebind.example:80,rebind.example:443",
    "nat64.example:80,nat64.example:443",
  ]);
});

Deno.test("the tools' allow_cidrs open the jail exactly as they open http_fetch, never for loopback", () => {
  const p = computeRunPermissions({
    agentDir: "/a",
    tools: [{ name: "http_fetch", egress: ["*"] }],
    allowedDomains: ["10.20.0.5:8080", "intranet.example", "127.0.0.1:8081"],
    addressPolicy: { allowCidrs: ["10.20.0.0/16", "127.0.0.0/8"] },
  }, { mode: "live", resolved: { "intranet.example": ["10.20.0.6"] } });
  deepEqual(p.net, [
    "10.20.0.5:8080",
    "10.20.0.6:80",
    "10.20.0.6:443",
    "intranet.example:80",
    "intranet.example:443",
  ]);
  ok(!p.denyNet.includes("10.0.0.0/8"), "the granted private addresses are not denied");
  ok(p.denyNet.includes("127.0.0.0/8"));
  equal(p.refused.length, 1);
});
