import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { join } from "node:path";
import { UserError } from "../../core/errors.ts";
import { loadOperatorConfig, parseOperatorConfig } from "./operator_config.ts";
import { createSecretResolver } from "./secret_resolver.ts";
import { parseSecretRef } from "./secret_ref.ts";
import { parseSecretFlags, secretSettingsFrom } from "./secret_settings.ts";
import { openVaultStore } from "./vault_store.ts";

const KEY_HEX = "07".repeat(32);

function canary(): string {
  return `zu-canary-${crypto.randomUUID()}`;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu_settings_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function envOf(vars: Record<string, string>) {
  return (n: string) => vars[n];
}

Deno.test("the resolver looks in the refs, then the vault, then the environment", async () => {
  await withDir(async (dir) => {
    const inVault = canary();
    const inRef = canary();
    const inEnv = canary();
    const env = envOf({ REF_SRC: inRef, BOTH: inEnv, ONLY_ENV: inEnv });
    await using store = await openVaultStore({ path: join(dir, "v.db"), key: new Uint8Array(32) });
    await store.set("BOTH", { value: inVault });
    await store.set("VAULTED", { value: inVault });
    const r = createSecretResolver({ refs: { BOTH: parseSecretRef("env:REF_SRC") }, store, env });
    equal(await r.resolve("BOTH"), inRef);
    equal(await r.resolve("VAULTED"), inVault);
    equal(await r.resolve("ONLY_ENV"), inEnv);
    await rejects(r.resolve("NOWHERE"), (e: unknown) => {
      ok(e instanceof UserError && e.code === "secret_unresolved");
      equal(
        e.message,
        'Cannot find secret "NOWHERE": store it with `zu vault set NOWHERE`, or pass --secret NOWHERE=env:VAR',
      );
      return true;
    });
  });
});

Deno.test("parseSecretFlags reads NAME=REF and refuses a value, a bad name and a repeat", () => {
  deepEqual(parseSecretFlags(["GH=env:GITHUB_TOKEN"]), { GH: parseSecretRef("env:GITHUB_TOKEN") });
  throws(() => parseSecretFlags(["GH"]), /write NAME=env:VAR/);
  throws(() => parseSecretFlags(["GH=hunter2"]), (e: unknown) => {
    ok(
      e instanceof Error && !e.message.includes("hunter2") &&
        /must start with env:/.test(e.message),
    );
    return true;
  });
  throws(() => parseSecretFlags(["hunter2"]), (e: unknown) => {
    ok(e instanceof Error && !e.message.includes("hunter2"));
    return true;
  });
  throws(() => parseSecretFlags(["1X=env:A"]), /write NAME=env:VAR/);
  throws(
    () => parseSecretFlags(["A=env:X", "A=env:Y"]),
    /Cannot use --secret A: it is given twice/,
  );
});

Deno.test("parseOperatorConfig checks every key, with did-you-mean", () => {
  const ok1 = parseOperatorConfig({
    secrets: { GH: "env:GITHUB_TOKEN" },
    bindings: [
      { secret: "GH", mode: "inject", hosts: ["api.github.com"] },
      { secret: "M", mode: "route", upstream: "https://model.test/v1", env: "M_URL" },
      { secret: "P", mode: "placeholder", hosts: ["p.test"], plaintext_ports: [8080] },
    ],
    violation: "block",
  }, "v.json");
  equal(ok1.bindings.length, 3);
  equal(ok1.violation, "block");
  deepEqual(ok1.bindings[2]!.plaintextPorts, [8080]);
  const cases: [unknown, string][] = [
    [[], 'Cannot load operator config "v.json": must hold a JSON object'],
    [
      { bindngs: [] },
      'Cannot load operator config "v.json": bindngs is not a known key (did you mean "bindings"?)',
    ],
    [
      { bindings: [{ secret: "GH", mode: "inject", host: ["a.test"] }] },
      'Cannot load operator config "v.json": bindings[0].host is not a known key (did you mean "hosts"?)',
    ],
    [
      { bindings: [{ secret: "GH", mode: "inject", hosts: [] }] },
      'Cannot load operator config "v.json": bindings[0] an inject binding needs at least one host',
    ],
    [
      { secrets: { GH: "hunter2" } },
      'Cannot load operator config "v.json": secrets.GH a reference must start with env:, file: or cmd: (the text given is not shown in case it is a value)',
    ],
    [
      { violation: "kill" },
      'Cannot load operator config "v.json": violation must be one of block-and-log, block, block-and-terminate, got "kill"',
    ],
  ];
  for (const [doc, message] of cases) {
    throws(() => parseOperatorConfig(doc, "v.json"), (e: unknown) => {
      ok(e instanceof UserError && e.code === "config_invalid");
      equal(e.message, message);
      return true;
    });
  }
});

Deno.test("loadOperatorConfig: an absent default file is none, an absent named file is an error", async () => {
  await withDir(async (dir) => {
    equal(await loadOperatorConfig(undefined, { env: envOf({ XDG_CONFIG_HOME: dir }) }), null);
    await rejects(
      loadOperatorConfig(join(dir, "nope.json")),
      /Cannot load operator config ".*nope.json": the file does not exist/,
    );
    await Deno.mkdir(join(dir, "zu"));
    await Deno.writeTextFile(join(dir, "zu", "vault.json"), "{ nope");
    await rejects(
      loadOperatorConfig(undefined, { env: envOf({ XDG_CONFIG_HOME: dir }) }),
      /is not valid JSON/,
    );
  });
});

Deno.test("secretSettingsFrom merges the operator file under the flags (flags win)", async () => {
  await withDir(async (dir) => {
    const fromFile = canary();
    const fromFlag = canary();
    const conf = join(dir, "vault.json");
    await Deno.writeTextFile(
      conf,
      JSON.stringify({
        secrets: { GH: "env:FILE_GH", OTHER: "env:FILE_OTHER" },
        bindings: [
          { secret: "GH", mode: "inject", hosts: ["file.test"] },
          { secret: "OTHER", mode: "placeholder", hosts: ["other.test"] },
        ],
        violation: "block",
      }),
    );
    const env = envOf({ FILE_GH: fromFile, FILE_OTHER: fromFile, FLAG_GH: fromFlag, HOME: dir });
    await using s = await secretSettingsFrom({
      secretFlags: ["GH=env:FLAG_GH"],
      bindFlags: ["GH:inject:flag.test"],
      vaultConfigPath: conf,
      violation: "block-and-terminate",
      env,
    });
    deepEqual(s.bindings.map((b) => [b.secret, b.hosts[0]]), [
      ["GH", "flag.test"],
      ["OTHER", "other.test"],
    ]);
    equal(s.violation, "block-and-terminate");
    equal(await s.resolver.resolve("GH"), fromFlag);
    equal(await s.resolver.resolve("OTHER"), fromFile);
    await s.verify();
  });
});

Deno.test("secretSettingsFrom opens an existing vault lazily and sees a rotation", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "v.db");
    const v1 = canary();
    const v2 = canary();
    const env = envOf({ ZU_VAULT_KEY: KEY_HEX, HOME: dir });
    await using store = await openVaultStore({ path, env });
    await store.set("M", { value: v1 });
    await using s = await secretSettingsFrom({
      bindFlags: ["M:route:https://model.test/v1"],
      vaultPath: path,
      env,
    });
    equal(s.violation, "block-and-log");
    equal(await s.resolver.resolve("M"), v1);
    await store.rotate("M", { value: v2 });
    equal(await s.resolver.resolve("M"), v2);
  });
});

Deno.test("secretSettingsFrom: a missing --vault file, a bad flag and an unbound secret fail clearly", async () => {
  await withDir(async (dir) => {
    const env = envOf({ HOME: dir });
    await rejects(
      secretSettingsFrom({ vaultPath: join(dir, "none.db"), env }),
      /Cannot open vault ".*none.db": the file does not exist/,
    );
    await rejects(
      secretSettingsFrom({ violation: "explode", env }),
      /Cannot use --secret-violation "explode": use one of block-and-log, block, block-and-terminate/,
    );
    await rejects(
      secretSettingsFrom({ bindFlags: ["X:bad:a.test"], env }),
      /the mode is not one of/,
    );
    await using s = await secretSettingsFrom({ bindFlags: ["MISSING:inject:a.test"], env });
    await rejects(s.verify(), /Cannot find secret "MISSING"/);
  });
});
