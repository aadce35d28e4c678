import { harden } from "../harness/harden.ts";
import { reportText } from "../harness/report/text.ts";
const r = await harden(Deno.args[0], { perturb: "all", workers: 0 , mode: (Deno.args[1] ?? "script") as "script"});
for (const l of reportText(r)) console.log(l.stream === "stderr" ? "[e] " : "", l.text);
