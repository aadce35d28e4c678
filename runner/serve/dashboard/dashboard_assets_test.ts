import { equal, ok } from "node:assert/strict";
import { fakeLauncher } from "../fake_launcher_test_util.ts";
import { startZuServer } from "../zu_server.ts";
import { DASHBOARD_CSP, DASHBOARD_PATHS, dashboardAsset } from "./dashboard_assets.ts";
import { DASHBOARD_HTML } from "./dashboard_html.ts";
import { DASHBOARD_JS } from "./dashboard_js.ts";

const TOKEN = "test-token-0123456789abcdef";

Deno.test("the dashboard script parses, never uses innerHTML, and the page has no inline code", () => {
  // Syntax check only: the function is never called.
  new Function(DASHBOARD_JS);
  for (const bad of ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("]) {
    ok(!DASHBOARD_JS.includes(bad), bad);
  }
  ok(!/<script(?![^>]*\bsrc=)/i.test(DASHBOARD_HTML), "inline script");
  ok(!/<style|\sstyle=|\son[a-z]+=/i.test(DASHBOARD_HTML), "inline style or handler");
  ok(!/https?:\/\//.test(DASHBOARD_HTML + DASHBOARD_JS), "an absolute URL");
});

Deno.test("dashboard answers carry the strict headers; other paths are not the dashboard's", async () => {
  for (const path of DASHBOARD_PATHS) {
    const res = dashboardAsset("GET", path)!;
    equal(res.status, 200);
    equal(res.headers.get("content-security-policy"), DASHBOARD_CSP);
    ok(DASHBOARD_CSP.startsWith("default-src 'self'"));
    equal(res.headers.get("x-frame-options"), "DENY");
    equal(res.headers.get("referrer-policy"), "no-referrer");
    equal(res.headers.get("x-content-type-options"), "nosniff");
    ok((await res.text()).length > 100);
  }
  equal(
    dashboardAsset("GET", "/ui/app.js")!.headers.get("content-type"),
    "text/javascript; charset=utf-8",
  );
  equal(dashboardAsset("POST", "/"), null);
  equal(dashboardAsset("GET", "/ui/other.js"), null);
  equal(dashboardAsset("GET", "/index.html"), null);
});

Deno.test("zu serve answers the dashboard without a token, after the Host check, and can leave it out", async () => {
  const { launcher } = fakeLauncher();
  await using server = await startZuServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    token: TOKEN,
    launcher,
  });
  const page = await fetch(`${server.url}/`);
  equal(page.status, 200);
  equal(page.headers.get("x-frame-options"), "DENY");
  ok((await page.text()).includes("/ui/app.js"));
  const api = await fetch(`${server.url}/v1/runs`);
  equal(api.status, 401);
  await api.body?.cancel();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port! });
  await conn.write(
    new TextEncoder().encode(
      "GET / HTTP/1.1\r\nHost: rebound.example\r\nConnection: close\r\n\r\n",
    ),
  );
  equal(
    (await new Response(conn.readable).text()).split("\r\n")[0],
    "HTTP/1.1 421 Misdirected Request",
  );

  await using bare = await startZuServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    token: TOKEN,
    launcher,
    dashboard: false,
  });
  const none = await fetch(`${bare.url}/`);
  equal(none.status, 401);
  await none.body?.cancel();
});
