import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { UserError } from "../core/errors.ts";
import { join } from "node:path";
import { containsBytes } from "../testing/recording_upstream.ts";
import { captureIo, type CaptureIoOptions } from "./_io.ts";
import { main } from "./main.ts";
import { SECRET_FLAGS, secretSettingsOf } from "./_secret_flags.ts";
import { parseCommand } from "./_command.ts";

const KEY = "5a".repeat(32);
const OTHER_KEY = "a5".repeat(32);

function canary(): string {
  return `zu-canary-${crypto.randomUUID()}`;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zu_cli_vault_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function zu(
  args: string[],
  options: CaptureIoOptions & { key?: string | null } = {},
): Promise<{ code: number; out: string; err: string }> {
  const env: Record<string, string> = { ...(options.env ?? {}) };
  if (options.key !== null) env.ZU_VAULT_KEY = options.key ?? KEY;
  const io = captureIo({ ...options, env });
  const code = await main(args, io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

function noCanary(c: string, ...texts: string[]): void {
  for (const t of texts) ok(!t.includes(c), `canary printed: ${t}`);
}

Deno.test("zu vault set reads the value from stdin; list shows no value; the file holds none", async () => {
  await withDir(async (dir) => {
    const db = join(dir, "v.db");
    const value = canary();
    const set = await zu(["vault", "set", "GH", "--vault", db], { stdin: `${value}\n` });
    equal(set.code, 0, set.err);
    equal(set.out, `Stored "GH" (a value) in ${db}\n`);
    const ref = await zu(["vault", "set", "API", "--from", "env:API_TOKEN", "--vault", db]);
    equal(ref.code, 0, ref.err);
    const text = await zu(["vault", "list", "--vault", db]);
    equal(text.code, 0, text.err);
    const lines = text.out.trimEnd().split("\n");
    ok(/^NAME\s+SOURCE\s+CREATED\s+ROTATED\s+SHA256$/.test(lines[0]!), lines[0]);
    ok(/^API\s+env\s+\S+\s+-\s+[0-9a-f]{12}$/.test(lines[1]!), lines[1]);
    ok(/^GH\s+value\s+\S+\s+-\s+[0-9a-f]{12}$/.test(lines[2]!), lines[2]);
    const json = await zu(["vault", "list", "--json", "--vault", db]);
    const entries = JSON.parse(json.out) as { name: string; source_kind: string }[];
    deepEqual(entries.map((e) => [e.name, e.source_kind]), [["API", "env"], ["GH", "value"]]);
    noCanary(value, set.out, set.err, text.out, text.err, json.out, json.err);
    ok(!containsBytes(await Deno.readFile(db), value), "the canary is in the vault file");
    equal(Deno.statSync(db).mode! & 0o777, 0o600);
    // the one trailing newline was dropped: the stored value is exactly the canary
    const { openVaultStore } = await import("../runner/vault/vault_store.ts");
    await using vault = await openVaultStore({
      path: db,
      env: (n) => n === "ZU_VAULT_KEY" ? KEY : undefined,
    });
    equal(await vault.resolve("GH"), value);
  });
});

Deno.test("zu vault set never takes a value from argv and never prints it", async () => {
  await withDir(async (dir) => {
    const db = join(dir, "v.db");
    const value = canary();
    const r = await zu(["vault", "set", "GH", value, "--vault", db]);
    equal(r.code, 2);
    noCanary(value, r.out, r.err);
    ok(r.err.startsWith('error: "zu vault set" never takes a value on the command line'), r.err);
    equal(r.err.trimEnd().split("\n").length, 1);
    const fromValue = await zu(["vault", "set", "GH", "--from", value, "--vault", db]);
    equal(fromValue.code, 2);
    noCanary(value, fromValue.out, fromValue.err);
  });
});

Deno.test("zu vault rotate replaces the value; rm removes it; unknown names exit 2", async () => {
  await withDir(async (dir) => {
    const db = join(dir, "v.db");
    const v1 = canary();
    const v2 = canary();
    equal((await zu(["vault", "set", "K", "--vault", db], { stdin: v1 })).code, 0);
    const again = await zu(["vault", "set", "K", "--vault", db], { stdin: v2 });
    equal(again.code, 2);
    equal(
      again.err,
      'error: Cannot set secret "K": it is already in the vault; change it with "zu vault rotate K"\n',
    );
    const rot = await zu(["vault", "rotate", "K", "--vault", db], { stdin: v2 });
    equal(rot.code, 0, rot.err);
    const listed = await zu(["vault", "list", "--json", "--vault", db]);
    const [entry] = JSON.parse(listed.out) as { rotated: string | null }[];
    ok(entry!.rotated !== null);
    const unknown = await zu(["vault", "rotate", "NOPE", "--vault", db], { stdin: v2 });
    equal(unknown.code, 2);
    equal(
      unknown.err,
      `error: Cannot rotate secret "NOPE": it is not in the vault "${db}" (see "zu vault list")\n`,
    );
    equal((await zu(["vault", "rm", "K", "--vault", db])).code, 0);
    const gone = await zu(["vault", "rm", "K", "--vault", db]);
    equal(gone.code, 2);
    noCanary(v1, again.out, again.err, rot.out, rot.err, listed.out);
    noCanary(v2, again.out, again.err, rot.out, rot.err, listed.out);
  });
});

Deno.test("zu vault with the wrong key exits 2 with one line and leaves the file byte-identical", async () => {
  await withDir(async (dir) => {
    const db = join(dir, "v.db");
    const value = canary();
    equal((await zu(["vault", "set", "K", "--vault", db], { stdin: value })).code, 0);
    const before = await Deno.readFile(db);
    for (
      const args of [
        ["vault", "list"],
        ["vault", "set", "L"],
        ["vault", "rotate", "K"],
        ["vault", "rm", "K"],
      ]
    ) {
      const r = await zu([...args, "--vault", db], { key: OTHER_KEY, stdin: canary() });
      equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      ok(r.err.startsWith("error: "), r.err);
      ok(
        r.err.includes("the vault key does not open this vault (") &&
          r.err.trimEnd().endsWith("set ZU_VAULT_KEY to the key it was made with"),
        r.err,
      );
      equal(r.err.trimEnd().split("\n").length, 1);
      noCanary(value, r.out, r.err);
    }
    deepEqual(await Deno.readFile(db), before);
  });
});

Deno.test("zu vault without a key says what to set, and creates no file", async () => {
  await withDir(async (dir) => {
    const db = join(dir, "v.db");
    const r = await zu(["vault", "set", "K", "--vault", db], { key: null, stdin: canary() });
    equal(r.code, 2);
    ok(
      r.err.startsWith(
        "error: Cannot open the vault: no vault key; set ZU_VAULT_KEY to 32 random bytes as 64 hex characters",
      ),
      r.err,
    );
    ok(!Deno.statSync(dir).isFile && [...Deno.readDirSync(dir)].length === 0, "a file was made");
    const short = await zu(["vault", "set", "K", "--vault", db], { key: "abcd", stdin: "x" });
    equal(short.code, 2);
    ok(short.err.startsWith("error: Cannot use ZU_VAULT_KEY: it is not a 32-byte key; set"));
    const list = await zu(["vault", "list", "--vault", db]);
    equal(list.code, 2);
    equal(
      list.err,
      `error: Cannot open vault "${db}": the file does not exist (store a secret with "zu vault set NAME")\n`,
    );
  });
});

Deno.test("zu vault takes the key from --vault-key-cmd (a real child process)", async () => {
  await withDir(async (dir) => {
    const db = join(dir, "v.db");
    const cmd = JSON.stringify([Deno.execPath(), "eval", `console.log("${KEY}")`]);
    const value = canary();
    const r = await zu(["vault", "set", "K", "--vault", db, "--vault-key-cmd", cmd], {
      key: null,
      stdin: value,
    });
    equal(r.code, 0, r.err);
    // the same key through ZU_VAULT_KEY opens it
    equal((await zu(["vault", "list", "--vault", db])).code, 0);
    const bad = await zu(["vault", "list", "--vault", db, "--vault-key-cmd", '["false"]'], {
      key: null,
    });
    equal(bad.code, 2);
    ok(bad.err.startsWith('error: Cannot read the vault key from its command "cmd:["false"]"'));
  });
});

Deno.test("zu vault: an empty stdin, a bad name and a bad reference exit 2", async () => {
  await withDir(async (dir) => {
    const db = join(dir, "v.db");
    const empty = await zu(["vault", "set", "K", "--vault", db], { stdin: "\n" });
    equal(empty.code, 2);
    ok(empty.err.startsWith('error: Cannot store "K": stdin is empty'), empty.err);
    const name = await zu(["vault", "set", "1K", "--vault", db], { stdin: "x" });
    equal(name.code, 2);
    ok(name.err.startsWith('error: Cannot use secret name "1K"'), name.err);
    const ref = await zu(["vault", "set", "K", "--from", "file:", "--vault", db]);
    equal(ref.code, 2);
    ok(ref.err.startsWith('error: Cannot use secret reference "file:": file: needs a path'));
  });
});

Deno.test("the secret flags parse repeated --secret/--bind into SecretSettings", async () => {
  await withDir(async (dir) => {
    const def = { name: "run", summary: "", flags: { ...SECRET_FLAGS } };
    const parsed = parseCommand(def, [
      "--secret",
      "GH=env:T1",
      "--secret",
      "M=env:T2",
      "--bind",
      "GH:inject:api.github.com",
      "--bind",
      "M:route:https://model.test/v1",
      "--secret-violation",
      "block",
    ], ["zu", "run"]);
    ok(!("help" in parsed));
    const value = canary();
    const io = captureIo({ env: { T1: value, HOME: dir }, cwd: dir });
    await using s = await secretSettingsOf({ ...parsed, io, path: ["zu", "run"] });
    deepEqual(s.bindings.map((b) => [b.secret, b.mode]), [["GH", "inject"], ["M", "route"]]);
    equal(s.violation, "block");
    equal(await s.resolver.resolve("GH"), value);
  });
});

Deno.test("the secret flags refuse a bad binding and a bad violation as user errors", async () => {
  const def = { name: "run", summary: "", flags: { ...SECRET_FLAGS } };
  throws(() => parseCommand(def, ["--secret-violation", "nuke"], ["zu", "run"]), (e: unknown) => {
    ok(e instanceof UserError && e.code === "usage");
    ok(e.message.startsWith('flag "--secret-violation" does not accept "nuke"'), e.message);
    return true;
  });
  const parsed = parseCommand(def, ["--bind", "GH:inject:*"], ["zu", "run"]);
  ok(!("help" in parsed));
  await rejects(
    secretSettingsOf({ ...parsed, io: captureIo({ env: {} }), path: ["zu", "run"] }),
    (e: unknown) => {
      ok(e instanceof UserError && e.code === "config_invalid");
      equal(e.message, 'Cannot use binding "GH:inject": host "*": name the hosts instead of "*"');
      return true;
    },
  );
});
