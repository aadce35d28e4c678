/**
 * The operator's config file: secret references and bindings kept outside any agent directory
 * (`--vault-config PATH`, else `$XDG_CONFIG_HOME/zu/vault.json`, else `~/.config/zu/vault.json`;
 * an absent default file means none). It is the only file bindings are read from.
 *
 * ```json
 * {
 *   "secrets": { "GH": "env:GITHUB_TOKEN" },
 *   "bindings": [
 *     { "secret": "GH", "mode": "inject", "hosts": ["api.github.com"],
 *       "headers": ["Authorization: Bearer {{secret:GH}}"] },
 *     { "secret": "OPENAI", "mode": "route", "upstream": "https://api.openai.com/v1",
 *       "env": "OPENAI_BASE_URL" }
 *   ],
 *   "violation": "block-and-log"
 * }
 * ```
 *
 * @example
 * ```ts
 * import { parseOperatorConfig } from "./operator_config.ts";
 * const c = parseOperatorConfig({ secrets: { GH: "env:GITHUB_TOKEN" } }, "vault.json");
 * console.assert(c.secrets.GH?.kind === "env" && c.bindings.length === 0);
 * ```
 * @module
 */
import { join } from "node:path";
import { didYouMean } from "../../core/did_you_mean.ts";
import { UserError } from "../../core/errors.ts";
import type { EnvReader, SecretBinding } from "../../core/types.ts";
import { safeEnv } from "../../core/env.ts";
import { checkBinding } from "./bindings.ts";
import { isSecretName } from "./secret_name.ts";
import { parseSecretRef, type SecretRef } from "./secret_ref.ts";
import { configDir } from "./vault_store.ts";

/** What happens when a placeholder heads for a host it is not bound to. */
export type ViolationAction = "block-and-log" | "block" | "block-and-terminate";

/** The violation actions. */
export const VIOLATION_ACTIONS: readonly ViolationAction[] = Object.freeze([
  "block-and-log",
  "block",
  "block-and-terminate",
]);

/** A checked operator config file. */
export interface OperatorConfig {
  /** The file read. */
  path: string;
  /** Secret references by name. */
  secrets: Readonly<Record<string, SecretRef>>;
  /** Bindings, checked. */
  bindings: readonly SecretBinding[];
  /** The violation action, when the file sets one. */
  violation?: ViolationAction;
}

const TOP_KEYS = ["secrets", "bindings", "violation"];
const BINDING_KEYS = ["secret", "mode", "hosts", "headers", "upstream", "env", "plaintext_ports"];

function fail(file: string, key: string, why: string): UserError {
  return new UserError(
    "config_invalid",
    `Cannot load operator config "${file}": ${key === "" ? "" : `${key} `}${why}`,
  );
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function unknownKeys(file: string, obj: Record<string, unknown>, known: string[], at: string) {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) {
      throw fail(file, `${at}${k}`, `is not a known key${didYouMean(k, known)}`);
    }
  }
}

function reason(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/^Cannot use [^:]*: /, "");
}

/** Checks a parsed operator config document (`file` names it in messages). */
export function parseOperatorConfig(doc: unknown, file: string): OperatorConfig {
  if (!isMapping(doc)) throw fail(file, "", "must hold a JSON object");
  unknownKeys(file, doc, TOP_KEYS, "");
  const secrets: Record<string, SecretRef> = {};
  if (doc.secrets !== undefined && doc.secrets !== null) {
    if (!isMapping(doc.secrets)) {
      throw fail(file, "secrets", "must be an object of NAME: reference");
    }
    for (const [name, ref] of Object.entries(doc.secrets)) {
      if (!isSecretName(name)) {
        throw fail(
          file,
          `secrets.${name}`,
          'is not a secret name (a letter or "_" then letters, digits, "_")',
        );
      }
      if (typeof ref !== "string") {
        throw fail(file, `secrets.${name}`, "must be a reference string (env:, file: or cmd:)");
      }
      try {
        secrets[name] = parseSecretRef(ref);
      } catch (e) {
        throw fail(file, `secrets.${name}`, reason(e));
      }
    }
  }
  const bindings: SecretBinding[] = [];
  if (doc.bindings !== undefined && doc.bindings !== null) {
    if (!Array.isArray(doc.bindings)) throw fail(file, "bindings", "must be a list");
    doc.bindings.forEach((b, i) => {
      const at = `bindings[${i}]`;
      if (!isMapping(b)) throw fail(file, at, "must be an object");
      unknownKeys(file, b, BINDING_KEYS, `${at}.`);
      try {
        bindings.push(checkBinding(b as { secret: unknown; mode: unknown }, at));
      } catch (e) {
        throw fail(file, at, reason(e));
      }
    });
  }
  const out: OperatorConfig = {
    path: file,
    secrets: Object.freeze(secrets),
    bindings: Object.freeze(bindings),
  };
  if (doc.violation !== undefined && doc.violation !== null) {
    if (!(VIOLATION_ACTIONS as readonly unknown[]).includes(doc.violation)) {
      throw fail(
        file,
        "violation",
        `must be one of ${VIOLATION_ACTIONS.join(", ")}, got ${JSON.stringify(doc.violation)}`,
      );
    }
    out.violation = doc.violation as ViolationAction;
  }
  return out;
}

/** The default operator config file: `$XDG_CONFIG_HOME/zu/vault.json`, else `~/.config/zu/vault.json`. */
export function defaultOperatorConfigPath(env: EnvReader = safeEnv): string {
  return join(configDir(env), "vault.json");
}

/**
 * Reads the operator config: `path` when given (it must exist), else the default file (absent
 * = `null`). Throws `UserError` (code `config_invalid`) on any problem.
 */
export async function loadOperatorConfig(
  path?: string,
  options: { env?: EnvReader } = {},
): Promise<OperatorConfig | null> {
  const explicit = path !== undefined;
  let file: string;
  if (explicit) {
    file = path;
  } else {
    try {
      file = defaultOperatorConfigPath(options.env ?? safeEnv);
    } catch {
      return null; // no HOME: there is no default file
    }
  }
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (!explicit && (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotCapable)) {
      return null;
    }
    const why = e instanceof Deno.errors.NotFound ? "the file does not exist" : reason(e);
    throw fail(file, "", why);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw fail(file, "", `is not valid JSON: ${reason(e)}`);
  }
  return parseOperatorConfig(doc, file);
}
