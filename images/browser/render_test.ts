import assert from "node:assert/strict";
import { InvalidActionError } from "./actions.ts";
import { parseRenderArgs, render } from "./render.ts";
import { serveSite } from "./testdata/site.ts";
import { HOST_CHROMIUM, ignoreWithoutChromium } from "./_test_chromium.ts";

const launch = { executablePath: HOST_CHROMIUM, proxy: null };
const ignore = ignoreWithoutChromium();

async function withSite(fn: (base: string) => Promise<void>): Promise<void> {
  const ac = new AbortController();
  const site = serveSite({ signal: ac.signal });
  try {
    await fn(`http://127.0.0.1:${site.port}`);
  } finally {
    ac.abort();
    await site.finished;
  }
}

Deno.test("parseRenderArgs reads zu-render's flags", () => {
  const o = parseRenderArgs([
    "https://shop.test/",
    "--width",
    "800",
    "--wait-until",
    "networkidle",
    "--actions",
    '[{"click":"#go"}]',
    "--capture-network",
  ]);
  assert.equal(o.url, "https://shop.test/");
  assert.equal(o.width, 800);
  assert.equal(o.waitUntil, "networkidle");
  assert.deepEqual(o.actions, [{ verb: "click", selector: "#go" }]);
  assert.equal(o.captureNetwork, true);
});

Deno.test("parseRenderArgs rejects stray action keys and non-http URLs", () => {
  assert.throws(
    () => parseRenderArgs(["https://a.test/", "--actions", '[{"click":"#a","js":"x"}]']),
    InvalidActionError,
  );
  assert.throws(() => parseRenderArgs(["file:///etc/passwd"]), TypeError);
  assert.throws(() => parseRenderArgs(["https://a.test/", "--wait-until", "never"]), TypeError);
});

Deno.test({
  name: "render sees the price that JavaScript writes",
  ignore,
  fn: () =>
    withSite(async (base) => {
      const obs = await render({ url: `${base}/`, launch });
      assert.equal(obs["status"], 200);
      assert.equal(obs["url"], `${base}/`);
      assert.match(String(obs["text"]), /Price: \$42\.00/);
      assert.match(String(obs["html"]), /Price: \$42\.00/);
      assert.equal(obs["action_error"], undefined);
    }),
});

Deno.test({
  name: "render fills a form, selects, clicks near a label and reads the result",
  ignore,
  fn: () =>
    withSite(async (base) => {
      const obs = await render({
        url: `${base}/form`,
        launch,
        actions: [
          { verb: "fill", selector: "#name", value: "Ada" },
          { verb: "select", selector: "#size", value: "Large" },
          { verb: "click", selector: "button.go", near: "Order" },
        ],
      });
      assert.match(String(obs["text"]), /Ordered l for Ada/);
    }),
});

Deno.test({
  name: "render reports a missed target as a soft action error and still observes",
  ignore,
  fn: () =>
    withSite(async (base) => {
      const obs = await render({
        url: `${base}/`,
        launch,
        actions: [{ verb: "click", selector: "#missing" }],
      });
      assert.equal(obs["action_error_kind"], "soft");
      assert.match(String(obs["action_error"]), /#missing/);
      assert.match(String(obs["text"]), /Price: \$42\.00/);
    }),
});

Deno.test({
  name: "render captures XHR bodies and the request list when asked",
  ignore,
  fn: () =>
    withSite(async (base) => {
      const obs = await render({
        url: `${base}/xhr`,
        launch,
        captureNetwork: true,
        waitUntil: "networkidle",
      });
      assert.match(String(obs["text"]), /Price: 19\.99/);
      assert.match(String(obs["content"]), /"sku":"W-1"/);
      const network = obs["network"] as Array<Record<string, unknown>>;
      assert.ok(
        network.some((n) => String(n["url"]).endsWith("/api/price") && n["status"] === 200),
      );
    }),
});

Deno.test({
  name: "zu-render as a process prints exactly one JSON observation",
  ignore,
  fn: () =>
    withSite(async (base) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--allow-all",
          new URL("./render.ts", import.meta.url).pathname,
          `${base}/`,
        ],
        env: { ZU_CHROMIUM: HOST_CHROMIUM },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
      assert.equal(lines.length, 1);
      const obs = JSON.parse(lines[0]!);
      assert.match(obs.text, /Price: \$42\.00/);
      const bad = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--allow-all",
          new URL("./render.ts", import.meta.url).pathname,
          `${base}/`,
          "--actions",
          '[{"click":"#a","eval":"1"}]',
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(JSON.parse(new TextDecoder().decode(bad.stdout)).blocked, "invalid_action");
    }),
});
