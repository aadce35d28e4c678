import { runSinkConformance } from "../conformance.ts";
import { JsonlSink } from "./mod.ts";

runSinkConformance("JsonlSink", (ctx) =>
  new JsonlSink(`${ctx.dir}/logs/trace.jsonl`, {
    ...(ctx.signKey ? { signKey: ctx.signKey } : {}),
    ...(ctx.filterFields ? { filterFields: ctx.filterFields } : {}),
  }));
