import { harden } from "./harden.ts";
const r = await harden("/tmp/h7agent", { perturb: "all", mode: "hijacked", workers: 0 });
console.log(r.rates.ok.text, r.rates.attack_success.text, r.timing);
for (const v of r.variants) if (!v.ok || v.kind === "adversarial") console.log(v.ok ? "  ok" : "  !!", v.name, v.status, v.reason, v.attack_executed, v.attack_attempted, v.event_types.filter(t=>t.includes("defense")||t.includes("gate")));
