import { equal, match, ok } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

Deno.test("zu init scaffolds an agent that replays and hardens offline at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_init_" });
  try {
    const io = captureIo({ cwd: dir });
    equal(await main(["init", "shop", "--json"], io), 0, io.stderrText());
    const out = JSON.parse(io.stdoutText());
    equal(out.files.length, 4);
    for (const f of ["agent.yaml", "pages/item.html", "fixtures/capture.json", "README.md"]) {
      ok((await Deno.stat(`${dir}/shop/${f}`)).isFile, f);
    }
    const replay = captureIo({ cwd: dir });
    equal(await main(["replay", "shop", "--json"], replay), 0, replay.stderrText());
    equal(JSON.parse(replay.stdoutText()).status, "success");
    const harden = captureIo({ cwd: dir });
    equal(
      await main(["harden", "shop", "--report", "shop/report.html"], harden),
      0,
      harden.stderrText(),
    );
    match(await Deno.readTextFile(`${dir}/shop/report.html`), /<html/i);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu init refuses to overwrite without --force and overwrites with it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_init_" });
  try {
    equal(await main(["init", "a"], captureIo({ cwd: dir })), 0);
    await Deno.writeTextFile(`${dir}/a/agent.yaml`, "# mine\n");
    const io = captureIo({ cwd: dir });
    equal(await main(["init", "a"], io), 2);
    match(
      io.stderrText(),
      /^error: Cannot scaffold "a": "agent\.yaml", .* already exist; pass --force to overwrite\n$/,
    );
    equal(await Deno.readTextFile(`${dir}/a/agent.yaml`), "# mine\n");
    equal(await main(["init", "a", "--force"], captureIo({ cwd: dir })), 0);
    match(await Deno.readTextFile(`${dir}/a/agent.yaml`), /provider:/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu init takes a directory name with URL characters as a plain path", async () => {
  const { captureIo } = await import("./_io.ts");
  const { main } = await import("./main.ts");
  const dir = await Deno.makeTempDir();
  try {
    for (const name of ["50%", "a#b", "q?x"]) {
      const io = captureIo({ cwd: dir });
      const code = await main(["init", name], io);
      if (code !== 0) throw new Error(`zu init ${name}: ${io.stderrText()}`);
      await Deno.stat(`${dir}/${name}/agent.yaml`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
