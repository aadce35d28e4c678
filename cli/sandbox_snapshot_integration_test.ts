import { deepEqual, equal, match, ok } from "node:assert/strict";
import { dockerTest } from "../testing/docker.ts";
import { attackImage, attackTest, testRunId } from "../backends/docker/_test_images.ts";
import { LocalDockerBackend, SnapshotStore } from "../backends/docker/mod.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

attackTest(
  "zu sandbox snapshot, ls, restore -- cmd and rm round-trip a workspace marker",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "zu_snap_cli_" });
    try {
      await using backend = new LocalDockerBackend({ snapshotStore: new SnapshotStore(dir) });
      await using box = await backend.launch({
        image: await attackImage(),
        runId: testRunId("cli-snap"),
        workspace: true,
      });
      const marker = crypto.randomUUID();
      await backend.execEntrypoint(box, ["sh", "-c", `echo ${marker} > /workspace/m`]);
      const io = captureIo({ cwd: dir });
      equal(await main(["sandbox", "snapshot", box.name, "--dir", dir], io), 0, io.stderrText());
      const id = io.stdoutText().trim();
      match(id, /^snap_[0-9a-f-]{36}$/);
      const list = captureIo({ cwd: dir });
      equal(await main(["sandbox", "ls", "--dir", dir, "--json"], list), 0);
      const snaps = JSON.parse(list.stdoutText());
      deepEqual(snaps.map((s: { id: string }) => s.id), [id]);
      equal(snaps[0].labels["zu.pinned"], "1");
      const run = captureIo({ cwd: dir });
      const code = await main(
        ["sandbox", "restore", id, "--dir", dir, "--", "sh", "-c", "cat m; id -u; exit 4"],
        run,
      );
      equal(code, 4, run.stderrText());
      equal(run.stdoutText(), `${marker}\n10001\n`);
      const rm = captureIo({ cwd: dir });
      equal(await main(["sandbox", "rm", id, "--dir", dir], rm), 0, rm.stderrText());
      const again = captureIo({ cwd: dir });
      equal(await main(["sandbox", "rm", id, "--dir", dir], again), 2);
      match(
        again.stderrText(),
        /^error: Unknown snapshot "snap_[^"]+"; list them with "zu sandbox ls"\n$/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

dockerTest(
  "zu sandbox snapshot and restore refuse unknown sandboxes and snapshots in one line",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "zu_snap_cli_" });
    try {
      const cases: Array<[string[], RegExp]> = [
        [
          ["sandbox", "snapshot", "zu-no-such-sandbox"],
          /^error: Cannot snapshot "zu-no-such-sandbox": no such sandbox\n$/,
        ],
        [["sandbox", "restore", "snap_nope", "--", "true"], /^error: Unknown snapshot "snap_nope"/],
        [["sandbox", "rm", "nope"], /^error: Unknown snapshot "nope"/],
      ];
      for (const [argv, want] of cases) {
        const io = captureIo({ cwd: dir });
        equal(await main([...argv, "--dir", dir], io), 2, argv.join(" "));
        match(io.stderrText(), want);
        ok(io.stderrText().split("\n").length <= 3);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("zu sandbox snapshot with no daemon says so in one line (exit 2); ls needs none", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_snap_cli_" });
  try {
    const env = { DOCKER_HOST: `unix://${dir}/no-docker.sock` };
    const io = captureIo({ cwd: dir, env });
    equal(await main(["sandbox", "snapshot", "zu-x", "--dir", dir], io), 2);
    match(io.stderrText(), /docker/i);
    const ls = captureIo({ cwd: dir, env });
    equal(await main(["sandbox", "ls", "--dir", dir], ls), 0);
    equal(ls.stdoutText(), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
