import type { SourceSpec } from '@graphflow/core'
import type { SqliteDatabase } from './open-database.js'

/** Parameters of a query: positional (`?`) as an array, named (`@name`, `:name`) as an object. */
export type SqliteParams = readonly unknown[] | Readonly<Record<string, unknown>>

/** Options of {@link sqliteSource}. Give exactly one of `path` and `database`. */
export interface SqliteSourceOptions {
  /**
   * Path of the database file, opened read-only in `open()` (it must exist) and closed in
   * `close()`.
   * @default undefined (give `path` or `database`)
   */
  path?: string
  /**
   * The former name of `path`, still accepted: the first `open()` logs a deprecation warning.
   * Giving both `path` and `file` is a `TypeError`.
   * @deprecated Use `path` (same meaning).
   * @default undefined
   */
  file?: string
  /**
   * An open better-sqlite3 `Database` to read from instead of `path`; never closed by the
   * source. While the source iterates, a sink cannot write through the same handle (SQLite
   * allows one active statement per write): give a sink its own connection.
   * @default undefined (give `path` or `database`)
   */
  database?: SqliteDatabase
  /**
   * The SQL query, a statement that returns rows (`SELECT`, `WITH`, `PRAGMA`, `... RETURNING`).
   * Prepared in `open()`, so a syntax error fails the run early.
   * @default (required)
   */
  query: string
  /**
   * The query's parameters. A start argument (`startNodes: { sqliteSource: [params] }`) or
   * an incoming item replaces them for that call.
   * @default undefined (no parameters)
   */
  params?: SqliteParams
  /**
   * Yield arrays of up to this many rows instead of one row at a time.
   * @default undefined (one row per item)
   */
  batchSize?: number
  /**
   * Read INTEGER values as `bigint` instead of `number`. A `number` holds integers exactly up
   * to ±2^53 (`Number.MAX_SAFE_INTEGER`) and rounds larger ones silently; a `bigint` is exact
   * for every 64-bit integer SQLite stores. With it, every INTEGER value (small ones too) is a
   * `bigint`.
   * @default false (integers read as `number`, rounded beyond ±2^53)
   */
  safeIntegers?: boolean
  /**
   * The node's default name in the graph.
   * @default 'sqliteSource'
   */
  name?: string
}

/** Progress of a {@link sqliteSource} during and after a run. */
export interface SqliteSourceStats {
  /** Rows yielded (each row of a batch counts). */
  readonly records: number
}

/**
 * The node {@link sqliteSource} returns: called with no arguments or with query parameters,
 * with live {@link SqliteSourceStats}.
 */
export type SqliteSourceSpec<Item> = SourceSpec<Item, SqliteSourceStats, [] | [SqliteParams]>
