import { fileURLToPath } from "node:url";
import { hardenSuite } from "./suite.ts";

const SHOP = fileURLToPath(new URL("../fixtures/agents/shop-price", import.meta.url));

// The example agent's fixture suite: zu's variants plus the whole taxonomy, one step each.
hardenSuite(SHOP, { perturb: "all", workers: 0, name: "shop-price hardens with every perturbation (script mode)" });
// The same variants against the hijacked worst-case model: the allowed_domains gate must hold.
hardenSuite(SHOP, {
  perturb: "all",
  mode: "hijacked",
  workers: 0,
  name: "shop-price blocks every injected instruction the hijacked model obeys",
});
