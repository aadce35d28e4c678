import { equal, ok } from "node:assert/strict";
import { AUTH_ENDPOINTS, isAuthEndpoint, normalizePath } from "./auth_endpoints.ts";

Deno.test("AUTH_ENDPOINTS covers the provider login and token endpoints, tricks included", () => {
  const hit = (h: string, p: string) => isAuthEndpoint(AUTH_ENDPOINTS, h, p);
  ok(hit("github.com", "/login/oauth/access_token"));
  ok(hit("github.com", "/login/oauth/access_token?client_id=x"));
  ok(hit("github.com", "/LOGIN/oauth//%61ccess_token"));
  ok(hit("github.com", "/x/../login/device/code"));
  ok(hit("oauth2.googleapis.com", "/token"));
  ok(hit("auth.openai.com", "/anything"));
  ok(hit("console.anthropic.com", "/v1/oauth/token"));
  ok(!hit("github.com", "/login/oauth/access_tokens"));
  ok(!hit("api.github.com", "/login/oauth/access_token"));
  ok(!hit("oauth2.googleapis.com", "/tokeninfo"));
  ok(!hit("console.anthropic.com", "/v1/messages"));
});

Deno.test("normalizePath decodes, lower-cases and resolves dot segments", () => {
  equal(normalizePath("/a/./b/../c/"), "/a/c");
  equal(normalizePath("/%2e%2e/%2E%2E/x"), "/x");
  equal(normalizePath(""), "/");
});
