import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { UserError } from "../../core/errors.ts";
import { parseBinding } from "./bindings.ts";

Deno.test("parseBinding reads inject with hosts, ports and a header template", () => {
  deepEqual(
    parseBinding(
      "GH:inject:api.github.com,uploads.github.com:8443:Authorization=token {{secret:GH}}",
    ),
    {
      secret: "GH",
      mode: "inject",
      hosts: ["api.github.com", "uploads.github.com:8443"],
      headers: ["Authorization: token {{secret:GH}}"],
    },
  );
  deepEqual(parseBinding("GH:inject:API.GitHub.com."), {
    secret: "GH",
    mode: "inject",
    hosts: ["api.github.com"],
    headers: ["Authorization: Bearer {{secret:GH}}"],
  });
  deepEqual(parseBinding("K:inject:*.bound.test:X-Api-Key={{secret:K}}").headers, [
    "X-Api-Key: {{secret:K}}",
  ]);
  deepEqual(parseBinding("K:inject:[::1]:8443").hosts, ["[::1]:8443"]);
});

Deno.test("parseBinding reads placeholder with an env variable and plain-HTTP opt-ins", () => {
  deepEqual(parseBinding("GH:placeholder:api.github.com:GH_TOKEN"), {
    secret: "GH",
    mode: "placeholder",
    hosts: ["api.github.com"],
    env: "GH_TOKEN",
  });
  deepEqual(parseBinding("GH:placeholder:http://git.local,api.test:9443,http://h.test:8080"), {
    secret: "GH",
    mode: "placeholder",
    hosts: ["git.local:80", "api.test:9443", "h.test:8080"],
    env: "GH",
    plaintextPorts: [80, 8080],
  });
});

Deno.test("parseBinding reads route with an upstream URL and an optional env variable", () => {
  deepEqual(parseBinding("OPENAI:route:https://api.openai.com/v1:OPENAI_BASE_URL"), {
    secret: "OPENAI",
    mode: "route",
    hosts: ["api.openai.com"],
    upstream: "https://api.openai.com/v1",
    env: "OPENAI_BASE_URL",
  });
  deepEqual(parseBinding("M:route:https://model.test:8443"), {
    secret: "M",
    mode: "route",
    hosts: ["model.test:8443"],
    upstream: "https://model.test:8443",
  });
  deepEqual(parseBinding("M:route:http://127.0.0.1:9000/v1").plaintextPorts, [9000]);
});

Deno.test("parseBinding refuses each mistake with one exact line", () => {
  const cases: [string, string][] = [
    [
      "GH",
      "Cannot use --bind: write NAME:inject:HOSTS[:Header=template], NAME:placeholder:HOSTS[:ENVVAR] or NAME:route:URL[:ENVVAR]",
    ],
    [
      "9GH:inject:a.test",
      'Cannot use --bind: what comes before the first ":" is not a secret name (a letter or "_" then letters, digits, "_")',
    ],
    [
      "GH:swap:a.test",
      'Cannot use binding of "GH": the mode is not one of inject, placeholder, route',
    ],
    ["GH:inject:", 'Cannot use binding "GH:inject": the hosts are missing'],
    ["GH:route:", 'Cannot use binding "GH:route": an upstream URL is missing'],
    ["GH:inject:*", 'Cannot use binding "GH:inject": host "*": name the hosts instead of "*"'],
    ["GH:inject:a.test,,b.test", 'Cannot use binding "GH:inject": a host in the list is empty'],
    [
      "GH:inject:https://a.test",
      'Cannot use binding "GH:inject": host "https://a.test": write https hosts without "https://" (TLS is the default)',
    ],
    [
      "GH:inject:a.test:Authorization",
      'Cannot use binding "GH:inject": what follows the hosts must be Header=template (the text is not shown)',
    ],
    [
      "GH:inject:a.test:Authorization=Bearer {{secret:OPENAI}}",
      'Cannot use binding "GH:inject": header "Authorization" names secret "OPENAI": a binding of "GH" may only use {{secret:GH}}',
    ],
    [
      "GH:inject:a.test:Authorization=Bearer xyz",
      'Cannot use binding "GH:inject": header "Authorization" must contain {{secret:GH}}',
    ],
    [
      "GH:inject:a.test:Host={{secret:GH}}",
      'Cannot use binding "GH:inject": header "Host" cannot be set by a binding',
    ],
    [
      "GH:placeholder:a.test:not-env",
      'Cannot use binding "GH:placeholder": what follows the hosts is not an environment variable name (the text is not shown)',
    ],
    [
      "M:route:ftp://a.test",
      'Cannot use binding "M:route": the upstream\'s scheme "ftp:" is not https:',
    ],
    [
      "M:route:https://u:p@a.test/v1",
      'Cannot use binding "M:route": the upstream must not hold credentials, a query or a fragment (the URL is not shown)',
    ],
    [
      "M:route:api.openai.com",
      'Cannot use binding "M:route": the upstream is not a URL such as https://api.openai.com/v1 (the text is not shown)',
    ],
  ];
  for (const [text, message] of cases) {
    throws(() => parseBinding(text), (e: unknown) => {
      ok(e instanceof UserError, String(e));
      equal(e.code, "config_invalid");
      equal(e.message, message);
      return true;
    });
  }
});

Deno.test("a value pasted into a binding is never echoed", () => {
  const canary = `zu-canary-${crypto.randomUUID()}`;
  for (
    const text of [
      canary,
      `GH:inject:a.test:Authorization=Bearer ${canary}`,
      `GH:inject:a.test:${canary}`,
      `GH:placeholder:a.test:${canary}-x`,
      `GH:${canary}:a.test`,
      `M:route:https://u:${canary}@a.test/v1`,
    ]
  ) {
    throws(() => parseBinding(text), (e: unknown) => {
      ok(e instanceof UserError && !e.message.includes(canary), String(e));
      return true;
    });
  }
});

Deno.test("a binding is frozen", () => {
  const b = parseBinding("GH:inject:a.test");
  ok(Object.isFrozen(b) && Object.isFrozen(b.hosts) && Object.isFrozen(b.headers));
});
