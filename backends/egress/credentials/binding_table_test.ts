import { equal, ok, throws } from "node:assert/strict";
import { BindingTable } from "./binding_table.ts";

Deno.test("BindingTable: TLS on 443 (or the pattern's port), plain HTTP only on plaintextPorts", () => {
  const t = new BindingTable([
    { secret: "A", mode: "placeholder", hosts: ["*.example.test"] },
    { secret: "B", mode: "inject", hosts: ["api.b.test:8443"], headers: ["X-Key: {{secret:B}}"] },
    { secret: "C", mode: "placeholder", hosts: ["c.test"], plaintextPorts: [80] },
    { secret: "R", mode: "route", hosts: ["model.test"], upstream: "https://model.test" },
  ]);
  equal(t.eligible("example.test", 443, "connect")[0]?.secret, "A");
  equal(t.eligible("x.y.example.test", 443, "connect")[0]?.secret, "A");
  equal(t.eligible("evilexample.test", 443, "connect").length, 0);
  equal(t.eligible("x.example.test", 80, "http").length, 0);
  equal(t.eligible("x.example.test", 8443, "connect").length, 0);
  equal(t.eligible("api.b.test", 8443, "connect")[0]?.secret, "B");
  equal(t.eligible("api.b.test", 443, "connect").length, 0);
  equal(t.eligible("c.test", 80, "http")[0]?.secret, "C");
  equal(t.eligible("c.test", 8080, "http").length, 0);
  equal(t.eligible("model.test", 443, "connect").length, 0);
  ok(t.namesExplicitly("c.test") && t.namesExplicitly("model.test"));
  ok(!t.namesExplicitly("x.example.test") && !t.namesExplicitly("example.test"));
});

Deno.test("BindingTable refuses an inject binding without a template or naming another secret", () => {
  throws(() => new BindingTable([{ secret: "A", mode: "inject", hosts: ["a.test"] }]), TypeError);
  throws(
    () =>
      new BindingTable([
        { secret: "A", mode: "inject", hosts: ["a.test"], headers: ["X: {{secret:B}}"] },
      ]),
    TypeError,
  );
  throws(() => new BindingTable([{ secret: "A", mode: "placeholder", hosts: [] }]), TypeError);
  throws(
    () => new BindingTable([{ secret: "A", mode: "placeholder", hosts: ["http://a"] }]),
    TypeError,
  );
});
