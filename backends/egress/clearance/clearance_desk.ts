/**
 * The clearance desk: where a request to an undeclared destination waits for an operator.
 *
 * {@link ClearanceDesk.request} (called by the egress proxy after the address checks) answers at
 * once from the rules (deny wins over allow; persisted rules, then the run's) or holds the caller
 * on a pending record until a verdict or the deadline (default 25 s, at most 120 s; `"off"` =
 * deny at once). Repeats of (run, host, port) within the dedup window (30 s) attach to the same
 * record and bump its `count`. Pending records are capped per run (16) and per desk (256);
 * above that the answer is an immediate `clearance_queue_full`. {@link ClearanceDesk.verdict}
 * checks the issued (request id, run, host, port) tuple, stores `run`/`persist` rules (persist
 * through the {@link ClearanceStore} before anything is released), and releases the held
 * callers; a verdict after the deadline is recorded and applies to later requests only.
 * {@link ClearanceDesk.close} denies every held request at once (fail closed). Only the last
 * `rememberIds` records are kept: older ids are refused as unknown.
 *
 * @example
 * ```ts
 * import { ClearanceDesk } from "./clearance_desk.ts";
 * const desk = new ClearanceDesk({ holdMs: 1000, onPending: (p) => {
 *   void desk.verdict({ ...p, action: "allow", scope: "once", actor: "op" });
 * } });
 * const answer = await desk.request({ run_id: "r1", host: "api.test", port: 443, scheme: "https" });
 * console.assert(answer.decision === "allow" && answer.held);
 * desk.close();
 * ```
 * @module
 */
import type {
  ClearanceAction,
  ClearanceDecision,
  ClearancePending,
  ClearanceRule,
  ClearanceStore,
  Clock,
} from "../../../core/types.ts";
import { ClearanceRefused } from "./clearance_error.ts";
import {
  type ClearanceAnswer,
  type ClearanceDenyReason,
  type ClearanceRequest,
  denyAnswer as deny,
} from "./clearance_answer.ts";
import { checkVerdict, type ClearanceVerdict } from "./clearance_verdict.ts";
import { ClearanceRules } from "./_clearance_rules.ts";
import { keyOf, PendingBook, pendingOf, type PendingRecord, type Waiter } from "./_pending_book.ts";
import { MemoryClearanceStore } from "./memory_clearance_store.ts";
import {
  type ClearanceDeskOptions,
  DEDUP_WINDOW_MS,
  DEFAULT_HOLD_MS,
  LATE_TICKET_MS,
  MAX_HOLD_MS,
  MAX_PENDING,
  MAX_PENDING_PER_RUN,
  MAX_WAITERS_PER_RECORD,
  REMEMBER_IDS,
} from "./clearance_desk_options.ts";
import { newRequestId } from "./request_id.ts";
import { OPERATOR_TEXT_MAX, sanitizeForOperator } from "./sanitize.ts";

export type {
  ClearanceAnswer,
  ClearanceDenyReason,
  ClearanceDeskOptions,
  ClearanceRequest,
  ClearanceVerdict,
};

const SYSTEM_CLOCK: Clock = { now: () => new Date(), monotonic: () => performance.now() };

function timeoutMessage(id: string): string {
  return `awaiting operator approval; request_id=${id}; retry later`;
}

/** The desk: pending records, rules, verdicts. */
export class ClearanceDesk {
  readonly #hold: number;
  readonly #dedupMs: number;
  readonly #perRun: number;
  readonly #perDesk: number;
  readonly #store: ClearanceStore;
  readonly #clock: Clock;
  readonly #newId: (nowMs: number) => string;
  readonly #onPending: ((p: ClearancePending) => void) | undefined;
  readonly #onVerdict: ((d: ClearanceDecision) => void) | undefined;
  readonly #rules = new ClearanceRules();
  readonly #book: PendingBook;
  readonly #ready: Promise<boolean>;
  #loaded: boolean | null = null;
  #closed = false;
  #queueFull = 0;
  #callbackFailures = 0;

  /** Creates a desk and starts reading the store's rules (requests wait for them). */
  constructor(options: ClearanceDeskOptions = {}) {
    const hold = options.holdMs ?? DEFAULT_HOLD_MS;
    if (hold !== "off" && (!Number.isFinite(hold) || hold < 0 || hold > MAX_HOLD_MS)) {
      throw new RangeError(
        `Cannot create clearance desk: holdMs "${hold}" is not "off" or 0..${MAX_HOLD_MS}`,
      );
    }
    this.#hold = hold === "off" ? 0 : hold;
    this.#dedupMs = options.dedupWindowMs ?? DEDUP_WINDOW_MS;
    this.#perRun = options.maxPendingPerRun ?? MAX_PENDING_PER_RUN;
    this.#perDesk = options.maxPending ?? MAX_PENDING;
    this.#book = new PendingBook(Math.max(options.rememberIds ?? REMEMBER_IDS, this.#perDesk));
    this.#store = options.store ?? new MemoryClearanceStore();
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#newId = options.newId ?? newRequestId;
    this.#onPending = options.onPending;
    this.#onVerdict = options.onVerdict;
    this.#ready = this.#store.load().then((rules) => {
      for (const rule of rules) if (rule.scope === "persist") this.#rules.add({ ...rule });
      return (this.#loaded = true);
    }, () => (this.#loaded = false));
    options.signal?.addEventListener("abort", () => this.close(), { once: true });
  }

  /** Resolves once the store's rules are read; rejects (and every request is denied) if not. */
  async ready(): Promise<void> {
    if (!(await this.#ready)) {
      throw new Error("Cannot open clearance desk: the clearance store could not be read");
    }
  }

  /** The hold in ms (0 = off). */
  get holdMs(): number {
    return this.#hold;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Answers a request: from a rule at once, or after holding it for a verdict. */
  request(input: ClearanceRequest): Promise<ClearanceAnswer> {
    // Once the rules are read, a request is registered synchronously (no tick is lost).
    if (this.#loaded === null) return this.#ready.then(() => this.request(input));
    if (this.#closed) {
      return Promise.resolve(deny("clearance_closed", null, "clearance is closed; refused"));
    }
    if (!this.#loaded) {
      return Promise.resolve(
        deny("clearance_store_failed", null, "clearance rules unavailable; refused"),
      );
    }
    return Promise.resolve(this.#request(input));
  }

  #request(input: ClearanceRequest): ClearanceAnswer | Promise<ClearanceAnswer> {
    const nowMono = this.#clock.monotonic();
    const nowWall = this.#clock.now().getTime();
    const runId = sanitizeForOperator(input.run_id, OPERATOR_TEXT_MAX);
    const host = sanitizeForOperator(input.host);
    const port = input.port;
    const key = keyOf(runId, host, port);
    const ruled = this.#rules.match(runId, host, port, nowWall);
    if (ruled?.action === "deny") {
      return deny("operator", ruled.rule.request_id, ruled.rule.reason ?? "denied by the operator");
    }
    if (ruled?.action === "allow") {
      return { decision: "allow", request_id: ruled.rule.request_id, held: false };
    }
    const ticket = this.#book.takeTicket(key);
    if (ticket !== undefined) {
      if (ticket.untilMono > nowMono) {
        if (ticket.action === "allow") {
          return { decision: "allow", request_id: ticket.request_id, held: false };
        }
        return deny("operator", ticket.request_id, ticket.message);
      }
    }
    if (this.#hold === 0) return deny("clearance_off", null, "not in the allowlist");
    if (input.signal?.aborted) return deny("clearance_aborted", null, "the proxy is closing");
    let rec = this.#book.forKey(key);
    const attachable = rec !== undefined && (
      rec.state === "pending" || rec.state === "deciding" ||
      (rec.state === "expired" && nowMono - rec.lastMono < this.#dedupMs)
    );
    if (!attachable) rec = undefined;
    if (rec === undefined || rec.state === "expired") {
      // A new record, or an expired one asking again: both take a pending slot.
      if (!this.#hasRoom(runId)) {
        this.#queueFull++;
        if (rec !== undefined) rec.count++;
        return deny(
          "clearance_queue_full",
          null,
          "too many requests await operator approval; retry later",
        );
      }
    }
    if (rec !== undefined && rec.waiters.size >= MAX_WAITERS_PER_RECORD) {
      this.#queueFull++;
      rec.count++;
      return deny(
        "clearance_queue_full",
        rec.request_id,
        "too many requests await operator approval; retry later",
      );
    }
    let announce = false;
    if (rec === undefined) {
      rec = {
        request_id: this.#newId(nowWall),
        run_id: runId,
        host,
        port,
        scheme: sanitizeForOperator(input.scheme, 16),
        first_seen: new Date(nowWall).toISOString(),
        firstMono: nowMono,
        lastMono: nowMono,
        deadlineWall: nowWall + this.#hold,
        count: 0,
        state: "pending",
        waiters: new Set(),
      };
      if (input.sni !== undefined) rec.sni = sanitizeForOperator(input.sni);
      this.#book.add(rec);
      announce = true;
    } else if (rec.state === "expired") {
      rec.state = "pending";
      announce = true;
    }
    rec.count++;
    rec.lastMono = nowMono;
    rec.deadlineWall = Math.max(rec.deadlineWall, nowWall + this.#hold);
    const record = rec;
    const answer = new Promise<ClearanceAnswer>((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => this.#expire(record, waiter), this.#hold),
        detach: () => {},
      };
      if (input.signal) {
        const onAbort = () => {
          if (!record.waiters.delete(waiter)) return;
          clearTimeout(waiter.timer);
          if (record.waiters.size === 0 && record.state === "pending") record.state = "expired";
          resolve(deny("clearance_aborted", record.request_id, "the proxy is closing"));
        };
        input.signal.addEventListener("abort", onAbort, { once: true });
        waiter.detach = () => input.signal!.removeEventListener("abort", onAbort);
      }
      record.waiters.add(waiter);
    });
    if (announce) this.#emitPending(record);
    return answer;
  }

  /**
   * Applies an operator's verdict to the record it cites and returns the clearance event it
   * emitted. Throws {@link ClearanceRefused}: `unknown_request` (404), `tuple_mismatch` (409, the
   * record stays verdict-able), `already_decided` (409), `verdict_invalid` (400),
   * `clearance_closed` (503). A `persist` rule is stored before any held request is released;
   * if the store fails the error is thrown and the record stays verdict-able.
   */
  async verdict(v: ClearanceVerdict): Promise<ClearanceDecision> {
    const checked = checkVerdict(v);
    if (this.#closed) {
      throw new ClearanceRefused("clearance_closed", "Cannot apply verdict: the desk is closed");
    }
    await this.#ready;
    const rec = this.#book.get(checked.request_id);
    if (rec === undefined) {
      throw new ClearanceRefused(
        "unknown_request",
        `Cannot apply verdict: request "${
          sanitizeForOperator(checked.request_id, 64)
        }" is unknown (never issued or forgotten)`,
      );
    }
    if (rec.run_id !== v.run_id || rec.host !== v.host || rec.port !== v.port) {
      throw new ClearanceRefused(
        "tuple_mismatch",
        `Cannot apply verdict: request "${rec.request_id}" was issued for another run, host or port`,
      );
    }
    if (rec.state === "decided" || rec.state === "deciding") {
      throw new ClearanceRefused(
        "already_decided",
        `Cannot apply verdict: request "${rec.request_id}" is already decided`,
      );
    }
    const nowWall = this.#clock.now().getTime();
    const rule: ClearanceRule = {
      host: rec.host,
      port: rec.port,
      action: checked.action,
      scope: checked.scope,
      ttl_until: checked.ttl_ms === undefined
        ? null
        : new Date(nowWall + checked.ttl_ms).toISOString(),
      actor: checked.actor,
      reason: checked.reason ?? null,
      created: new Date(nowWall).toISOString(),
      run_id: rec.run_id,
      request_id: rec.request_id,
    };
    const before = rec.state;
    rec.state = "deciding";
    if (checked.scope === "persist") {
      try {
        await this.#store.save(rule);
      } catch (e) {
        rec.state = rec.waiters.size > 0 ? "pending" : before === "pending" ? "expired" : before;
        throw e;
      }
    }
    if (checked.scope !== "once") this.#rules.add(rule);
    rec.state = "decided";
    this.#book.unlinkKey(rec);
    const held = rec.waiters.size > 0 && !this.#closed;
    const message = checked.reason ?? "denied by the operator";
    if (!held && checked.scope === "once") {
      // Late: applies to the next request of this (run, host, port) only.
      this.#book.putTicket(keyOf(rec.run_id, rec.host, rec.port), {
        action: checked.action,
        request_id: rec.request_id,
        message,
        untilMono: this.#clock.monotonic() + LATE_TICKET_MS,
      });
    }
    // Deny wins: an allow meets any deny rule stored meanwhile (another run's persisted deny).
    const denyRule = this.#rules.match(rec.run_id, rec.host, rec.port, nowWall);
    const effective: ClearanceAction = checked.action === "allow" && denyRule?.action !== "deny"
      ? "allow"
      : "deny";
    const denyMessage = checked.action === "deny"
      ? message
      : denyRule?.rule.reason ?? "denied by the operator";
    for (const w of rec.waiters) {
      clearTimeout(w.timer);
      w.detach();
      w.resolve(
        effective === "allow"
          ? { decision: "allow", request_id: rec.request_id, held: true }
          : deny("operator", rec.request_id, denyMessage),
      );
    }
    rec.waiters.clear();
    const decision: ClearanceDecision = {
      request_id: rec.request_id,
      run_id: rec.run_id,
      host: rec.host,
      port: rec.port,
      decision: checked.action,
      scope: checked.scope,
      actor: checked.actor,
      decided_ms: Math.max(0, Math.round(this.#clock.monotonic() - rec.firstMono)),
      held,
      outcome: !held ? "late" : effective === "allow" ? "forwarded" : "denied",
    };
    if (checked.reason !== undefined) decision.reason = checked.reason;
    if (rule.ttl_until !== null && checked.scope !== "once") decision.ttl_until = rule.ttl_until;
    this.#emitVerdict(decision);
    return decision;
  }

  /** The pending records (held or expired but still verdict-able), optionally of one run. */
  pending(filter: { run_id?: string } = {}): ClearancePending[] {
    const out: ClearancePending[] = [];
    for (const rec of this.#book.records()) {
      if (rec.state !== "pending" && rec.state !== "expired") continue;
      if (filter.run_id !== undefined && rec.run_id !== filter.run_id) continue;
      out.push(pendingOf(rec));
    }
    return out;
  }

  /** Drops a run's `run` rules and late tickets (call when the run ends). */
  forgetRun(runId: string): void {
    this.#rules.forgetRun(runId);
    this.#book.dropTickets(sanitizeForOperator(runId));
  }

  /** Sizes of everything the desk keeps (memory bounds are visible to tests and health checks). */
  stats(): {
    pending: number;
    records: number;
    waiters: number;
    tickets: number;
    run_rules: number;
    persisted_rules: number;
    refused_queue_full: number;
    callback_failures: number;
  } {
    const rules = this.#rules.counts();
    return {
      ...this.#book.sizes(),
      run_rules: rules.run,
      persisted_rules: rules.persisted,
      refused_queue_full: this.#queueFull,
      callback_failures: this.#callbackFailures,
    };
  }

  /** Denies every held request at once and refuses all later ones (fail closed). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const rec of this.#book.records()) {
      if (rec.waiters.size === 0) continue;
      for (const w of rec.waiters) {
        clearTimeout(w.timer);
        w.detach();
        w.resolve(deny("clearance_closed", rec.request_id, "clearance is closed; refused"));
      }
      rec.waiters.clear();
      rec.state = "decided";
      this.#emitVerdict(this.#system(rec, "zu:closed", "denied"));
    }
  }

  /** Closes the desk. */
  [Symbol.dispose](): void {
    this.close();
  }

  #hasRoom(runId: string): boolean {
    const open = this.#book.openCounts(runId);
    return open.all < this.#perDesk && open.run < this.#perRun;
  }

  #expire(rec: PendingRecord, waiter: Waiter): void {
    if (!rec.waiters.delete(waiter)) return;
    waiter.detach();
    waiter.resolve(deny("clearance_timeout", rec.request_id, timeoutMessage(rec.request_id)));
    if (rec.waiters.size > 0 || rec.state !== "pending") return;
    rec.state = "expired";
    this.#emitVerdict(this.#system(rec, "zu:deadline", "timed_out"));
  }

  /** The clearance event of a deny the desk made itself (the deadline, the close). */
  #system(rec: PendingRecord, actor: string, outcome: "denied" | "timed_out"): ClearanceDecision {
    return {
      request_id: rec.request_id,
      run_id: rec.run_id,
      host: rec.host,
      port: rec.port,
      decision: "deny",
      scope: "once",
      actor,
      decided_ms: Math.max(0, Math.round(this.#clock.monotonic() - rec.firstMono)),
      held: true,
      outcome,
    };
  }

  #emitPending(rec: PendingRecord): void {
    try {
      this.#onPending?.(pendingOf(rec));
    } catch {
      this.#callbackFailures++; // a notifier failure never allows: the hold goes on
    }
  }

  #emitVerdict(d: ClearanceDecision): void {
    try {
      this.#onVerdict?.(d);
    } catch {
      this.#callbackFailures++;
    }
  }
}
