import assert from "node:assert/strict";
import { readLines, serve } from "./session.ts";
import { serveSite } from "./testdata/site.ts";
import { HOST_CHROMIUM, ignoreWithoutChromium } from "./_test_chromium.ts";

const ignore = ignoreWithoutChromium();

Deno.test("readLines splits on newlines and keeps a trailing partial line", async () => {
  const bytes = new TextEncoder().encode('{"a":1}\n{"b":\n2}\n{"c":3}');
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += 5) c.enqueue(bytes.slice(i, i + 5));
      c.close();
    },
  });
  const lines: string[] = [];
  for await (const l of readLines(stream)) lines.push(l);
  assert.deepEqual(lines, ['{"a":1}', '{"b":', "2}", '{"c":3}']);
});

/** Drives the session server as a real child process over stdin/stdout. */
class Client {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: AsyncGenerator<string>;
  constructor() {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-all", new URL("./session.ts", import.meta.url).pathname],
      env: { ZU_CHROMIUM: HOST_CHROMIUM },
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#lines = readLines(this.#child.stdout);
  }
  async send(command: Record<string, unknown> | string): Promise<Record<string, unknown>> {
    const line = typeof command === "string" ? command : JSON.stringify(command);
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
    const next = await this.#lines.next();
    assert.ok(!next.done, "the session server closed its stdout");
    return JSON.parse(next.value);
  }
  async status(): Promise<Deno.CommandStatus> {
    await this.#writer.close().catch(() => {});
    return await this.#child.status;
  }
}

Deno.test({
  name: "The session server opens a page, fills a form, clicks, reads the result and closes",
  ignore,
  fn: async () => {
    const ac = new AbortController();
    const site = serveSite({ signal: ac.signal });
    const client = new Client();
    try {
      const opened = await client.send({
        id: 1,
        op: "open",
        url: `http://127.0.0.1:${site.port}/form`,
      });
      assert.equal(opened["id"], 1);
      assert.equal(opened["rendered"], true);
      assert.equal(opened["status"], 200);
      const acted = await client.send({
        op: "act",
        actions: [
          { fill: "#name", value: "Grace" },
          { select: "#size", value: "s" },
          { click: "text=Send" },
        ],
      });
      assert.equal(acted["action_error"], undefined);
      assert.equal(acted["changed"], true);
      assert.match(String(acted["text"]), /Ordered s for Grace/);
      const read = await client.send({ op: "read" });
      assert.match(String(read["text"]), /Ordered s for Grace/);
      assert.equal(read["title"], "Form");
      const shot = await client.send({ op: "screenshot" });
      assert.ok(Number(shot["bytes"]) > 100);
      assert.ok(String(shot["png_base64"]).startsWith("iVBORw0KGgo"));
      const missed = await client.send({ op: "act", actions: [{ click: "#nope" }] });
      assert.equal(missed["action_error_kind"], "soft");
      const stray = await client.send({ op: "act", actions: [{ click: "#go", script: "x" }] });
      assert.equal(stray["blocked"], "invalid_action");
      const unknown = await client.send({ op: "evaluate", js: "1" });
      assert.equal(unknown["blocked"], "invalid_op");
      const garbage = await client.send("not json");
      assert.equal(garbage["blocked"], "invalid_op");
      assert.deepEqual(await client.send({ op: "close" }), { closed: true });
      assert.equal((await client.status()).code, 0);
    } finally {
      await client.status().catch(() => {});
      ac.abort();
      await site.finished;
    }
  },
});

Deno.test({
  name: "The session server answers act before open with an error and exits at end of input",
  ignore,
  fn: async () => {
    const replies: string[] = [];
    const input = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"op":"act","actions":[]}\n{"op":"read"}\n'));
        c.close();
      },
    });
    await serve(input, (line) => {
      replies.push(line);
      return Promise.resolve();
    }, { launch: { executablePath: HOST_CHROMIUM, proxy: null } });
    assert.equal(replies.length, 2);
    assert.match(JSON.parse(replies[0]!).error, /send "open" first/);
  },
});
