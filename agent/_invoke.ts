/**
 * zu's per-call pipeline (`_invoke`): idempotency key, tool.invoked, quarantine, gates, explore
 * stub, unknown-tool, argument check, execution with the remaining wall time as timeout, errors
 * as observations, the size cap, taint, the full content as data.source.fetched and the summary
 * on tool.returned.
 *
 * @module
 */
import type { ToolCall, Verdict } from "../core/contracts.ts";
import { PluginEscape, SecurityBlock } from "../core/errors.ts";
import {
  DEFENSE_BLOCKED,
  GATE_DECIDED,
  QUARANTINE_ESCAPE_ATTEMPT,
  RAIL_DISARMED,
  SOURCE_FETCHED,
  TAINT_RAISED,
  TOOL_INVOKED,
  TOOL_RETURNED,
} from "../core/events.ts";
import { isPyFloat } from "../core/json.ts";
import type { Tool } from "../core/types.ts";
import { argMismatch, toolParameters } from "./_arg_check.ts";
import { pyDumps, pyLen, uuid5 } from "../core/python/mod.ts";
import { jsonClone } from "../core/json_clone.ts";
import { errorText, type Run } from "./_run.ts";
import { needsContainment } from "./security.ts";

/** zu's observation size cap, in characters of Python's ASCII-escaped `json.dumps`. */
export const MAX_OBSERVATION_CHARS = 1_000_000;
const OVERSIZED_DETAIL = "tool observation exceeds the size limit and was rejected";
const CONTENT_KEYS = ["html", "text", "content"] as const;

/** What one call produced. */
export interface Invocation {
  /** The observation (after taint removal), as the model will see it before shaping. */
  observation: Record<string, unknown>;
  /** The tool, when it was known and active. */
  tool: Tool | undefined;
  /** The call's idempotency key. */
  idempotencyKey: string;
  /** A gate asked to escalate instead of running the call. */
  escalation: Verdict | null;
}

/** Python truthiness of a JSON value. */
function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (isPyFloat(v)) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

/** `{k: v}` without content keys, then `<key>_len` for each content key present. */
export function summarize(obs: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obs)) {
    if (!(CONTENT_KEYS as readonly string[]).includes(k)) out[k] = v;
  }
  for (const k of CONTENT_KEYS) if (k in obs) out[`${k}_len`] = pyLen(obs[k]);
  return out;
}

function hasContent(obs: Readonly<Record<string, unknown>>): boolean {
  return CONTENT_KEYS.some((k) => k in obs);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) &&
    Object.getPrototypeOf(v) === Object.prototype;
}

type Outcome =
  | { kind: "ok"; value: unknown }
  | { kind: "error"; error: unknown }
  | { kind: "timeout" };

async function execute(
  run: Run,
  tool: Tool,
  args: Record<string, unknown>,
  call: ToolCall,
  key: string,
): Promise<Outcome> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(run.signal?.reason);
  run.signal?.addEventListener("abort", onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => {
      resolve({ kind: "timeout" });
      controller.abort(new DOMException("tool timed out", "TimeoutError"));
    }, run.remainingMs());
  });
  const ctx = run.context(null, false, {
    invocation: call,
    idempotency_key: key,
    signal: controller.signal,
  });
  const work = (async (): Promise<Outcome> => {
    try {
      return { kind: "ok", value: await tool.call(ctx, args) };
    } catch (error) {
      return { kind: "error", error };
    }
  })();
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    run.signal?.removeEventListener("abort", onAbort);
  }
}

async function runGates(
  run: Run,
  call: ToolCall,
  key: string,
  invokedId: string,
  tool: Tool | undefined,
): Promise<{ deny: Verdict | null; escalate: Verdict | null }> {
  for (const [name, gate] of run.gates) {
    let v: Verdict | null;
    let rule: string | null = null;
    try {
      v = await gate.check(
        call,
        run.context(null, false, { invocation: call, idempotency_key: key }),
      );
    } catch (err) {
      if (err instanceof PluginEscape) throw err;
      const closed = gate.fail_closed_on_crash === true ||
        (tool !== undefined && needsContainment(tool));
      if (closed) {
        v = { severity: "deny", detector: name, detail: `gate crashed: ${errorText(err)}` };
        rule = "gate.crashed.fail_closed";
      } else {
        await run.emit(GATE_DECIDED, {
          action_ref: key,
          tool: call.name,
          decision: "skipped",
          gate: name,
          rule_id: "gate.crashed.skipped",
          detail: errorText(err),
        }, { parent: invokedId, source: name });
        continue;
      }
    }
    const decision = v === null || v === undefined
      ? "allow"
      : v.severity === "deny" || v.severity === "terminal"
      ? "deny"
      : v.severity === "escalate"
      ? "escalate"
      : "allow";
    const payload: Record<string, unknown> = {
      action_ref: key,
      tool: call.name,
      decision,
      gate: name,
      rule_id: rule ?? v?.detector ?? name,
      detail: v?.detail ?? null,
    };
    if (v?.kind) payload.kind = v.kind;
    await run.emit(GATE_DECIDED, payload, { parent: invokedId, source: name });
    if (v && decision === "deny") return { deny: v, escalate: null };
    if (v && decision === "escalate") return { deny: null, escalate: v };
  }
  return { deny: null, escalate: null };
}

/** A human's approval of one paused call: its idempotency key and who approved it. */
export interface HumanApproval {
  /** The pending call's idempotency key (the call is executed exactly once more). */
  key: string;
  /** Who approved. */
  by: string;
  /** Why, when given. */
  reason: string | null;
}

/** The gates are skipped for a call a human approved: one `approved_by_human` decision. */
async function approvedByHuman(
  run: Run,
  call: ToolCall,
  key: string,
  invokedId: string,
  approved: HumanApproval,
): Promise<{ deny: null; escalate: null }> {
  await run.emit(GATE_DECIDED, {
    action_ref: key,
    tool: call.name,
    decision: "approved_by_human",
    gate: "human",
    rule_id: "approval.resolved",
    detail: approved.reason ?? `approved by ${approved.by}`,
  }, { parent: invokedId, source: "human" });
  return { deny: null, escalate: null };
}

/** Runs one tool call through zu's pipeline (`approved`: a human approved it; gates skipped). */
export async function invoke(
  run: Run,
  turnId: string,
  name: string,
  rawArgs: Record<string, unknown>,
  approved: HumanApproval | null = null,
): Promise<Invocation> {
  const args = jsonClone(rawArgs);
  let key: string;
  if (approved !== null) key = approved.key;
  else {
    run.callSeq += 1;
    key = uuid5(run.traceId, `${run.callSeq}:${name}:${pyDumps(args, { sortKeys: true })}`);
  }
  const invoked = await run.emit(TOOL_INVOKED, {
    tool: name,
    args: jsonClone(args),
    idempotency_key: key,
  }, {
    parent: turnId,
    source: name,
  });
  const call: ToolCall = { name, args };
  const tool = run.active().get(name);
  let escalation: Verdict | null = null;
  let obs: Record<string, unknown>;

  const finish = async (observation: Record<string, unknown>): Promise<Invocation> => {
    await run.emit(TOOL_RETURNED, { tool: name, observation: summarize(observation) }, {
      parent: turnId,
      source: name,
    });
    return { observation, tool, idempotencyKey: key, escalation };
  };

  if (run.spec.quarantined) {
    run.tainted = true;
    await run.emit(TAINT_RAISED, { source: name, detail: "tool call in a quarantined run" }, {
      parent: invoked.event_id,
      source: name,
    });
    await run.emit(QUARANTINE_ESCAPE_ATTEMPT, { tool: name, args: jsonClone(args) }, {
      parent: invoked.event_id,
      source: name,
    });
    return finish({
      error: "quarantined run: tool calls are not allowed",
      blocked: "quarantine_escape",
    });
  }

  const gates = approved !== null
    ? await approvedByHuman(run, call, key, invoked.event_id, approved)
    : await runGates(run, call, key, invoked.event_id, run.tools.get(name));
  if (gates.deny) {
    const detail = gates.deny.detail ?? `denied by ${gates.deny.detector}`;
    await run.emit(DEFENSE_BLOCKED, {
      kind: "gate_denied",
      tool: name,
      detail,
      gate: gates.deny.detector,
    }, { parent: invoked.event_id, source: name });
    return finish({ error: `gate denied: ${detail}`, blocked: "gate_denied" });
  }
  if (gates.escalate) {
    escalation = gates.escalate;
    return finish({
      error: `gate escalated: ${gates.escalate.detail ?? gates.escalate.detector}`,
      blocked: "gate_escalated",
    });
  }

  if (tool === undefined) return finish({ error: `unknown tool: ${name}` });

  if (run.spec.mode === "explore" && needsContainment(tool)) {
    await run.emit(RAIL_DISARMED, { tool: name }, { parent: invoked.event_id, source: name });
    return finish({
      stubbed: true,
      explore: true,
      tool: name,
      detail: "explore mode: a tool that needs containment was not run",
    });
  }

  const mismatch = argMismatch(args, toolParameters(tool.schema));
  if (mismatch !== null) {
    await run.emit(DEFENSE_BLOCKED, { kind: "schema_mismatch", tool: name, detail: mismatch }, {
      parent: invoked.event_id,
      source: name,
    });
    return finish({
      error: `tool args violate declared schema: ${mismatch}`,
      blocked: "schema_mismatch",
    });
  }

  const outcome = await execute(run, tool, args, call, key);
  if (outcome.kind === "timeout") {
    const detail = `tool did not return within the remaining wall time`;
    await run.emit(DEFENSE_BLOCKED, { kind: "tool_timeout", tool: name, detail }, {
      parent: turnId,
      source: name,
    });
    return finish({ error: `tool timed out: ${detail}`, blocked: "tool_timeout" });
  }
  if (outcome.kind === "error") {
    const err = outcome.error;
    // A tool that tried to end zu or widen its permissions ends the run (terminal event).
    if (err instanceof PluginEscape) {
      throw new PluginEscape(`Tool "${name}" stopped the run: ${err.message}`, { cause: err });
    }
    if (err instanceof SecurityBlock) {
      await run.emit(DEFENSE_BLOCKED, {
        kind: err.kind,
        tool: name,
        target: err.target,
        detail: err.message,
      }, { parent: turnId, source: name });
      return finish({ error: errorText(err), blocked: err.kind });
    }
    return finish({ error: errorText(err) });
  }
  if (!isPlainObject(outcome.value)) {
    return finish({ error: "TypeError: tool returned a non-dict observation" });
  }
  obs = outcome.value;

  if (pyDumps(obs).length > MAX_OBSERVATION_CHARS) {
    await run.emit(DEFENSE_BLOCKED, {
      kind: "oversized_observation",
      tool: name,
      detail: OVERSIZED_DETAIL,
    }, {
      parent: turnId,
      source: name,
    });
    return finish({ error: OVERSIZED_DETAIL, blocked: "oversized_observation" });
  }

  obs = { ...obs };
  // A truthy `_taint` is popped and taints the run; a falsy one is left as it is (zu).
  if (truthy(obs._taint)) {
    delete obs._taint;
    run.tainted = true;
    await run.emit(TAINT_RAISED, { source: name, detail: "tool flagged hostile content" }, {
      parent: turnId,
      source: name,
    });
  }
  if (isPlainObject(obs.content_view)) {
    run.tainted = true;
    await run.emit(TAINT_RAISED, { source: name, detail: "content view captured" }, {
      parent: turnId,
      source: name,
    });
  }
  if (
    Array.isArray(obs.content) &&
    obs.content.some((p) => isPlainObject(p) && p.kind === "image")
  ) {
    run.tainted = true;
    await run.emit(TAINT_RAISED, { source: name, detail: "untrusted image ingested" }, {
      parent: turnId,
      source: name,
    });
  }
  if (hasContent(obs)) {
    await run.emit(SOURCE_FETCHED, jsonClone(obs), { parent: turnId, source: name });
  }
  return finish(obs);
}
