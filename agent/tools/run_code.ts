/**
 * `run_code`: runs a snippet of code in the run's sandbox through its {@link ExecSession}, in a
 * language the image has: `deno` (TypeScript) and `js` through the image's `deno eval`, `python`
 * through `python3 -c`. The languages offered are configured (default `deno` and `js`, what the
 * runtime image has). The observation is `shell`'s.
 *
 * @example
 * ```ts
 * import { RunCode } from "./run_code.ts";
 * import { FakeExecSession } from "../../testing/fake_exec_session.ts";
 * const session = new FakeExecSession(() => ({ stdout: "2\n" }));
 * const tool = new RunCode({ openSession: () => Promise.resolve(session) });
 * const obs = await tool.call({} as never, { language: "js", code: "console.log(1 + 1)" });
 * console.assert(obs.stdout === "2\n" && session.commands[0]!.argv![0] === "deno");
 * ```
 * @module
 */
import { CAP_SANDBOX } from "../../core/contracts.ts";
import type { RunContext, SessionCommand, Tool } from "../../core/types.ts";
import { execFailure, ExecToolConfig, type ExecToolOptions } from "./sandbox_exec.ts";

/** Every language `run_code` knows. */
export const CODE_LANGUAGES: readonly string[] = ["deno", "js", "python"];

/** Most code text a call may send, in characters. */
export const MAX_CODE_CHARS = 100_000;

/** Options of {@linkcode RunCode}. */
export interface RunCodeOptions extends ExecToolOptions {
  /** Languages offered (a subset of {@linkcode CODE_LANGUAGES}). Default `["deno", "js"]`. */
  languages?: string[];
}

/** The argv that runs `code` in `language` (no shell needed). */
export function codeArgv(language: string, code: string): string[] {
  if (language === "python") return ["python3", "-c", code];
  const ext = language === "js" ? "js" : "ts";
  return ["deno", "eval", "--quiet", `--ext=${ext}`, code];
}

/** The `run_code` tool: tier 2, capability `sandbox`, no egress; its output is untrusted. */
export class RunCode implements Tool {
  /** Registry name. */
  readonly name = "run_code";
  /** Sandboxed tier. */
  tier = 2;
  /** Needs a sandbox. */
  readonly capabilities: ReadonlySet<string> = new Set([CAP_SANDBOX]);
  /** Program output is untrusted. */
  readonly untrusted = true;
  /** The model-facing schema (its `language` enum lists the offered languages). */
  readonly schema: Tool["schema"];
  /** One line for the system prompt. */
  readonly prompt_fragment: string;

  #config: ExecToolConfig;
  #languages: readonly string[];

  /** Creates the tool; throws `RangeError` on an unknown language. */
  constructor(options: RunCodeOptions = {}) {
    this.#config = new ExecToolConfig(options);
    const languages = options.languages ?? ["deno", "js"];
    const unknown = languages.filter((l) => !CODE_LANGUAGES.includes(l));
    if (languages.length === 0 || unknown.length > 0) {
      throw new RangeError(
        `Invalid languages "${languages.join(", ")}": use some of ${CODE_LANGUAGES.join(", ")}`,
      );
    }
    this.#languages = [...new Set(languages)];
    this.schema = {
      name: "run_code",
      description:
        "Run code in the sandbox (no network). Returns exit_code, stdout, stderr, truncated, timed_out.",
      parameters: {
        type: "object",
        properties: {
          language: { type: "string", enum: [...this.#languages] },
          code: { type: "string", description: "The program text." },
          timeout_ms: { type: "integer", description: "Kill it after this many ms." },
        },
        required: ["language", "code"],
      },
    };
    this.prompt_fragment = `run_code(language: ${
      this.#languages.join("|")
    }, code, timeout_ms?): run code in the sandbox; returns {exit_code, stdout, stderr, truncated, timed_out}.`;
  }

  /** Runs the code in the run's sandbox. */
  async call(ctx: RunContext, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const config = this.#config;
    let command: SessionCommand;
    try {
      const language = args["language"];
      const code = args["code"];
      if (typeof language !== "string" || !this.#languages.includes(language)) {
        throw new TypeError(
          `Invalid argument "language" "${String(language)}": use ${this.#languages.join(", ")}`,
        );
      }
      if (typeof code !== "string" || code.trim() === "" || code.length > MAX_CODE_CHARS) {
        throw new TypeError(
          `Invalid argument "code": expected program text of at most ${MAX_CODE_CHARS} characters`,
        );
      }
      if (code.includes("\0")) throw new TypeError(`Invalid argument "code": NUL character`);
      command = { argv: codeArgv(language, code), timeoutMs: config.timeoutOf(args) };
    } catch (error) {
      return execFailure(error, "invalid_args");
    }
    return await config.run(this.name, ctx, command);
  }
}
