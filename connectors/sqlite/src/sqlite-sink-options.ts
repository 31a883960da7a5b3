import type { SinkSpec } from '@graphflow/core'
import type { SqliteDatabase } from './open-database.js'
import type { SqliteWriteMode } from './schema.js'

export type { SqliteDatabase } from './open-database.js'
export type { SqliteValue, SqliteWriteMode } from './schema.js'

/** What the sink does with a record field that is not a column of the table. */
export type UnknownColumnPolicy = 'error' | 'ignore' | 'add'

/**
 * The column names a sink of `Row` records accepts in `primaryKey` and `columns`: the string
 * keys of `Row`, or any string when the record type is not known (`object`, an index signature).
 */
export type ColumnName<Row> = object extends Row
  ? string
  : string extends keyof Row
    ? string
    : Extract<keyof Row, string>

/**
 * Options of {@link sqliteSink}. Give exactly one of `path` and `database`. With a record type
 * (`sqliteSink<Brewery>(...)`), `primaryKey` and the names in `columns` must be its keys.
 */
export interface SqliteSinkOptions<Row extends object = object> {
  /**
   * Path of the database file. The sink opens it in `open()` (creating it if missing) in WAL
   * journal mode and closes it in `close()`.
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
   * An open better-sqlite3 `Database` to write to instead of `path`. The sink never closes it
   * and does not change its journal mode.
   * @default undefined (give `path` or `database`)
   */
  database?: SqliteDatabase
  /**
   * The table to write to, checked against `/^[A-Za-z_][A-Za-z0-9_]*$/` and quoted.
   * @default (required)
   */
  table: string
  /**
   * The columns: a map of name to SQLite type (`{ id: 'INTEGER', name: 'TEXT NOT NULL' }`),
   * or a list of names whose types are inferred from the first records. A missing table is
   * created with them; the statement writes them in this order.
   * @default undefined: inferred from the fields of the first batch of records
   */
  columns?: Readonly<Partial<Record<ColumnName<Row>, string>>> | readonly ColumnName<Row>[]
  /**
   * Create the table (`CREATE TABLE IF NOT EXISTS`) when it does not exist. When `false`,
   * a missing table fails `open()`.
   * @default true
   */
  createTable?: boolean
  /**
   * The primary key column(s) of a created table, and the conflict target of `upsert`. Each
   * must be a declared column, a field of the first records (when the columns are inferred),
   * or a column of the existing table; otherwise the first call (or `open()`) fails naming the
   * key and the columns there are.
   * @default undefined (no primary key; required by `mode: 'upsert'`)
   */
  primaryKey?: ColumnName<Row> | readonly ColumnName<Row>[]
  /**
   * `insert` (`INSERT`), `replace` (`INSERT OR REPLACE`) or `upsert`
   * (`INSERT ... ON CONFLICT (primaryKey) DO UPDATE SET` every other written column).
   * @default 'insert'
   */
  mode?: SqliteWriteMode
  /**
   * Rows per transaction. Records are buffered and written in one synchronous transaction
   * when this many are waiting (with all the records of the call that filled the batch: a
   * call is never split), and the rest before `close()`.
   * @default 1000
   */
  batchSize?: number
  /**
   * A record field that is not a column of the table: `'error'` rejects the call with a
   * `SQLITE_UNKNOWN_COLUMN` error, `'ignore'` drops the field, `'add'` runs
   * `ALTER TABLE ... ADD COLUMN` (type inferred from the value). A call refused as a whole
   * adds no column. Applied also to the columns of a table another writer created first.
   * @default 'error'
   */
  onUnknownColumn?: UnknownColumnPolicy
  /**
   * The node's default name in the graph.
   * @default 'sqliteSink'
   */
  name?: string
}

/** What a {@link sqliteSink} accepts per call: one record or an array of records. */
export type SqliteSinkInput<Row extends object = object> = Row | readonly Row[]

/** Progress of a {@link sqliteSink} during and after a run. */
export interface SqliteSinkStats {
  /** Records stored: rows committed to the table (the count every graphflow sink keeps). */
  readonly records: number
  /** Records the sink accepted in this run; by the end of the run each is stored or refused. */
  readonly rowsAccepted: number
  /** Rows SQLite refused (reported in a `SqliteRowError`) or lost with a failed batch. */
  readonly rowsRejected: number
  /** Transactions committed. */
  readonly batchesCommitted: number
  /**
   * The former name of `records` (the same number, read through a getter).
   * @deprecated Use `records`.
   */
  readonly rowsWritten: number
}

/** The node {@link sqliteSink} returns: a sink spec with live {@link SqliteSinkStats}. */
export type SqliteSinkSpec<Row extends object = object> = SinkSpec<Row, SqliteSinkStats>
