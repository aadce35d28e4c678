import { runSinkConformance } from "../conformance.ts";
import { SqliteSink } from "./mod.ts";

runSinkConformance("SqliteSink", (ctx) =>
  new SqliteSink(`${ctx.dir}/zu.db`, {
    ...(ctx.signKey ? { signKey: ctx.signKey } : {}),
    ...(ctx.filterFields ? { filterFields: ctx.filterFields } : {}),
  }));
