/**
 * The desk's memory (private): pending records by id and by (run, host, port), late-verdict
 * tickets, and the bounds on both (the oldest decided or expired records are forgotten first;
 * held records never are).
 * @module
 */
import type { ClearanceAction, ClearancePending } from "../../../core/types.ts";
import type { ClearanceAnswer } from "./clearance_answer.ts";

/** One caller held on a record. */
export interface Waiter {
  resolve: (answer: ClearanceAnswer) => void;
  timer: ReturnType<typeof setTimeout>;
  detach: () => void;
}

/** pending: callers may be held; expired: the hold ended, a verdict is late; decided: done. */
export type RecordState = "pending" | "expired" | "deciding" | "decided";

/** A pending clearance record. */
export interface PendingRecord {
  request_id: string;
  run_id: string;
  host: string;
  port: number;
  sni?: string;
  scheme: string;
  first_seen: string;
  firstMono: number;
  lastMono: number;
  deadlineWall: number;
  count: number;
  state: RecordState;
  waiters: Set<Waiter>;
}

/** A late `once` verdict waiting for the next request of its (run, host, port). */
export interface Ticket {
  action: ClearanceAction;
  request_id: string;
  message: string;
  untilMono: number;
}

/** The dedup key of a destination within a run. */
export function keyOf(runId: string, host: string, port: number): string {
  return `${runId}\u0000${host}\u0000${port}`;
}

/** The `harness.egress.pending` payload of a record. */
export function pendingOf(rec: PendingRecord): ClearancePending {
  const p: ClearancePending = {
    request_id: rec.request_id,
    run_id: rec.run_id,
    host: rec.host,
    port: rec.port,
    scheme: rec.scheme,
    first_seen: rec.first_seen,
    count: rec.count,
    deadline: new Date(rec.deadlineWall).toISOString(),
  };
  if (rec.sni !== undefined) p.sni = rec.sni;
  return p;
}

function open(rec: PendingRecord): boolean {
  return rec.state === "pending" || rec.state === "deciding";
}

/** Records and tickets, bounded to `remember` each. */
export class PendingBook {
  readonly #records = new Map<string, PendingRecord>();
  readonly #byKey = new Map<string, PendingRecord>();
  readonly #tickets = new Map<string, Ticket>();
  readonly #remember: number;

  constructor(remember: number) {
    this.#remember = remember;
  }

  get(id: string): PendingRecord | undefined {
    return this.#records.get(id);
  }

  forKey(key: string): PendingRecord | undefined {
    return this.#byKey.get(key);
  }

  records(): IterableIterator<PendingRecord> {
    return this.#records.values();
  }

  /** Adds a record (and makes it its key's record), forgetting the oldest closed ones. */
  add(rec: PendingRecord): void {
    this.#records.set(rec.request_id, rec);
    this.#byKey.set(keyOf(rec.run_id, rec.host, rec.port), rec);
    for (const [id, old] of this.#records) {
      if (this.#records.size <= this.#remember) break;
      if (open(old)) continue;
      this.#records.delete(id);
      this.unlinkKey(old);
    }
  }

  /** Stops repeats from attaching to `rec`. */
  unlinkKey(rec: PendingRecord): void {
    const key = keyOf(rec.run_id, rec.host, rec.port);
    if (this.#byKey.get(key) === rec) this.#byKey.delete(key);
  }

  /** Open (pending or deciding) records: in the desk and of `runId`. */
  openCounts(runId: string): { all: number; run: number } {
    let all = 0;
    let run = 0;
    for (const rec of this.#records.values()) {
      if (!open(rec)) continue;
      all++;
      if (rec.run_id === runId) run++;
    }
    return { all, run };
  }

  putTicket(key: string, ticket: Ticket): void {
    this.#tickets.delete(key);
    this.#tickets.set(key, ticket);
    while (this.#tickets.size > this.#remember) {
      this.#tickets.delete(this.#tickets.keys().next().value!);
    }
  }

  takeTicket(key: string): Ticket | undefined {
    const t = this.#tickets.get(key);
    this.#tickets.delete(key);
    return t;
  }

  dropTickets(runId: string): void {
    const prefix = `${runId}\u0000`;
    for (const key of [...this.#tickets.keys()]) {
      if (key.startsWith(prefix)) this.#tickets.delete(key);
    }
  }

  sizes(): { pending: number; records: number; waiters: number; tickets: number } {
    let pending = 0;
    let waiters = 0;
    for (const rec of this.#records.values()) {
      if (open(rec)) pending++;
      waiters += rec.waiters.size;
    }
    return { pending, records: this.#records.size, waiters, tickets: this.#tickets.size };
  }
}
