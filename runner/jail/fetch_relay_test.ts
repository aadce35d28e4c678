import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import type { ToolResultMessage } from "./protocol.ts";
import { installFetchRelay, RELAY_MAX_REQUEST_BYTES, RELAY_TOOL } from "./fetch_relay.ts";
import { denialDetail, isPermissionDenial } from "./jail_tool.ts";

type Call = { tool: string; args: Record<string, unknown> };

function channel(answer: (c: Call) => ToolResultMessage | Promise<ToolResultMessage>) {
  const calls: Call[] = [];
  return {
    calls,
    call(tool: string, args: Record<string, unknown>) {
      calls.push({ tool, args });
      return Promise.resolve(answer({ tool, args }));
    },
  };
}

const ok200 = (body: string): ToolResultMessage => ({
  zu_jail: "tool_result",
  id: 1,
  observation: {
    status: 201,
    status_text: "Created",
    headers: [["x-up", "1"], ["content-type", "text/plain"]],
    body_b64: btoa(body),
    url: "http://new.test/final",
  },
});

Deno.test("fetch relay: a granted host keeps the real fetch; an ungranted one goes to the host and comes back as a Response", async () => {
  await using srv = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("direct"),
  );
  const ch = channel(() => ok200("relayed"));
  const granted = `127.0.0.1:${srv.addr.port}`;
  const restore = installFetchRelay(ch, { granted: (hp) => hp === granted });
  try {
    equal(await (await fetch(`http://${granted}/`)).text(), "direct");
    equal(ch.calls.length, 0);
    const res = await fetch("http://new.test/path?q=1", {
      method: "POST",
      headers: { "x-a": "b" },
      body: "payload",
    });
    equal(res.status, 201);
    equal(res.statusText, "Created");
    equal(res.headers.get("x-up"), "1");
    equal(res.url, "http://new.test/final");
    equal(await res.text(), "relayed");
    equal(ch.calls.length, 1);
    const c = ch.calls[0]!;
    equal(c.tool, RELAY_TOOL);
    equal(c.args.url, "http://new.test/path?q=1");
    equal(c.args.method, "POST");
    equal(atob(String(c.args.body_b64)), "payload");
    ok((c.args.headers as [string, string][]).some(([k, v]) => k === "x-a" && v === "b"));
    // A 204 carries no body, whatever the host sent.
    const ch204 = channel(() => ({
      zu_jail: "tool_result",
      id: 1,
      observation: { status: 204, status_text: "", headers: [], body_b64: "", url: "http://x/" },
    }));
    const restore2 = installFetchRelay(ch204, { granted: () => false });
    equal((await fetch("https://x.test/")).status, 204);
    restore2();
  } finally {
    restore();
  }
  equal(typeof globalThis.fetch, "function");
});

Deno.test("fetch relay: refusals are Deno's own NotCapable with the proxy's reason; failures and bounds", async () => {
  const ch = channel(({ args }) =>
    String(args.url).includes("broken")
      ? { zu_jail: "tool_result", id: 1, error: { name: "TypeError", message: "reset" } }
      : {
        zu_jail: "tool_result",
        id: 1,
        observation: {
          refused: { target: "x", reason: "operator", message: "request_id=abc: not today" },
        },
      }
  );
  const restore = installFetchRelay(ch, { granted: () => false });
  try {
    const err = await fetch("https://deny.test/").then(() => null, (e) => e);
    ok(err instanceof Deno.errors.NotCapable);
    ok(isPermissionDenial(err));
    equal(denialDetail(err).target, "deny.test:443");
    match(err.message, /operator: request_id=abc: not today/);
    await rejects(fetch("http://broken.test:8080/"), (e: Error) => {
      equal(e.name, "TypeError");
      match(e.message, /reset/);
      return true;
    });
    const calls = ch.calls.length;
    const big = new Uint8Array(RELAY_MAX_REQUEST_BYTES + 1);
    const tooBig = await fetch("http://big.test/", { method: "POST", body: big }).catch((e) => e);
    ok(tooBig instanceof Deno.errors.NotCapable);
    match(tooBig.message, /relay_too_large/);
    equal(ch.calls.length, calls, "an oversized body is never sent to the host");
    // Not http(s): the real fetch, untouched.
    equal(await (await fetch("data:text/plain,hi")).text(), "hi");
    equal(ch.calls.length, calls);
  } finally {
    restore();
  }
});

Deno.test("fetch relay: an abort rejects at once while the host still holds the request", async () => {
  let release: (m: ToolResultMessage) => void = () => {};
  const held = new Promise<ToolResultMessage>((r) => release = r);
  const restore = installFetchRelay({ call: () => held }, { granted: () => false });
  try {
    const ac = new AbortController();
    const p = fetch("http://held.test/", { signal: ac.signal });
    ac.abort(new Error("gave up"));
    await rejects(p, /gave up/);
    release(ok200("late"));
    deepEqual(await held.then((m) => m.id), 1);
  } finally {
    restore();
  }
});
