import { deepEqual, equal, ok } from "node:assert/strict";
import { computeRunPermissions } from "./permission_flags.ts";
import {
  interceptHosts,
  placeholderVariables,
  proxyAllowlist,
  proxyEnv,
  withInterceptGrants,
} from "./intercept_grants.ts";
import type { SecretBinding } from "../../core/types.ts";

const BINDINGS: SecretBinding[] = [
  { secret: "GH", mode: "placeholder", hosts: ["api.github.com"], env: "GH_TOKEN" },
  { secret: "NPM", mode: "placeholder", hosts: ["*.npmjs.org"] },
  { secret: "UP", mode: "inject", hosts: ["api.github.com", "uploads.example:8443"] },
  { secret: "OPENAI", mode: "route", hosts: ["https://api.openai.com/v1"], env: "OPENAI_BASE_URL" },
];

Deno.test("placeholder variables and bound hosts come from the inject/placeholder bindings only", () => {
  deepEqual(placeholderVariables(BINDINGS), { GH_TOKEN: "GH", NPM: "NPM" });
  deepEqual(interceptHosts(BINDINGS), ["api.github.com", "*.npmjs.org", "uploads.example:8443"]);
});

Deno.test("withInterceptGrants: exactly the placeholder variables join --allow-env; undeclared bound hosts are named", () => {
  const perms = computeRunPermissions({
    agentDir: "/agents/a",
    tools: [{ name: "t", egress: ["api.github.com", "*.npmjs.org"] }],
  }, { mode: "live", broker: { hostname: "127.0.0.1", port: 4000 } });
  const p = withInterceptGrants(perms, {
    proxy: { hostname: "127.0.0.1", port: 5000 },
    hosts: interceptHosts(BINDINGS),
    placeholders: placeholderVariables(BINDINGS),
  });
  deepEqual(p.env, ["GH_TOKEN", "LOG_STREAM", "LOG_TOKENS", "NPM"]);
  equal(p.flags.at(-1), "--allow-env=GH_TOKEN,LOG_STREAM,LOG_TOKENS,NPM");
  equal(p.flags.filter((f) => f.startsWith("--allow-env")).length, 1);
  deepEqual(p.net, perms.net, "the proxy is reached without a net grant");
  const missing = p.explain.filter((e) => e.why.includes("is not declared egress"));
  deepEqual(missing.map((e) => e.why.split('"')[1]), ["uploads.example:8443"]);
  ok(p.explain.some((e) => e.why.includes("127.0.0.1:5000")));
  const loop = withInterceptGrants(perms, {
    proxy: "planned",
    hosts: ["127.0.0.1:9"],
    placeholders: {},
  });
  ok(loop.explain.some((e) => e.why.includes('"127.0.0.1:9" is on loopback')));
  deepEqual(loop.flags, perms.flags, "no placeholder, no new grant");
  equal(
    p.explain.find((e) => e.value === "NPM")?.why,
    'placeholder of secret "NPM" (the real value stays in zu)',
  );
});

Deno.test("the proxy's allowlist is the jail's grant without the model broker; NO_PROXY keeps loopback direct", () => {
  const broker = { hostname: "127.0.0.1", port: 4000 };
  const perms = computeRunPermissions({
    agentDir: "/agents/a",
    tools: [{ name: "t", egress: ["api.github.com"] }],
    provider: { name: "openai-compatible", baseUrl: "http://127.0.0.1:9/v1", apiKeyEnv: "K" },
  }, { mode: "live", broker, env: (k) => k === "K" ? "x" : undefined });
  ok(perms.net.includes("127.0.0.1:4000"), perms.net.join(","));
  deepEqual(proxyAllowlist(perms, broker), perms.net.filter((e) => e !== "127.0.0.1:4000"));
  deepEqual(proxyEnv("http://127.0.0.1:5000", "/tmp/ca.pem"), {
    HTTPS_PROXY: "http://127.0.0.1:5000",
    HTTP_PROXY: "http://127.0.0.1:5000",
    NO_PROXY: "127.0.0.1,localhost",
    DENO_CERT: "/tmp/ca.pem",
  });
});
