/**
 * `shell`: runs one command in the run's sandbox through its {@link ExecSession}: an argv (no
 * shell) or a shell line (`/bin/sh -c`, where the image has a shell), with a working directory,
 * extra environment and a timeout. The observation is `{exit_code, stdout, stderr, truncated,
 * timed_out, duration_ms}` (plus `signal` and `error` when it did not exit 0); bad arguments and a
 * lost session are `{error, failed}` observations, never a crash of the run.
 *
 * @example
 * ```ts
 * import { Shell } from "./shell.ts";
 * import { FakeExecSession } from "../../testing/fake_exec_session.ts";
 * const session = new FakeExecSession((cmd) => ({ stdout: `ran ${cmd.argv?.join(" ")}\n` }));
 * const tool = new Shell({ openSession: () => Promise.resolve(session) });
 * const obs = await tool.call({} as never, { argv: ["echo", "hi"] });
 * console.assert(obs.exit_code === 0 && obs.stdout === "ran echo hi\n");
 * ```
 * @module
 */
import { CAP_SANDBOX } from "../../core/contracts.ts";
import type { RunContext, SessionCommand, Tool } from "../../core/types.ts";
import { execFailure, ExecToolConfig, type ExecToolOptions } from "./sandbox_exec.ts";

/** Options of {@linkcode Shell} (see {@linkcode ExecToolOptions}). */
export type ShellOptions = ExecToolOptions;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks the model's arguments; returns the command or throws `TypeError`. */
export function shellCommand(args: Record<string, unknown>): SessionCommand {
  const argv = args["argv"];
  const line = args["command"];
  const out: SessionCommand = {};
  if (argv !== undefined && argv !== null) {
    if (
      !Array.isArray(argv) || argv.length === 0 || argv.length > 1_000 ||
      !argv.every((a) => typeof a === "string" && !a.includes("\0"))
    ) {
      throw new TypeError(`Invalid argument "argv": expected a non-empty list of strings`);
    }
    if (line !== undefined && line !== null) {
      throw new TypeError(`Invalid arguments: give "argv" or "command", not both`);
    }
    out.argv = [...argv] as string[];
  } else if (typeof line === "string" && line.trim() !== "" && !line.includes("\0")) {
    out.sh = line;
  } else {
    throw new TypeError(
      `Invalid arguments: "argv" (a list) or "command" (a shell line) is required`,
    );
  }
  const cwd = args["cwd"];
  if (cwd !== undefined && cwd !== null) {
    if (typeof cwd !== "string" || !cwd.startsWith("/") || cwd.includes("\0")) {
      throw new TypeError(`Invalid argument "cwd": expected an absolute path`);
    }
    out.cwd = cwd;
  }
  const env = args["env"];
  if (env !== undefined && env !== null) {
    if (typeof env !== "object" || Array.isArray(env)) {
      throw new TypeError(`Invalid argument "env": expected an object of strings`);
    }
    const vars: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) {
      if (!ENV_NAME.test(k) || typeof v !== "string" || v.includes("\0")) {
        throw new TypeError(`Invalid argument "env": "${k}" must be a name with a string value`);
      }
      vars[k] = v;
    }
    out.env = vars;
  }
  return out;
}

/**
 * The `shell` tool: tier 2 (runs on the host's sandbox backend; in a jailed run the host serves
 * it), capability `sandbox`, no egress (the sandbox has no network). Its output is untrusted.
 */
export class Shell implements Tool {
  /** Registry name. */
  readonly name = "shell";
  /** Sandboxed tier. */
  tier = 2;
  /** Needs a sandbox. */
  readonly capabilities: ReadonlySet<string> = new Set([CAP_SANDBOX]);
  /** Command output is untrusted. */
  readonly untrusted = true;
  /** The model-facing schema. */
  readonly schema: Tool["schema"] = {
    name: "shell",
    description:
      "Run a command in the sandbox (no network). Returns exit_code, stdout, stderr, truncated, timed_out.",
    parameters: {
      type: "object",
      properties: {
        argv: {
          type: "array",
          items: { type: "string" },
          description: "The program and its arguments (no shell).",
        },
        command: { type: "string", description: "A shell line, where the image has /bin/sh." },
        cwd: { type: "string", description: "Absolute working directory." },
        env: { type: "object", description: "Extra environment variables (strings)." },
        timeout_ms: { type: "integer", description: "Kill the command after this many ms." },
      },
    },
  };
  /** One line for the system prompt. */
  readonly prompt_fragment =
    "shell(argv | command, cwd?, env?, timeout_ms?): run a command in the sandbox; returns {exit_code, stdout, stderr, truncated, timed_out}.";

  #config: ExecToolConfig;

  /** Creates the tool; see {@linkcode ExecToolOptions} for defaults. */
  constructor(options: ShellOptions = {}) {
    this.#config = new ExecToolConfig(options);
  }

  /** Runs the command in the run's sandbox. */
  async call(ctx: RunContext, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const config = this.#config;
    let command: SessionCommand;
    try {
      command = shellCommand(args);
      command.timeoutMs = config.timeoutOf(args);
    } catch (error) {
      return execFailure(error, "invalid_args");
    }
    return await config.run(this.name, ctx, command);
  }
}
