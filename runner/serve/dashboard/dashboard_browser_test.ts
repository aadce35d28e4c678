/**
 * The dashboard in a real headless Chromium (Debian's, through playwright-core) against a real
 * `zu serve`: a request held by a real egress proxy's clearance desk is shown on the page and an
 * Allow click releases it to a loopback upstream; the runs list and a run's timeline render from
 * a fake run's events; hostile text is shown harmless; a wrong token says so; nothing but the
 * server is ever requested. Without Chromium (and without `ZU_REQUIRE_BROWSER`) it is ignored
 * with a printed reason.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import type { BrowserContext, Page } from "playwright-core";
import { defaultChromium, launchChromium } from "../../../images/browser/chromium.ts";
import { ClearanceDesk } from "../../../backends/egress/clearance/clearance_desk.ts";
import { startEgressProxy } from "../../../backends/egress/egress_proxy.ts";
import { type Event, newEvent } from "../../../core/events.ts";
import type { ClearancePending, PendingSource, PendingVerdict } from "../../../core/types.ts";
import { startRecordingUpstream } from "../../../testing/recording_upstream.ts";
import { deskPendingSource } from "../desk_pending_source.ts";
import { combinePendingSources } from "../pending_source.ts";
import { fakeLauncher } from "../fake_launcher_test_util.ts";
import type { RunLauncher } from "../run_registry.ts";
import { startZuServer } from "../zu_server.ts";

const TOKEN = "dash-token-0123456789abcdef";
const WAIT = { timeout: 15_000 };
/** ESC, CSI, C0/C1 controls, NUL, bidi overrides and isolates, zero-width and line separators. */
// deno-lint-ignore no-control-regex -- the test looks for control characters
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
const HOSTILE_HOST = "evil\u001b[2J\u202egro.test\u0000\u2066x";
const HOSTILE_TEXT = "pwn\u001b]8;;http://x\u0007\u202ecod.exe\u0000\r\nFAKE: approved";

function chromiumMissing(): string | null {
  const path = Deno.env.get("ZU_CHROMIUM") ?? defaultChromium();
  try {
    if (Deno.statSync(path).isFile) return null;
  } catch { /* missing */ }
  return `"${path}" is missing (apt-get install chromium)`;
}

const missing = chromiumMissing();
const ignore = missing !== null && !Deno.env.get("ZU_REQUIRE_BROWSER");
if (ignore) {
  console.error(
    `dashboard browser tests ignored: ${missing}; set ZU_REQUIRE_BROWSER=1 to fail instead`,
  );
}

/** Every URL any page of `ctx` requested. */
function requestLog(ctx: BrowserContext): string[] {
  const urls: string[] = [];
  ctx.on("request", (r) => urls.push(r.url()));
  return urls;
}

/** Console errors (a CSP violation shows up here). */
function consoleErrors(page: Page, expected?: RegExp): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    // Chromium logs every failed fetch; the ones a step provokes on purpose are expected.
    if (/401 \(Unauthorized\)/.test(m.text()) || expected?.test(m.text())) return;
    errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  return errors;
}

/** A plain-HTTP request through the proxy; the whole answer (the proxy closes after it). */
async function viaProxy(port: number, host: string, path: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(
      `GET http://${host}${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    ),
  );
  return await new Response(conn.readable).text();
}

/** Waits until the timeline has exactly `n` rows. */
async function timelineOf(page: Page, n: number): Promise<void> {
  await page.locator("#timeline li").nth(n - 1).waitFor(WAIT);
  equal(await page.locator("#timeline li").count(), n);
}

/** {@link fakeLauncher} plus a way to append any event to the last run started. */
function hostileLauncher(): ReturnType<typeof fakeLauncher> & { raw(e: Event): void } {
  const fake = fakeLauncher();
  let raw: (e: Event) => void = () => {
    throw new Error("no run yet");
  };
  const launcher: RunLauncher = async (request) => {
    const prepared = await fake.launcher(request);
    return {
      run: (ctx) => {
        raw = ctx.onEvent;
        return prepared.run(ctx);
      },
    };
  };
  return { launcher, next: fake.next, raw: (e) => raw(e) };
}

function pendingWaiter(): {
  onPending: (p: ClearancePending) => void;
  next(): Promise<ClearancePending>;
} {
  const seen: ClearancePending[] = [];
  const waiting: ((p: ClearancePending) => void)[] = [];
  return {
    onPending: (p) => {
      const w = waiting.shift();
      if (w) w(p);
      else seen.push(p);
    },
    next: () => {
      const p = seen.shift();
      return p ? Promise.resolve(p) : new Promise((r) => waiting.push(r));
    },
  };
}

Deno.test({
  name:
    "the dashboard in headless Chromium: clearances, runs, timeline, wrong token, no foreign request",
  ignore,
  fn: async (t) => {
    const browser = await launchChromium({ proxy: null });
    try {
      await t.step(
        "an Allow clicked on the page releases a request held by the egress proxy",
        async () => {
          const upstream = await startRecordingUpstream({
            tls: false,
            honorConnectionClose: true,
            handler: () => ({ status: 200, body: "hello from upstream" }),
          });
          const waiter = pendingWaiter();
          const desk = new ClearanceDesk({ holdMs: 60_000, onPending: waiter.onPending });
          const resolved: string[] = [];
          const proxy = await startEgressProxy({
            allowlist: ["declared.test"],
            resolver: (host) => {
              resolved.push(host);
              return Promise.resolve(["93.184.216.34"]);
            },
            dialer: () => Deno.connect({ hostname: "127.0.0.1", port: upstream.port }),
            clearance: { desk, runId: "run-dash" },
          });
          const { launcher } = fakeLauncher();
          const server = await startZuServer({
            listen: { hostname: "127.0.0.1", port: 0 },
            token: TOKEN,
            launcher,
            pending: deskPendingSource(desk),
          });
          const ctx = await browser.newContext();
          const urls = requestLog(ctx);
          try {
            const answer = viaProxy(proxy.port, "new.test", "/hello");
            const held = await waiter.next();
            equal(held.host, "new.test");
            // A tool handing the desk a hostile name directly (the proxy refuses such names itself).
            const hostile = desk.request({
              run_id: "run-dash",
              host: HOSTILE_HOST,
              port: 443,
              scheme: "https",
            });
            const hostileHeld = await waiter.next();

            const page = await ctx.newPage();
            const errors = consoleErrors(page);
            await page.goto(`${server.url}/#token=${TOKEN}`);
            const item = page.locator(`li[data-id="${held.request_id}"]`);
            await item.waitFor(WAIT);
            equal(new URL(page.url()).hash, "", "the token left the address bar");
            match(await item.locator(".host").innerText(), /^new\.test:80$/);
            const evil = page.locator(`li[data-id="${hostileHeld.request_id}"]`);
            await evil.waitFor(WAIT);
            const evilText = await evil.evaluate((n) => n.textContent ?? "");
            ok(evilText.includes("gro.test"), evilText);
            ok(!UNSAFE.test(evilText), JSON.stringify(evilText));
            const bodyText = await page.locator("body").evaluate((n) => n.textContent ?? "");
            ok(!UNSAFE.test(bodyText.replace(/[\n\t]/g, " ")), "no control character in the page");
            // Held: the upstream and its DNS saw nothing yet.
            equal(upstream.requests.length, 0);
            deepEqual(resolved, []);

            await item.locator("select.scope").selectOption("once");
            await item.locator("button.allow").click();
            const text = await answer;
            match(text, /^HTTP\/1\.1 200 /);
            match(text, /hello from upstream$/);
            deepEqual(upstream.requests.map((r) => r.target), ["/hello"]);
            deepEqual(resolved, ["new.test"]);
            await item.waitFor({ state: "detached", ...WAIT });

            // Deny the hostile one from the page, with a reason.
            await evil.locator("input.reason").fill("no \u001b[31mthanks");
            await evil.locator("button.deny").click();
            const refused = await hostile;
            equal(refused.decision, "deny");
            await evil.waitFor({ state: "detached", ...WAIT });
            await page.locator("#pending-empty").waitFor({ state: "visible", ...WAIT });
            deepEqual(errors, []);
            const foreign = urls.filter((u) => !u.startsWith(`${server.url}/`));
            deepEqual(foreign, [], "only the server was requested");
            ok(urls.some((u) => u.endsWith("/v1/pending")));
          } finally {
            await ctx.close();
            desk.close();
            await proxy.close();
            await server.shutdown();
            await upstream.close();
          }
        },
      );

      await t.step("runs and a run's timeline render from a fake run's events", async () => {
        const fake = hostileLauncher();
        const server = await startZuServer({
          listen: { hostname: "127.0.0.1", port: 0 },
          token: TOKEN,
          launcher: fake.launcher,
        });
        const ctx = await browser.newContext();
        const urls = requestLog(ctx);
        try {
          const post = (agent: string): Promise<Response> =>
            fetch(`${server.url}/v1/runs`, {
              method: "POST",
              headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
              body: JSON.stringify({ agent, task: HOSTILE_TEXT }),
            });
          const first = await (await post("agents/first")).json();
          const one = await fake.next();
          one.emit("harness.task.started", 1);
          one.emit("data.step", 2);
          one.emit("harness.task.completed", 3);
          one.finish();
          const second = await (await post("agents/second")).json();
          const two = await fake.next();
          two.emit("harness.task.started", 1);
          // An event a sandbox chose: its type and payload carry escapes and bidi controls.
          fake.raw(newEvent({
            task_id: "t",
            type: `data.${HOSTILE_TEXT}`,
            payload: { note: HOSTILE_TEXT },
          }));

          const page = await ctx.newPage();
          const errors = consoleErrors(page);
          await page.goto(`${server.url}/#token=${TOKEN}`);
          const row1 = page.locator(`tr[data-run="${first.run_id}"]`);
          const row2 = page.locator(`tr[data-run="${second.run_id}"]`);
          await row1.locator("td.status-completed").waitFor(WAIT);
          await row2.locator("td.status-running").waitFor(WAIT);
          match(await row1.innerText(), /agents\/first/);
          const rowText = await row1.evaluate((n) => n.textContent ?? "");
          ok(!UNSAFE.test(rowText), JSON.stringify(rowText));

          await row2.locator("button.run-link").click();
          const events = page.locator("#timeline li");
          await timelineOf(page, 2);
          const types = await events.locator(".type").allInnerTexts();
          equal(types[0], "harness.task.started");
          match(types[1]!, /^data\.pwn/);
          const hostileRow = await events.nth(1).evaluate((n) => n.textContent ?? "");
          ok(hostileRow.includes("cod.exe"), hostileRow);
          ok(!UNSAFE.test(hostileRow), JSON.stringify(hostileRow));
          // Live: a new event appears, then the end of the run.
          two.emit("harness.task.completed", 3);
          two.finish();
          await timelineOf(page, 3);
          await page.locator("#timeline-status.status-completed").waitFor(WAIT);
          equal(await page.locator("#timeline-status").innerText(), "completed");
          deepEqual(await events.locator(".seq").allInnerTexts(), ["1", "2", "3"]);
          match(await events.nth(2).locator(".payload").innerText(), /^\{"n":3,"pad":""\}$/);
          await row2.locator("td.status-completed").waitFor(WAIT);

          // The first run's timeline replays from the start.
          await row1.locator("button.run-link").click();
          await timelineOf(page, 3);
          equal(await page.locator("#timeline-run").innerText(), first.run_id);
          deepEqual(errors, []);
          deepEqual(urls.filter((u) => !u.startsWith(`${server.url}/`)), []);
        } finally {
          await ctx.close();
          await server.shutdown();
        }
      });

      await t.step(
        "approvals: Reject's refusal is shown harmless, then Approve applies",
        async () => {
          const received: PendingVerdict[] = [];
          let open = true;
          const approvals: PendingSource = {
            list: () =>
              Promise.resolve(
                open
                  ? [{ id: "appr-1", kind: "approval", run: "run-ap", summary: HOSTILE_TEXT }]
                  : [],
              ),
            verdict: (id, body) => {
              if (id !== "appr-1") return Promise.resolve({ status: 404, body: null });
              received.push(body);
              if (body.action === "reject") {
                return Promise.resolve({
                  status: 409,
                  body: { error: "tuple_mismatch", message: HOSTILE_TEXT },
                });
              }
              open = false;
              return Promise.resolve({ status: 200, body: { resumed: true } });
            },
          };
          const desk = new ClearanceDesk({ holdMs: 60_000 });
          const { launcher } = fakeLauncher();
          const server = await startZuServer({
            listen: { hostname: "127.0.0.1", port: 0 },
            token: TOKEN,
            launcher,
            pending: combinePendingSources([deskPendingSource(desk), approvals]),
          });
          const ctx = await browser.newContext();
          try {
            const page = await ctx.newPage();
            const errors = consoleErrors(page, /409 \(Conflict\)/);
            await page.goto(`${server.url}/#token=${TOKEN}`);
            const item = page.locator('li[data-id="appr-1"]');
            await item.waitFor(WAIT);
            equal(await item.locator("button.allow").count(), 0);
            equal(await item.locator("select.scope").count(), 0);
            const shown = await item.evaluate((n) => n.textContent ?? "");
            ok(shown.includes("cod.exe"), shown);
            ok(!UNSAFE.test(shown), JSON.stringify(shown));

            await item.locator("input.reason").fill("not now");
            await item.locator("button.reject").click();
            const result = item.locator(".result");
            await result.filter({ hasText: "Refused (409 tuple_mismatch)" }).waitFor(WAIT);
            const refusal = await result.evaluate((n) => n.textContent ?? "");
            ok(!UNSAFE.test(refusal), JSON.stringify(refusal));
            ok(await item.locator("button.approve").isEnabled());

            await item.locator("button.approve").click();
            await item.waitFor({ state: "detached", ...WAIT });
            deepEqual(received, [
              { action: "reject", run: "run-ap", reason: "not now", by: "serve" },
              { action: "approve", run: "run-ap", reason: "not now", by: "serve" },
            ]);
            deepEqual(errors, []);
          } finally {
            await ctx.close();
            desk.close();
            await server.shutdown();
          }
        },
      );

      await t.step(
        "a wrong token shows a clear message and the paste box takes the right one",
        async () => {
          const { launcher } = fakeLauncher();
          const server = await startZuServer({
            listen: { hostname: "127.0.0.1", port: 0 },
            token: TOKEN,
            launcher,
          });
          const ctx = await browser.newContext();
          const urls = requestLog(ctx);
          try {
            const page = await ctx.newPage();
            await page.goto(`${server.url}/#token=wrong-token-0123456789`);
            const notice = page.locator("#notice");
            await notice.waitFor({ state: "visible", ...WAIT });
            match(await notice.innerText(), /refused this token \(401 unauthorized\)/);
            ok(await page.locator("#login").isVisible());
            ok(await page.locator("#app").isHidden());
            equal(await page.evaluate(() => sessionStorage.getItem("zu.token")), null);

            await page.locator("#token-input").fill(TOKEN);
            await page.locator("#token-form button").click();
            await page.locator("#runs-empty").waitFor({ state: "visible", ...WAIT });
            ok(await notice.isHidden());
            equal(await page.evaluate(() => sessionStorage.getItem("zu.token")), TOKEN);
            // A reload keeps the session's token; "Forget token" drops it.
            await page.reload();
            await page.locator("#runs-empty").waitFor({ state: "visible", ...WAIT });
            await page.locator("#forget").click();
            await page.locator("#login").waitFor({ state: "visible", ...WAIT });
            equal(await page.evaluate(() => sessionStorage.getItem("zu.token")), null);
            deepEqual(urls.filter((u) => !u.startsWith(`${server.url}/`)), []);
            ok(urls.some((u) => u.endsWith("/ui/app.js")));
            ok(urls.every((u) => !u.includes("token")), "the token is never in a URL sent");
          } finally {
            await ctx.close();
            await server.shutdown();
          }
        },
      );
    } finally {
      await browser.close();
    }
  },
});
