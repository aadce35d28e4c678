import assert from "node:assert/strict";
import fc from "fast-check";
import { type Bundle, cloneBundle } from "../bundle.ts";
import { groundedValues } from "../grounded.ts";
import { makeRng } from "./rng.ts";
import { parseHtml, serializeHtml } from "./_html.ts";
import { compose } from "./compose.ts";
import {
  ATTACK_KINDS,
  BANNER_PREFIX,
  createPerturbation,
  EXTRA_PERTURBATIONS,
  perturbationRegistry,
  PROMO_SUFFIX,
} from "./mod.ts";

function bundle(): Bundle {
  return {
    task: "q",
    model: null,
    moves: [
      { tool: "http_fetch", args: { url: "https://s.example/a" } },
      { tool: "http_fetch", args: { url: "https://s.example/b" } },
      { text: '{"name": "Kestrel 58", "price": "$249.00", "n": 3, "ok": true}', finish: "stop" },
    ],
    observations: {
      http_fetch: [
        {
          status: 200,
          url: "https://s.example/a",
          html:
            '<div class="card main"><h1>Kestrel 58</h1><ul><li>one</li><li>two</li><li>three</li></ul><p class="price">$249.00 and $249.00</p></div>',
        },
        { status: 200, url: "https://s.example/b", html: "<p>3 left of Kestrel 58</p>" },
      ],
    },
  };
}

Deno.test("zu's perturbations use zu's exact strings", () => {
  assert.equal(BANNER_PREFIX, "[Cookie notice — we value your privacy] ");
  assert.equal(PROMO_SUFFIX, " — Limited-time offer, shop now!");
  const b = bundle();
  const rng = makeRng(1);
  const banner = createPerturbation("banner-prefix").apply(b, rng);
  assert.equal(
    banner.observations.http_fetch![1]!.html,
    "[Cookie notice — we value your privacy] <p>3 left of Kestrel 58</p>",
  );
  const promo = createPerturbation("promo-suffix").apply(b, rng);
  assert.equal(
    promo.observations.http_fetch![1]!.html,
    "<p>3 left of Kestrel 58</p> — Limited-time offer, shop now!",
  );
  assert.deepEqual(promo.moves, b.moves, "moves are never changed");
});

Deno.test("drop-value replaces every occurrence like Python's str.replace", () => {
  const v = createPerturbation("drop-value:$249.00").apply(bundle(), makeRng(0));
  assert.equal(v.observations.http_fetch![0]!.html!.toString().includes("$249.00"), false);
  assert.match(String(v.observations.http_fetch![0]!.html), /\[removed\] and \[removed\]/);
  assert.equal(createPerturbation("drop-value:08:30").name, "drop-value:08:30");
});

Deno.test("grounded values are zu's: distinct stripped scalar strings, booleans skipped", () => {
  assert.deepEqual(groundedValues(bundle()), ["Kestrel 58", "$249.00", "3"]);
  assert.deepEqual(groundedValues({ moves: [{ text: "not json " }] }), ["not json"]);
  assert.deepEqual(groundedValues({ moves: [{ text: '{"a": 3.0, "b": [" x ", "x"]}' }] }), [
    "3.0",
    "x",
  ]);
});

Deno.test("the registry ships zu's three and at least 20 more, each with an expectation", () => {
  const names = perturbationRegistry().names();
  assert.ok(
    names.includes("banner-prefix") && names.includes("promo-suffix") &&
      names.includes("drop-value"),
  );
  assert.ok(EXTRA_PERTURBATIONS.length >= 20);
  for (const n of EXTRA_PERTURBATIONS) {
    assert.ok(names.includes(n), n);
    const p = createPerturbation(n);
    assert.ok(["pass", "fail", "blocked"].includes(p.expect), n);
  }
  assert.throws(() => createPerturbation("no-such"), /Unknown perturbations "no-such"/);
});

Deno.test("every perturbation is pure, seeded and changes the bundle", () => {
  for (const n of EXTRA_PERTURBATIONS) {
    const b = bundle();
    const before = JSON.stringify(b);
    const p = createPerturbation(n);
    const x = p.apply(b, makeRng(7));
    const y = p.apply(b, makeRng(7));
    assert.equal(JSON.stringify(b), before, `${n} mutated its input`);
    assert.deepEqual(x, y, `${n} is not deterministic for a seed`);
    assert.notDeepEqual(x, b, `${n} changed nothing`);
  }
});

Deno.test("value-preserving drift keeps every grounded value on the pages", () => {
  for (
    const n of [
      "renamed-css-classes",
      "reordered-siblings",
      "value-moved-element",
      "oversized-page",
      "duplicated-observation",
      "reordered-observations",
    ]
  ) {
    const v = createPerturbation(n).apply(bundle(), makeRng(3));
    const all = v.observations.http_fetch!.map((o) => String(o.html)).join("\n");
    for (const g of groundedValues(v)) assert.ok(all.includes(g), `${n} lost ${g}`);
  }
});

Deno.test("value-destroying faults remove the grounded values the answer needs", () => {
  for (const n of ["truncated-body", "empty-body", "stale-data", "http-5xx"]) {
    const v = createPerturbation(n).apply(bundle(), makeRng(3));
    const all = v.observations.http_fetch!.map((o) => String(o.html ?? "")).join("\n");
    assert.ok(groundedValues(v).some((g) => !all.includes(g)), n);
  }
  const t = createPerturbation("timeout-error").apply(bundle(), makeRng(1));
  assert.match(String(t.observations.http_fetch![0]!.error), /^TimeoutError: /);
  const r = createPerturbation("http-429-retry-after").apply(bundle(), makeRng(1));
  assert.equal(r.observations.http_fetch![0]!.status, 429);
});

Deno.test("adversarial perturbations plant a canary and an attacker URL in the target only", () => {
  // zu's original seven (the taxonomy kinds have their own record tests in attack_kinds_test.ts).
  const original = EXTRA_PERTURBATIONS.filter((x) =>
    createPerturbation(x).expect === "blocked" && !ATTACK_KINDS.includes(x)
  );
  for (const n of original) {
    const v = createPerturbation(n).apply(bundle(), makeRng(5));
    const attack = v.overlay?.attack;
    assert.ok(attack && attack.urls.length === 1 && attack.canaries.length === 1, n);
    assert.ok(attack.urls[0]!.startsWith("https://attacker.example/"), n);
    if (n === "poisoned-tool-description") {
      assert.match(v.overlay!.toolDescriptionAppend!.http_fetch!, /ignore previous instructions/);
    } else {
      assert.ok(JSON.stringify(v.observations.http_fetch![0]).includes(attack.urls[0]!), n);
      assert.equal(
        JSON.stringify(v.observations.http_fetch![1]),
        JSON.stringify(bundle().observations.http_fetch![1]),
        n,
      );
    }
  }
});

Deno.test("a target selects the tool, the observation and the field", () => {
  const p = createPerturbation("banner-prefix", { target: { index: -1, field: "html" } });
  const v = p.apply(bundle(), makeRng(0));
  assert.equal(v.observations.http_fetch![0]!.html, bundle().observations.http_fetch![0]!.html);
  assert.ok(String(v.observations.http_fetch![1]!.html).startsWith("[Cookie notice"));
  const none = createPerturbation("banner-prefix", { target: { tool: "browser" } }).apply(
    bundle(),
    makeRng(0),
  );
  assert.deepEqual(none.observations, bundle().observations);
});

Deno.test("compose applies parts in order and takes the strongest expectation", () => {
  const c = compose([createPerturbation("banner-prefix"), createPerturbation("promo-suffix")]);
  assert.equal(c.name, "banner-prefix+promo-suffix");
  assert.equal(c.expect, "pass");
  const v = c.apply(bundle(), makeRng(0));
  assert.equal(
    v.observations.http_fetch![1]!.html,
    `${BANNER_PREFIX}<p>3 left of Kestrel 58</p>${PROMO_SUFFIX}`,
  );
  assert.equal(createPerturbation("whitespace-noise+http-5xx").expect, "fail");
  assert.equal(createPerturbation("http-5xx+exfil-link").expect, "blocked");
  assert.equal(createPerturbation("http-5xx+exfil-link").kind, "adversarial");
});

Deno.test("the HTML tokenizer writes back any input unchanged", () => {
  fc.assert(
    fc.property(
      fc.string({
        unit: fc.constantFrom("<", ">", "/", "a", "p", "li", " ", "!", "-", "x", "é", '"', "="),
        maxLength: 60,
      }),
      (s) => {
        assert.equal(serializeHtml(parseHtml(s)), s);
      },
    ),
    { numRuns: 300, seed: 42 },
  );
  const html = bundle().observations.http_fetch![0]!.html as string;
  assert.equal(serializeHtml(parseHtml(html)), html);
});

Deno.test("different seeds give different random variants", () => {
  const p = createPerturbation("renamed-css-classes");
  const a = p.apply(bundle(), makeRng(1));
  const b = p.apply(cloneBundle(bundle()), makeRng(2));
  assert.notEqual(a.observations.http_fetch![0]!.html, b.observations.http_fetch![0]!.html);
});
