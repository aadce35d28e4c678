import { equal, match, ok } from "node:assert/strict";
import { dockerSocketPath, dockerTest } from "../testing/docker.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";
import { HELLO_AGENT } from "./_test_agents.ts";

const AGENT = HELLO_AGENT;

const MISSING = `zu-no-such-image-${crypto.randomUUID().slice(0, 8)}:0.0.0`;

dockerTest(
  "a missing image is a user error (exit 2) that says to run zu sandbox image build",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "zu_missing_image_" });
    try {
      await Deno.writeTextFile(`${dir}/agent.yaml`, AGENT);
      const env = { DOCKER_HOST: `unix://${dockerSocketPath()}`, ZU_SANDBOX_IMAGE: MISSING };
      for (
        const args of [
          ["sandbox", "exec", MISSING, "--", "true"],
          ["run", "--sandboxed", ".", "--db", "events.db"],
        ]
      ) {
        const io = captureIo({ cwd: dir, env });
        equal(await main(args, io), 2, `${args.join(" ")}: ${io.stderrText()}`);
        const lines = io.stderrText().trimEnd().split("\n");
        equal(lines.length, 1, io.stderrText());
        match(lines[0]!, new RegExp(`^error: Cannot .*image "${MISSING}" is not present locally`));
        match(lines[0]!, /"zu sandbox image build"/);
        ok(!io.stderrText().includes("internal error"));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
