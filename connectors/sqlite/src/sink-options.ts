import {
  checkBoolean,
  checkName,
  checkOneOf,
  checkPositiveInteger,
  checkTarget,
  type DatabaseTarget,
  optionError,
} from './check-options.js'
import { checkIdentifier } from './identifiers.js'
import type { SqliteDatabase } from './open-database.js'
import { COLUMN_TYPE_PATTERN, type SqliteWriteMode } from './schema.js'

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
   * when this many are waiting, and the rest in `close()`.
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

/** The checked options the sink runs with. */
export interface SinkSettings {
  readonly name: string
  readonly target: DatabaseTarget
  readonly table: string
  /** Declared column names in order, or undefined. */
  readonly columns: readonly string[] | undefined
  /** Declared column types (when `columns` was a map), or undefined. */
  readonly types: ReadonlyMap<string, string> | undefined
  readonly createTable: boolean
  readonly primaryKey: readonly string[]
  readonly mode: SqliteWriteMode
  readonly batchSize: number
  readonly onUnknownColumn: UnknownColumnPolicy
}

const FACTORY = 'sqliteSink'

/** Checks {@link SqliteSinkOptions}: `TypeError` for a bad option, `SQLITE_IDENTIFIER` for a bad name. */
export function resolveSinkOptions<Row extends object>(
  options: SqliteSinkOptions<Row>,
): SinkSettings {
  if (typeof options !== 'object' || options === null) {
    throw optionError(FACTORY, 'options', 'an options object', options)
  }
  const target = checkTarget(FACTORY, options)
  if (typeof options.table !== 'string') {
    throw optionError(FACTORY, 'table', 'a table name', options.table)
  }
  const table = checkIdentifier(options.table, 'table')
  const { columns, types } = resolveColumns(options.columns)
  const primaryKey = resolvePrimaryKey(options.primaryKey, columns)
  const mode = checkOneOf(FACTORY, 'mode', options.mode, ['insert', 'replace', 'upsert'], 'insert')
  if (mode === 'upsert' && primaryKey.length === 0) {
    throw optionError(
      FACTORY,
      'primaryKey',
      "the conflict target of mode 'upsert' (a column name or a list of names)",
      options.primaryKey,
    )
  }
  return {
    name: checkName(FACTORY, options.name, 'sqliteSink'),
    target,
    table,
    columns,
    types,
    createTable: checkBoolean(FACTORY, 'createTable', options.createTable, true),
    primaryKey,
    mode,
    batchSize: checkPositiveInteger(FACTORY, 'batchSize', options.batchSize, 1000),
    onUnknownColumn: checkOneOf(
      FACTORY,
      'onUnknownColumn',
      options.onUnknownColumn,
      ['error', 'ignore', 'add'],
      'error',
    ),
  }
}

function resolveColumns(value: unknown): Pick<SinkSettings, 'columns' | 'types'> {
  if (value === undefined) return { columns: undefined, types: undefined }
  let names: string[]
  let types: Map<string, string> | undefined
  if (Array.isArray(value)) {
    names = value.map((name, index) => {
      if (typeof name !== 'string')
        throw optionError(FACTORY, `columns[${index}]`, 'a column name', name)
      return name
    })
  } else if (typeof value === 'object' && value !== null) {
    types = new Map()
    for (const [name, type] of Object.entries(value)) {
      if (typeof type !== 'string' || !COLUMN_TYPE_PATTERN.test(type.trim())) {
        throw optionError(
          FACTORY,
          `columns.${name}`,
          "a SQLite column type such as 'INTEGER', 'REAL', 'TEXT', 'BLOB', 'VARCHAR(20)' or " +
            "'TEXT NOT NULL' (letters, digits, spaces and one size in parentheses)",
          type,
        )
      }
      types.set(name, type.trim())
    }
    names = [...types.keys()]
  } else {
    throw optionError(FACTORY, 'columns', 'a map of column name to type, or a list of names', value)
  }
  if (names.length === 0) {
    throw optionError(FACTORY, 'columns', 'at least one column', value)
  }
  const seen = new Map<string, string>()
  for (const name of names) {
    checkIdentifier(name, 'column', ' in option "columns"')
    const clash = seen.get(name.toLowerCase())
    if (clash !== undefined) {
      throw new TypeError(
        `${FACTORY} "columns": expected distinct names, got "${clash}" and "${name}" ` +
          '(SQLite column names ignore letter case)',
      )
    }
    seen.set(name.toLowerCase(), name)
  }
  return { columns: names, types }
}

function resolvePrimaryKey(value: unknown, columns: readonly string[] | undefined): string[] {
  if (value === undefined) return []
  const names = typeof value === 'string' ? [value] : value
  if (
    !Array.isArray(names) ||
    names.length === 0 ||
    names.some((name) => typeof name !== 'string')
  ) {
    throw optionError(FACTORY, 'primaryKey', 'a column name or a non-empty list of names', value)
  }
  for (const name of names as string[]) {
    checkIdentifier(name, 'column', ' in option "primaryKey"')
    if (columns && !columns.includes(name)) {
      throw optionError(
        FACTORY,
        'primaryKey',
        `one of the declared columns (${columns.join(', ')})`,
        name,
      )
    }
  }
  return names as string[]
}
