import { equal, match, ok } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

Deno.test("zu demo replays and hardens the example agent offline and writes the log and the report", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_demo_" });
  try {
    const io = captureIo({ cwd: dir, env: { DOCKER_HOST: `unix://${dir}/no-docker.sock` } });
    const code = await main(["demo"], io);
    equal(code, 0, io.stderrText() + io.stdoutText());
    const text = io.stdoutText();
    match(text, /1\. replay: {2}success/);
    match(text, /2\. harden: {2}\d+ variants/);
    match(text, /3\. sandbox: skipped \(no Docker daemon/);
    match(
      text,
      /Next, try:\n {2}zu events list --db \.zu\/demo\/events\.db\n {2}zu explain-permissions .+\n {2}zu init my-agent/,
    );
    const db = new DatabaseSync(`${dir}/.zu/demo/events.db`, { readOnly: true });
    const n = (db.prepare("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n;
    db.close();
    ok(n > 5);
    match(await Deno.readTextFile(`${dir}/.zu/demo/harden-report.html`), /<html/i);
    const again = captureIo({ cwd: dir, env: { DOCKER_HOST: `unix://${dir}/no-docker.sock` } });
    equal(await main(["demo", "--json", "--no-sandbox"], again), 0);
    const out = JSON.parse(again.stdoutText());
    equal(out.ok, true);
    equal(out.replay.status, "success");
    equal(out.sandbox.ran, false);
    equal(out.next.length, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
