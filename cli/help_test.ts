import { equal } from "node:assert/strict";
import { type CommandDef, renderHelp } from "./_command.ts";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";
import { rootCommand } from "./commands.ts";

// Regenerate with: ZU_UPDATE_SNAPSHOTS=1 deno test -A cli/help_test.ts
const DIR = new URL("./testdata/help/", import.meta.url);
const UPDATE = Deno.env.get("ZU_UPDATE_SNAPSHOTS") === "1";

function walk(def: CommandDef, path: string[], out: [string[], CommandDef][]): void {
  out.push([path, def]);
  for (const s of def.subcommands ?? []) walk(s, [...path, s.name], out);
}

const all: [string[], CommandDef][] = [];
walk(rootCommand(), ["zu"], all);

for (const [path, def] of all) {
  const file = new URL(`${path.join("_")}.txt`, DIR);
  Deno.test(`"${path.join(" ")} --help" matches its snapshot`, async () => {
    const io = captureIo();
    equal(await main([...path.slice(1), "--help"], io), 0);
    const text = io.stdoutText();
    equal(text, renderHelp(def, path));
    if (UPDATE) {
      await Deno.writeTextFile(file, text);
      return;
    }
    equal(
      text,
      await Deno.readTextFile(file),
      `update with ZU_UPDATE_SNAPSHOTS=1 if the change is intended`,
    );
  });
}

Deno.test("every help snapshot belongs to a command", async () => {
  const expected = new Set(all.map(([p]) => `${p.join("_")}.txt`));
  for await (const entry of Deno.readDir(DIR)) {
    equal(expected.has(entry.name), true, `stale snapshot ${entry.name}`);
  }
});
