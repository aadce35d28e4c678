import { deepEqual, equal, notEqual, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { UserError } from "../../core/errors.ts";
import { containsBytes } from "../../testing/recording_upstream.ts";
import { DatabaseSync } from "../../sinks/sqlite/node_sqlite.ts";
import { defaultVaultPath, openVaultStore } from "./vault_store.ts";
import { loadVaultKey, vaultKeyId } from "./vault_key.ts";

const KEY_A = new Uint8Array(32).fill(7);
const KEY_B = new Uint8Array(32).fill(9);
const enc = new TextEncoder();

function canary(): string {
  return `zu-canary-${crypto.randomUUID()}`;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu_vault_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("VaultStore stores a value and a reference, and resolves both", async () => {
  await withDir(async (dir) => {
    const value = canary();
    const fromEnv = canary();
    const env = (n: string) => n === "GH_TOKEN" ? fromEnv : undefined;
    await using vault = await openVaultStore({ path: join(dir, "v.db"), key: KEY_A, env });
    await vault.set("API", { value });
    await vault.set("GH", { ref: "env:GH_TOKEN" });
    equal(await vault.resolve("API"), value);
    equal(await vault.resolve("GH"), fromEnv);
    ok(vault.has("API") && !vault.has("NOPE"));
  });
});

Deno.test("VaultStore creates the file 0600 in a new 0700 directory", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "cfg", "zu", "vault.db");
    await using vault = await openVaultStore({ path, key: KEY_A });
    await vault.set("X", { value: canary() });
    equal(Deno.statSync(path).mode! & 0o777, 0o600);
    equal(Deno.statSync(join(dir, "cfg", "zu")).mode! & 0o777, 0o700);
  });
});

Deno.test("the vault file and list() hold no plaintext value; list shows kind and a hash prefix", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "v.db");
    const value = canary();
    {
      await using vault = await openVaultStore({ path, key: KEY_A });
      await vault.set("API", { value });
      await vault.set("NETRC", { ref: "file:~/.netrc#password\\s+(\\S+)" });
      const list = await vault.list();
      deepEqual(list.map((e) => [e.name, e.source_kind, e.rotated]), [
        ["API", "value", null],
        ["NETRC", "file", null],
      ]);
      const hex = await crypto.subtle.digest("SHA-256", enc.encode(value));
      const want = [...new Uint8Array(hex)].map((b) => b.toString(16).padStart(2, "0")).join("");
      equal(list[0]!.sha256_prefix, want.slice(0, 12));
      ok(/^[0-9a-f]{12}$/.test(list[1]!.sha256_prefix));
      ok(!JSON.stringify(list).includes(value));
    }
    const bytes = await Deno.readFile(path);
    ok(!containsBytes(bytes, enc.encode(value)), "the canary is in the vault file");
  });
});

Deno.test("a blob moved to another name does not decrypt, and nothing is returned", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "v.db");
    const a = canary();
    const b = canary();
    await using vault = await openVaultStore({ path, key: KEY_A });
    await vault.set("A", { value: a });
    await vault.set("B", { value: b });
    const db = new DatabaseSync(path);
    const rowA = db.prepare("SELECT blob FROM vault_secrets WHERE name = 'A'").get()!;
    const rowB = db.prepare("SELECT blob FROM vault_secrets WHERE name = 'B'").get()!;
    db.prepare("UPDATE vault_secrets SET blob = ? WHERE name = 'A'").run(rowB.blob as Uint8Array);
    db.prepare("UPDATE vault_secrets SET blob = ? WHERE name = 'B'").run(rowA.blob as Uint8Array);
    db.close();
    for (const name of ["A", "B"]) {
      await rejects(vault.resolve(name), (e: unknown) => {
        ok(e instanceof UserError && e.code === "decrypt_failed");
        equal(
          e.message,
          `Cannot open secret "${name}" in vault "${path}": its blob does not decrypt under this name (moved from another row or tampered with)`,
        );
        ok(!e.message.includes(a) && !e.message.includes(b));
        return true;
      });
    }
  });
});

Deno.test("a value row relabelled as a reference fails without showing the value", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "v.db");
    const value = canary();
    await using vault = await openVaultStore({ path, key: KEY_A });
    await vault.set("A", { value });
    const db = new DatabaseSync(path);
    db.prepare("UPDATE vault_secrets SET source = 'env:HOME' WHERE name = 'A'").run();
    db.close();
    await rejects(vault.resolve("A"), (e: unknown) => {
      ok(e instanceof UserError && /source column does not match/.test(e.message));
      ok(!e.message.includes(value));
      return true;
    });
  });
});

Deno.test("a wrong key is a clear error, and a refused write leaves the file byte-identical", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "v.db");
    const value = canary();
    {
      await using vault = await openVaultStore({ path, key: KEY_A });
      await vault.set("A", { value });
    }
    const before = await Deno.readFile(path);
    await using wrong = await openVaultStore({ path, key: KEY_B });
    const expected = `the vault key does not open this vault (it was made with key ${
      vaultKeyId(KEY_A)
    }, the key given is ${vaultKeyId(KEY_B)}): set ZU_VAULT_KEY to the key it was made with`;
    for (
      const attempt of [
        () => wrong.resolve("A"),
        () => wrong.set("B", { value: canary() }),
        () => wrong.rotate("A", { value: canary() }),
        () => wrong.list(),
        () => wrong.rm("A"),
      ]
    ) {
      await rejects(attempt(), (e: unknown) => {
        ok(e instanceof UserError && e.code === "decrypt_failed", String(e));
        ok(e.message.endsWith(expected), e.message);
        ok(!e.message.includes(value));
        return true;
      });
    }
    wrong.close();
    deepEqual(await Deno.readFile(path), before);
  });
});

Deno.test("a rotation by another store on the same file is seen by the next resolve", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "v.db");
    const v1 = canary();
    const v2 = canary();
    await using reader = await openVaultStore({ path, key: KEY_A });
    await using writer = await openVaultStore({ path, key: KEY_A });
    await writer.set("K", { value: v1 });
    equal(await reader.resolve("K"), v1);
    await writer.rotate("K", { value: v2 });
    equal(await reader.resolve("K"), v2);
    const [entry] = await reader.list();
    notEqual(entry!.rotated, null);
    // a rotation to a reference is seen too
    await writer.rotate("K", { ref: "env:ROTATED" });
    await using viaEnv = await openVaultStore({
      path,
      key: KEY_A,
      env: (n) => n === "ROTATED" ? v1 : undefined,
    });
    equal(await viaEnv.resolve("K"), v1);
  });
});

Deno.test("a rotation by another process is seen without reopening", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "v.db");
    const v1 = canary();
    const v2 = canary();
    await using vault = await openVaultStore({ path, key: KEY_A });
    await vault.set("K", { value: v1 });
    const script = join(dir, "rotate.ts");
    await Deno.writeTextFile(
      script,
      `import { openVaultStore } from ${
        JSON.stringify(new URL("./vault_store.ts", import.meta.url).href)
      };
const v = await openVaultStore({ path: Deno.args[0] });
await v.rotate("K", { value: Deno.args[1] });
v.close();
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", "--allow-env", script, path, v2],
      env: { ZU_VAULT_KEY: "07".repeat(32) },
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(out.code, 0, new TextDecoder().decode(out.stderr));
    equal(await vault.resolve("K"), v2);
  });
});

Deno.test("set refuses a taken name; rotate and rm refuse an unknown one; names are checked", async () => {
  await withDir(async (dir) => {
    await using vault = await openVaultStore({ path: join(dir, "v.db"), key: KEY_A });
    await vault.set("A", { value: "x" });
    await rejects(
      vault.set("A", { value: "y" }),
      /Cannot set secret "A": it is already in the vault; change it with "zu vault rotate A"/,
    );
    await rejects(
      vault.rotate("B", { value: "y" }),
      /Cannot rotate secret "B": it is not in the vault/,
    );
    await rejects(vault.rm("B"), /Cannot remove secret "B": it is not in the vault/);
    await rejects(vault.resolve("B"), /Cannot resolve secret "B": it is not in the vault/);
    await rejects(vault.set("1A", { value: "y" }), /Cannot use secret name "1A"/);
    await rejects(vault.set("A".repeat(65), { value: "y" }), /Cannot use secret name/);
    await rejects(vault.set("E", { value: "" }), /the value is empty/);
    await rejects(vault.set("R", { ref: "nope:x" }), /must start with env:, file: or cmd:/);
    await vault.rm("A");
    equal((await vault.list()).length, 0);
  });
});

Deno.test("the vault key comes from ZU_VAULT_KEY (hex or base64) or a key command", async () => {
  const hex = "ab".repeat(32);
  deepEqual(
    await loadVaultKey({ env: (n) => n === "ZU_VAULT_KEY" ? hex : undefined }),
    new Uint8Array(32).fill(0xab),
  );
  const b64 = btoa(String.fromCharCode(...new Uint8Array(32).fill(3)));
  deepEqual(
    await loadVaultKey({ env: (n) => n === "ZU_VAULT_KEY" ? b64 : undefined }),
    new Uint8Array(32).fill(3),
  );
  const cmd = JSON.stringify([Deno.execPath(), "eval", `console.log("${hex}")`]);
  deepEqual(
    await loadVaultKey({ keyCmd: cmd, env: () => undefined }),
    new Uint8Array(32).fill(0xab),
  );
  deepEqual(
    await loadVaultKey({ env: (n) => n === "ZU_VAULT_KEY_CMD" ? cmd : undefined }),
    new Uint8Array(32).fill(0xab),
  );
  await rejects(loadVaultKey({ env: () => undefined }), (e: unknown) => {
    ok(e instanceof UserError && e.code === "key_missing");
    ok(
      e.message.startsWith(
        "Cannot open the vault: no vault key; set ZU_VAULT_KEY to 32 random bytes",
      ),
    );
    return true;
  });
  await rejects(
    loadVaultKey({ env: (n) => n === "ZU_VAULT_KEY" ? "abcd" : undefined }),
    (e: unknown) => {
      ok(e instanceof UserError && e.code === "key_invalid");
      ok(
        e.message.startsWith("Cannot use ZU_VAULT_KEY: it is not a 32-byte key; set ZU_VAULT_KEY"),
      );
      ok(!e.message.includes("abcd"));
      return true;
    },
  );
  await rejects(
    loadVaultKey({
      keyCmd: JSON.stringify([Deno.execPath(), "eval", "Deno.exit(1)"]),
      env: () => undefined,
    }),
    /Cannot read the vault key from its command .*exited with code 1/,
  );
  await rejects(loadVaultKey({ keyCmd: "pass zu", env: () => undefined }), /must be a JSON array/);
});

Deno.test("the default vault path follows ZU_VAULT_PATH, XDG_CONFIG_HOME, then HOME", () => {
  equal(
    defaultVaultPath((n) => ({ ZU_VAULT_PATH: "/v.db", HOME: "/h" } as Record<string, string>)[n]),
    "/v.db",
  );
  equal(
    defaultVaultPath((n) => ({ XDG_CONFIG_HOME: "/x", HOME: "/h" } as Record<string, string>)[n]),
    "/x/zu/vault.db",
  );
  equal(
    defaultVaultPath((n) => ({ HOME: "/h" } as Record<string, string>)[n]),
    "/h/.config/zu/vault.db",
  );
});
