/**
 * `node:sqlite`'s `DatabaseSync` with its own small type declarations.
 *
 * `@types/dockerode` brings `@types/node@18` into any program that also type-checks the Docker
 * backend, and those types replace Deno's built-in ones for every `node:` module; version 18 has
 * no `node:sqlite`, so a plain import fails `deno check .` with TS2591. Importing SQLite through
 * this module keeps every file type-checked whichever `@types/node` is in the program.
 *
 * @example
 * ```ts
 * import { DatabaseSync } from "./node_sqlite.ts";
 * const db = new DatabaseSync(":memory:");
 * console.assert((db.prepare("SELECT 1 AS one").get() as { one: number }).one === 1);
 * db.close();
 * ```
 * @module
 */
// @ts-ignore: unresolved when @types/node@18 (from @types/dockerode) is in the program; typed below
import * as sqlite from "node:sqlite";

/** A value SQLite can bind. */
export type SQLInputValue = null | number | bigint | string | Uint8Array;

/** A value SQLite returns. */
export type SQLOutputValue = null | number | bigint | string | Uint8Array;

/** The result of {@link StatementSync.run}. */
export interface RunResult {
  /** Rows changed by the statement. */
  changes: number | bigint;
  /** Rowid of the last inserted row. */
  lastInsertRowid: number | bigint;
}

/** A prepared statement. */
export interface StatementSync {
  /** Runs it; returns the change count and last rowid. */
  run(...params: SQLInputValue[]): RunResult;
  /** The first row, or undefined. */
  get(...params: SQLInputValue[]): Record<string, SQLOutputValue> | undefined;
  /** Every row. */
  all(...params: SQLInputValue[]): Record<string, SQLOutputValue>[];
  /** Return rows as arrays of column values (in select order) rather than objects. */
  setReturnArrays(enabled: boolean): void;
}

/** Options of the {@link DatabaseSync} constructor. */
export interface DatabaseSyncOptions {
  /** Open read-only. */
  readOnly?: boolean;
  /** Busy timeout in ms. */
  timeout?: number;
}

/** A synchronous SQLite connection. */
export interface DatabaseSync {
  /** Runs SQL without results. */
  exec(sql: string): void;
  /** Prepares a statement. */
  prepare(sql: string): StatementSync;
  /** Closes the connection. */
  close(): void;
  /** True inside an open transaction. */
  readonly isTransaction: boolean;
}

/** The `DatabaseSync` class of `node:sqlite`. */
export const DatabaseSync: new (path: string, options?: DatabaseSyncOptions) => DatabaseSync =
  // deno-lint-ignore no-explicit-any
  (sqlite as any).DatabaseSync;
