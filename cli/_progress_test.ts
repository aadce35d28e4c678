import { equal, ok } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { Progress } from "./_progress.ts";

Deno.test("Progress prints sparse quarter lines when stderr is piped", () => {
  const io = captureIo({ isTTY: false });
  const p = new Progress(io, "harden", 8);
  for (let i = 0; i < 8; i++) p.tick();
  p.finish();
  equal(
    io.stderrText(),
    "harden: 25% (2/8)\nharden: 50% (4/8)\nharden: 75% (6/8)\nharden: 100% (8/8)\n",
  );
  equal(io.stdoutText(), "");
});

Deno.test("Progress redraws one line in place on a terminal, without colour under NO_COLOR", () => {
  const io = captureIo({ isTTY: true });
  const p = new Progress(io, "capture", 4, { width: 10 });
  p.tick();
  p.tick(3);
  p.finish();
  const parts = io.err;
  equal(parts.length, 3);
  ok(parts[0]!.startsWith("\r\x1b[2Kcapture ["));
  ok(parts[1]!.includes("[##########] 100% 4/4"), parts[1]);
  ok(!parts.join("").includes("\x1b[36m"), "colour despite NO_COLOR");
  equal(parts[2], "\n");
});
