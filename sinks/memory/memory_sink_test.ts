import { runSinkConformance } from "../conformance.ts";
import { MemorySink } from "./mod.ts";

runSinkConformance("MemorySink", (ctx) =>
  new MemorySink({
    ...(ctx.signKey ? { signKey: ctx.signKey } : {}),
    ...(ctx.filterFields ? { filterFields: ctx.filterFields } : {}),
  }));
