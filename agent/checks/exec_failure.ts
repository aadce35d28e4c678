/**
 * The `exec-failure` detector: escalates when a command's observation (`shell`, `run_code`) did
 * not complete cleanly: a non-zero `exit_code`, `timed_out`, or output cut at the cap
 * (`truncated`). Like `empty`, the run climbs a tier, or ends (`escalate`) when none is left, so a
 * failed command is never trusted as a result. Opt-in: an agent whose commands may legitimately
 * exit non-zero (`grep` with no match) leaves it out. Other observations are not looked at.
 *
 * @example
 * ```ts
 * import { ExecFailureDetector } from "./exec_failure.ts";
 * const v = new ExecFailureDetector().inspect({ observation: { exit_code: 2, stdout: "" } } as never);
 * console.assert(v?.detail === "exit 2");
 * ```
 * @module
 */
import type { Verdict } from "../../core/contracts.ts";
import type { Detector, DetectorScope, RunContext } from "../../core/types.ts";

/** Escalates on a command that failed, timed out or was truncated. */
export class ExecFailureDetector implements Detector {
  /** Registry name. */
  readonly name = "exec-failure";
  /** Runs on each observation. */
  readonly scope: DetectorScope = "per_observation";

  /** Inspects `ctx.observation`. */
  inspect(ctx: RunContext): Verdict | null {
    const obs = ctx.observation;
    if (!obs || !("exit_code" in obs) || typeof obs.stdout !== "string") return null;
    let detail: string | null = null;
    if (obs.timed_out === true) detail = "timed out";
    else if (obs.exit_code !== 0) {
      detail = obs.exit_code === null ? "killed" : `exit ${String(obs.exit_code)}`;
    } else if (obs.truncated === true) detail = "output truncated";
    return detail === null ? null : { severity: "escalate", detector: this.name, detail };
  }
}
