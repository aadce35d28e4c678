import { deepEqual, equal, match, ok } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

Deno.test("zu harden runs only the named perturbations and writes each report format", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_harden_" });
  try {
    equal(await main(["init", "a"], captureIo({ cwd: dir })), 0);
    const io = captureIo({ cwd: dir });
    const code = await main(
      [
        "harden",
        "a",
        "--perturb",
        "banner-prefix+promo-suffix,inject-visible-text",
        "--model",
        "hijacked",
        "--json",
        "--report",
        "out/r.json",
      ],
      io,
    );
    equal(code, 0, io.stderrText());
    const report = JSON.parse(io.stdoutText());
    equal(report.mode, "hijacked");
    const names = report.variants.map((v: { name: string }) => v.name);
    ok(names.includes("banner-prefix+promo-suffix"), names.join());
    ok(names.includes("inject-visible-text"));
    ok(!names.includes("http-5xx"), "ran a perturbation that was not asked for");
    deepEqual(
      JSON.parse(await Deno.readTextFile(`${dir}/out/r.json`)).variants.length,
      report.variants.length,
    );
    for (
      const [ext, re] of [["md", /^#|\|/m], ["xml", /<testsuite/], ["html", /<html/i]] as const
    ) {
      const r = captureIo({ cwd: dir });
      equal(
        await main(["harden", "a", "--perturb", "banner-prefix", "--report", `out/r.${ext}`], r),
        0,
        r.stderrText(),
      );
      match(await Deno.readTextFile(`${dir}/out/r.${ext}`), re);
      match(r.stdoutText(), /resilience: 100%/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
