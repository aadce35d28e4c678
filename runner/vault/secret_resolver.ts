/**
 * `createSecretResolver`: the {@link SecretResolver} of a run. A name is looked up, on every
 * call, in this order:
 *
 * 1. the ad-hoc references (`--secret NAME=REF`, the operator file's `secrets`);
 * 2. the vault store (read from its file now, so a rotation applies to the next call);
 * 3. the host environment variable of exactly that name (so a provider's default key such as
 *    `OPENAI_API_KEY` works with no vault).
 *
 * An unknown name is a `UserError` (code `secret_unresolved`) saying how to provide it.
 *
 * @example
 * ```ts
 * import { createSecretResolver } from "./secret_resolver.ts";
 * import { parseSecretRef } from "./secret_ref.ts";
 * const env = (n: string) => ({ TOKEN: "t1", OPENAI_API_KEY: "k1" } as Record<string, string>)[n];
 * const r = createSecretResolver({ refs: { GH: parseSecretRef("env:TOKEN") }, env });
 * console.assert((await r.resolve("GH")) === "t1");
 * console.assert((await r.resolve("OPENAI_API_KEY")) === "k1");
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";
import type { EnvReader, SecretResolver } from "../../core/types.ts";
import { safeEnv } from "../../core/env.ts";
import { checkSecretName } from "./secret_name.ts";
import { resolveSecretRef, type SecretRef } from "./secret_ref.ts";

/** The part of a vault store the resolver uses (a `VaultStore` fits). */
export interface SecretStoreLike {
  /** True when the store holds `name`. */
  has(name: string): boolean | Promise<boolean>;
  /** The current value of `name`. */
  resolve(name: string): Promise<string>;
}

/** Options of {@link createSecretResolver}. */
export interface SecretResolverOptions {
  /** Ad-hoc references by name (looked up first). */
  refs?: Readonly<Record<string, SecretRef>>;
  /** The vault store, or a function opening it on first use; null/absent = no vault. */
  store?: SecretStoreLike | null | (() => Promise<SecretStoreLike | null>);
  /** Environment seam (references and the last fallback). Default `Deno.env.get`. */
  env?: EnvReader;
  /** Directory relative `file:` references and `cmd:` run in. Default `Deno.cwd()`. */
  cwd?: string;
}

/** The message for a name found nowhere. */
export function unknownSecretError(name: string): UserError {
  return new UserError(
    "secret_unresolved",
    `Cannot find secret "${name}": store it with \`zu vault set ${name}\`, or pass --secret ${name}=env:VAR`,
  );
}

/** Builds the resolver (see the module doc). */
export function createSecretResolver(options: SecretResolverOptions = {}): SecretResolver {
  const env = options.env ?? safeEnv;
  const refs = options.refs ?? {};
  const refOptions = { env, ...(options.cwd !== undefined ? { cwd: options.cwd } : {}) };
  let store: Promise<SecretStoreLike | null> | null = null;
  const storeOf = (): Promise<SecretStoreLike | null> => {
    if (store === null) {
      const s = options.store;
      store = typeof s === "function" ? s() : Promise.resolve(s ?? null);
      store.catch(() => {
        store = null;
      });
    }
    return store;
  };
  return {
    async resolve(name: string): Promise<string> {
      checkSecretName(name);
      const ref = Object.hasOwn(refs, name) ? refs[name] : undefined;
      if (ref !== undefined) return await resolveSecretRef(ref, refOptions);
      const s = await storeOf();
      if (s !== null && await s.has(name)) return await s.resolve(name);
      const v = env(name);
      if (v !== undefined && v !== "") return v;
      throw unknownSecretError(name);
    },
  };
}
