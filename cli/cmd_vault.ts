/**
 * `zu vault`: the operator's encrypted secrets — set, rotate, rm, list. A value is read from
 * stdin (never from the command line); nothing prints a value.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { UserError } from "../core/errors.ts";
import type { VaultSecretInput, VaultStore } from "../runner/vault/vault_store.ts";
import { checkSecretName } from "../runner/vault/secret_name.ts";
import { loadVaultKey } from "../runner/vault/vault_key.ts";
import { VAULT_FLAG, VAULT_KEY_CMD_FLAG } from "./_secret_flags.ts";
import {
  bool,
  type CommandContext,
  type CommandDef,
  type FlagDef,
  printJson,
  str,
} from "./_command.ts";

const COMMON: Record<string, FlagDef> = {
  vault: VAULT_FLAG,
  "vault-key-cmd": VAULT_KEY_CMD_FLAG,
};

const FROM: FlagDef = {
  type: "string",
  placeholder: "ref",
  description:
    'Store a reference resolved on the host when used: env:VAR, file:PATH[#regex], cmd:["prog","arg"] (default: read the value from stdin)',
};

/** Catches a value typed after the name: it would be in the shell history and the process list. */
const VALUE_TRAP = { name: "value", description: "", optional: true, variadic: true, hidden: true };

function vaultPathOf(ctx: CommandContext): string | undefined {
  const p = str(ctx, "vault");
  if (p === undefined) return undefined;
  return isAbsolute(p) ? p : resolve(ctx.io.cwd, p);
}

async function withVault<T>(
  ctx: CommandContext,
  mode: "create" | "existing",
  fn: (vault: VaultStore) => Promise<T>,
): Promise<T> {
  const { defaultVaultPath, openVaultStore, vaultExists } = await import(
    "../runner/vault/vault_store.ts"
  );
  const env = (n: string) => ctx.io.env(n);
  const path = vaultPathOf(ctx) ?? defaultVaultPath(env);
  const exists = vaultExists(path);
  if (mode === "existing" && !exists) {
    throw new UserError(
      "config_invalid",
      `Cannot open vault "${path}": the file does not exist (store a secret with "zu vault set NAME")`,
    );
  }
  const keyCmd = str(ctx, "vault-key-cmd");
  const keyOptions = { env, ...(keyCmd !== undefined ? { keyCmd } : {}) };
  // A new vault is created only once its key is known to be readable.
  const key = exists ? undefined : await loadVaultKey(keyOptions);
  const vault = await openVaultStore({
    path,
    cwd: ctx.io.cwd,
    ...keyOptions,
    ...(key !== undefined ? { key } : {}),
  });
  try {
    return await fn(vault);
  } finally {
    vault.close();
  }
}

function refuseArgvValue(ctx: CommandContext): void {
  if (ctx.positionals.length > 1) {
    throw new UserError(
      "usage",
      `"${
        ctx.path.join(" ")
      }" never takes a value on the command line (it would stay in the shell history and the process list; it is not shown): pipe it on stdin or use --from env:VAR`,
    );
  }
}

/** The value to store: `--from REF`, else stdin (one final newline dropped). */
async function inputOf(ctx: CommandContext, name: string): Promise<VaultSecretInput> {
  const from = str(ctx, "from");
  if (from !== undefined) return { ref: from };
  if (!ctx.io.readStdin) {
    throw new UserError(
      "usage",
      `Cannot read a value for "${name}": there is no stdin; use --from env:VAR`,
    );
  }
  const bytes = await ctx.io.readStdin(`Value of ${name} (not shown): `);
  let value: string;
  try {
    value = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } finally {
    bytes.fill(0);
  }
  value = value.replace(/\r?\n$/, "");
  if (value === "") {
    throw new UserError(
      "usage",
      `Cannot store "${name}": stdin is empty; pipe the value in (printf %s "$TOKEN" | zu vault set ${name}) or use --from env:VAR`,
    );
  }
  return { value };
}

function sourceText(input: VaultSecretInput): string {
  return "value" in input ? "a value" : "a reference";
}

const set: CommandDef = {
  name: "set",
  summary: "Store a new secret (value from stdin, or --from a reference)",
  positionals: [
    { name: "name", description: "Secret name ([A-Za-z_][A-Za-z0-9_]{0,63})" },
    VALUE_TRAP,
  ],
  flags: { from: FROM, ...COMMON },
  examples: [
    'printf %s "$GITHUB_TOKEN" | zu vault set GH',
    "zu vault set GH --from env:GITHUB_TOKEN",
    'zu vault set NPM --from "file:~/.npmrc#_authToken=(.+)"',
    `zu vault set OPENAI --from 'cmd:["pass","show","openai"]'`,
  ],
  run: async (ctx) => {
    refuseArgvValue(ctx);
    const name = checkSecretName(ctx.positionals[0]!);
    return await withVault(ctx, "create", async (vault) => {
      await vault.checkWrite(name, "set");
      const input = await inputOf(ctx, name);
      await vault.set(name, input);
      ctx.io.stdout(`Stored "${name}" (${sourceText(input)}) in ${vault.path}\n`);
      return 0;
    });
  },
};

const rotate: CommandDef = {
  name: "rotate",
  summary: "Replace a secret's value or reference (seen by running zu processes at their next use)",
  positionals: [{ name: "name", description: "Secret name" }, VALUE_TRAP],
  flags: { from: FROM, ...COMMON },
  examples: ['printf %s "$NEW_TOKEN" | zu vault rotate GH', "zu vault rotate GH --from env:NEW"],
  run: async (ctx) => {
    refuseArgvValue(ctx);
    const name = ctx.positionals[0]!;
    return await withVault(ctx, "existing", async (vault) => {
      await vault.checkWrite(name, "rotate");
      const input = await inputOf(ctx, name);
      await vault.rotate(name, input);
      ctx.io.stdout(`Rotated "${name}" (${sourceText(input)}) in ${vault.path}\n`);
      return 0;
    });
  },
};

const rm: CommandDef = {
  name: "rm",
  summary: "Remove a secret",
  positionals: [{ name: "name", description: "Secret name" }],
  flags: { ...COMMON },
  run: (ctx) =>
    withVault(ctx, "existing", async (vault) => {
      const name = ctx.positionals[0]!;
      await vault.rm(name);
      ctx.io.stdout(`Removed "${name}" from ${vault.path}\n`);
      return 0;
    }),
};

const list: CommandDef = {
  name: "list",
  summary: "List the secrets: name, source kind, times and a SHA-256 prefix, never a value",
  flags: { json: { type: "boolean", description: "Print JSON instead of text" }, ...COMMON },
  run: (ctx) =>
    withVault(ctx, "existing", async (vault) => {
      const entries = await vault.list();
      if (bool(ctx, "json")) {
        printJson(ctx.io, entries);
        return 0;
      }
      if (entries.length === 0) {
        ctx.io.stdout(`The vault ${vault.path} holds no secret\n`);
        return 0;
      }
      const rows = [
        ["NAME", "SOURCE", "CREATED", "ROTATED", "SHA256"],
        ...entries.map((
          e,
        ) => [e.name, e.source_kind, e.created, e.rotated ?? "-", e.sha256_prefix]),
      ];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows) {
        ctx.io.stdout(`${r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()}\n`);
      }
      return 0;
    }),
};

/** `zu vault`. */
export const vaultCommand: CommandDef = {
  name: "vault",
  summary: "Keep secrets encrypted on the host: set, rotate, rm, list (values never printed)",
  description:
    `Secrets live in one SQLite file (mode 0600), each encrypted with AES-256-GCM under the vault key ($ZU_VAULT_KEY, 64 hex characters or base64 of 32 bytes, or --vault-key-cmd). A value is read from stdin, never from the command line; --from stores a reference (env:, file:, cmd:) resolved on the host each time it is used. "list" shows a SHA-256 prefix of the stored value (of the reference text for a reference). See docs/secrets.md.`,
  subcommands: [set, rotate, rm, list],
};
