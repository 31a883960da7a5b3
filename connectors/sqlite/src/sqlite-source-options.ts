import type { SourceSpec } from '@graphflow/core'
import type { SqliteDatabase } from './open-database.js'

/** Parameters of a query: positional (`?`) as an array, named (`@name`, `:name`) as an object. */
export type SqliteParams = readonly unknown[] | Readonly<Record<string, unknown>>

/** A value of a `key` column: what a keyset read orders by and resumes after. */
export type SqliteKeyValue = number | string | bigint

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
   * The key column(s) of a keyset read: the query's rows are read ordered by the key (the
   * query becomes a subquery, `SELECT * FROM (query) ORDER BY key`, so it must be a `SELECT`
   * or `WITH` query). In a run with `checkpoints`, a start call without an argument yields a
   * `checkpoint()` after each batch (each row without `batchSize`) holding the last key read,
   * and a resumed run reads on after the last stored key (`WHERE (key) > (last)`); since the
   * state stays after a complete run, the next run reads only rows with a larger key: an
   * incremental load. The key must be unique among the rows and never NULL (else a `SQLITE_KEY` error);
   * for a non-unique column such as `updated_at`, add a column that makes it unique:
   * `key: ['updated_at', 'id']`. See "Resumable and incremental loads" in the README.
   * @default undefined (rows in the query's order, no positions)
   */
  key?: string | readonly string[]
  /**
   * With `key`: a run without a saved position reads only the rows after these key values
   * (one value, or one per key column): where an incremental load starts.
   * @default undefined (from the first row)
   */
  after?: SqliteKeyValue | readonly SqliteKeyValue[]
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
