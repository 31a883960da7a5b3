import { describeValue, type NodeContext, type OptionChecks, optionChecks } from '@graphflow/core'
import { checkIdentifier } from './identifiers.js'
import type { SqliteDatabase } from './open-database.js'
import { COLUMN_TYPE_PATTERN, type SqliteWriteMode } from './schema.js'
import type { SqliteSinkOptions, UnknownColumnPolicy } from './sqlite-sink-options.js'
import type { SqliteParams, SqliteSourceOptions } from './sqlite-source-options.js'

/**
 * Where a factory reads or writes: a file it opens (`path`, or the deprecated `file` when
 * `fromFile`), or a database it was given.
 */
export type DatabaseTarget =
  | { readonly path: string; readonly fromFile: boolean; readonly database?: undefined }
  | { readonly path?: undefined; readonly fromFile?: undefined; readonly database: SqliteDatabase }

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

/** The checked options the source runs with. */
export interface SourceSettings {
  readonly name: string
  readonly target: DatabaseTarget
  readonly query: string
  readonly params: SqliteParams | undefined
  readonly batchSize: number | undefined
  readonly safeIntegers: boolean
}

/**
 * Checks that exactly one of `path` (or its deprecated alias `file`) and `database` is given.
 * Giving both `path` and `file` is a `TypeError`, even with the same value.
 */
function checkTarget(
  check: OptionChecks,
  options: { path?: unknown; file?: unknown; database?: unknown },
): DatabaseTarget {
  const { path, file, database } = options
  if (path !== undefined && file !== undefined) {
    throw new TypeError(
      `${check.factory}: expected "path" or "file" (its deprecated alias), got both ` +
        `(path ${describeValue(path)}, file ${describeValue(file)})`,
    )
  }
  const fromFile = path === undefined && file !== undefined
  const option = fromFile ? 'file' : 'path'
  const location = fromFile ? file : path
  if (location !== undefined && database !== undefined) {
    throw new TypeError(
      `${check.factory}: expected either "${option}" or "database", got both (${option} ${describeValue(location)})`,
    )
  }
  if (database !== undefined) {
    const looksLikeDatabase =
      typeof database === 'object' &&
      database !== null &&
      typeof (database as { prepare?: unknown }).prepare === 'function' &&
      typeof (database as { transaction?: unknown }).transaction === 'function'
    if (!looksLikeDatabase) check.fail('database', 'an open better-sqlite3 Database', database)
    return { database: database as SqliteDatabase }
  }
  if (typeof location !== 'string' || location.length === 0) {
    check.fail(option, 'a database file path (or a "database" handle)', location)
  }
  return { path: location as string, fromFile }
}

/**
 * The deprecation warning of the `file` option, once per spec: the returned function logs it at
 * the first `open()` of a spec given `file` (through the run logger's `warn` when it has one,
 * else `info`) and does nothing after that, or for a spec given `path` or `database`.
 */
export function fileDeprecation(
  factory: string,
  target: DatabaseTarget,
): (context: NodeContext | undefined) => void {
  let pending = target.fromFile === true
  return (context) => {
    const logger = context?.logger
    if (!pending || !logger) return
    pending = false
    const message =
      `[graphflow] [sqlite] ${context.name}: option "file" of ${factory} is deprecated, use ` +
      `"path" (same meaning): { path: ${JSON.stringify(target.path)} }`
    try {
      if (typeof logger.warn === 'function') logger.warn(message)
      else logger.info(message)
    } catch {
      // A failing logger must not fail open(): the warning is advice, not part of the run.
    }
  }
}

/** Checks {@link SqliteSinkOptions}: `TypeError` for a bad option, `SQLITE_IDENTIFIER` for a bad name. */
export function resolveSinkOptions<Row extends object>(
  options: SqliteSinkOptions<Row>,
): SinkSettings {
  const check = optionChecks('sqliteSink')
  check.object(options)
  const target = checkTarget(check, options)
  if (typeof options.table !== 'string') check.fail('table', 'a table name', options.table)
  const table = checkIdentifier(options.table, 'table')
  const { columns, types } = resolveColumns(check, options.columns)
  const primaryKey = resolvePrimaryKey(check, options.primaryKey, columns)
  const mode = check.oneOf('mode', options.mode, ['insert', 'replace', 'upsert'], 'insert')
  if (mode === 'upsert' && primaryKey.length === 0) {
    check.fail(
      'primaryKey',
      "the conflict target of mode 'upsert' (a column name or a list of names)",
      options.primaryKey,
    )
  }
  return {
    name: check.string('name', options.name, 'sqliteSink'),
    target,
    table,
    columns,
    types,
    createTable: check.boolean('createTable', options.createTable, true),
    primaryKey,
    mode,
    batchSize: check.integer('batchSize', options.batchSize, 1000, { min: 1 }),
    onUnknownColumn: check.oneOf(
      'onUnknownColumn',
      options.onUnknownColumn,
      ['error', 'ignore', 'add'],
      'error',
    ),
  }
}

function resolveColumns(
  check: OptionChecks,
  value: unknown,
): Pick<SinkSettings, 'columns' | 'types'> {
  if (value === undefined) return { columns: undefined, types: undefined }
  let names: string[]
  let types: Map<string, string> | undefined
  if (Array.isArray(value)) {
    names = value.map((name, index) => {
      if (typeof name !== 'string') check.fail(`columns[${index}]`, 'a column name', name)
      return name as string
    })
  } else if (typeof value === 'object' && value !== null) {
    types = new Map()
    for (const [name, type] of Object.entries(value)) {
      if (typeof type !== 'string' || !COLUMN_TYPE_PATTERN.test(type.trim())) {
        check.fail(
          `columns.${name}`,
          "a SQLite column type such as 'INTEGER', 'REAL', 'TEXT', 'BLOB', 'VARCHAR(20)' or " +
            "'TEXT NOT NULL' (letters, digits, spaces and one size in parentheses)",
          type,
        )
      }
      types.set(name, (type as string).trim())
    }
    names = [...types.keys()]
  } else {
    check.fail('columns', 'a map of column name to type, or a list of names', value)
  }
  if (names.length === 0) check.fail('columns', 'at least one column', value)
  const seen = new Map<string, string>()
  for (const name of names) {
    checkIdentifier(name, 'column', ' in option "columns"')
    const clash = seen.get(name.toLowerCase())
    if (clash !== undefined) {
      throw new TypeError(
        `${check.factory} option "columns": expected distinct names, got "${clash}" and ` +
          `"${name}" (SQLite column names ignore letter case)`,
      )
    }
    seen.set(name.toLowerCase(), name)
  }
  return { columns: names, types }
}

function resolvePrimaryKey(
  check: OptionChecks,
  value: unknown,
  columns: readonly string[] | undefined,
): string[] {
  if (value === undefined) return []
  const names = typeof value === 'string' ? [value] : value
  if (
    !Array.isArray(names) ||
    names.length === 0 ||
    names.some((name) => typeof name !== 'string')
  ) {
    check.fail('primaryKey', 'a column name or a non-empty list of names', value)
  }
  for (const name of names as string[]) {
    checkIdentifier(name, 'column', ' in option "primaryKey"')
    if (columns && !columns.includes(name)) {
      check.fail('primaryKey', `one of the declared columns (${columns.join(', ')})`, name)
    }
  }
  return names as string[]
}

/** Checks {@link SqliteSourceOptions}; throws a `TypeError` naming the bad option. */
export function resolveSourceOptions(options: SqliteSourceOptions): SourceSettings {
  const check = optionChecks('sqliteSource')
  check.object(options)
  const target = checkTarget(check, options)
  const { query, params } = options
  if (typeof query !== 'string' || query.trim().length === 0) {
    check.fail('query', 'an SQL query string', query)
  }
  if (!isParams(params)) check.fail('params', 'an array or an object', params)
  return {
    name: check.string('name', options.name, 'sqliteSource'),
    target,
    query,
    params,
    batchSize: check.integer('batchSize', options.batchSize, undefined, { min: 1 }),
    safeIntegers: check.boolean('safeIntegers', options.safeIntegers, false),
  }
}

/** True for query parameters (an array or an object), or none. */
export function isParams(params: unknown): params is SqliteParams | undefined {
  return params === undefined || (typeof params === 'object' && params !== null)
}
