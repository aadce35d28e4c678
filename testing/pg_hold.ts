/**
 * Holds a PostgreSQL transaction open for a test: runs `work` inside it, then keeps it open
 * (not committed) until `release()`, which commits it and resolves once it has.
 *
 * @example
 * ```ts ignore
 * const held = await holdTransaction(sql, (tx) => tx.unsafe("select pg_current_xact_id()"));
 * // ... the transaction holds an xid: horizon readers wait ...
 * await held.release();
 * ```
 * @module
 */
import type postgres from "postgres";

/** A transaction left open by {@link holdTransaction}. */
export interface HeldTransaction {
  /** Lets the transaction commit; resolves once it has (rejects with its error). Idempotent. */
  release(): Promise<void>;
}

/**
 * Begins a transaction on `sql`, runs `work` in it and resolves once `work` is done, the
 * transaction still open. Rejects when the transaction fails before that.
 */
export async function holdTransaction(
  sql: postgres.Sql,
  work: (tx: postgres.TransactionSql) => Promise<unknown>,
): Promise<HeldTransaction> {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  let ready!: () => void;
  const held = new Promise<void>((r) => ready = r);
  const done = sql.begin(async (tx) => {
    await work(tx);
    ready();
    await gate;
  });
  await Promise.race([held, done]);
  return {
    release: async () => {
      release();
      await done;
    },
  };
}
