import type { NodeContext, NodeSpec } from '@graphflow/core'
import type { Statement } from 'better-sqlite3'
import {
  checkBoolean,
  checkName,
  checkPositiveInteger,
  checkTarget,
  describeValue,
  fileDeprecation,
  optionError,
} from './check-options.js'
import { checkOpen, openDatabase, type SqliteDatabase } from './open-database.js'
import { toSqlValue } from './schema.js'
import { plainMessage, SqliteError } from './sqlite-error.js'

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
export interface SqliteSourceSpec<Item> extends NodeSpec<[] | [SqliteParams], Item> {
  /** Live counts of the current (or last) run, for progress display. Reset by each `open()`. */
  readonly stats: SqliteSourceStats
}

const FACTORY = 'sqliteSource'

/**
 * A source node that streams the rows of a query with better-sqlite3's `.iterate()`: one row
 * per item, or arrays of `batchSize` rows. Reads a file opened read-only, or a given handle.
 * Called as a start node it runs the query once (with `params`, or its start argument); with
 * an incoming edge it runs it once per incoming item, taken as the parameters.
 *
 * @example
 * ```ts
 * const rows = graph.addNode(
 *   sqliteSource({ path: 'breweries.db', query: 'SELECT * FROM breweries WHERE state = ?', params: ['Ohio'] }),
 * )
 * graph.addEdge(rows, print)
 * ```
 */
export function sqliteSource<Row = Record<string, unknown>>(
  options: SqliteSourceOptions & { batchSize: number },
): SqliteSourceSpec<Row[]>
export function sqliteSource<Row = Record<string, unknown>>(
  options: SqliteSourceOptions & { batchSize?: undefined },
): SqliteSourceSpec<Row>
export function sqliteSource<Row = Record<string, unknown>>(
  options: SqliteSourceOptions,
): SqliteSourceSpec<Row | Row[]>
export function sqliteSource<Row = Record<string, unknown>>(
  options: SqliteSourceOptions,
): SqliteSourceSpec<Row | Row[]> {
  if (typeof options !== 'object' || options === null) {
    throw optionError(FACTORY, 'options', 'an options object', options)
  }
  const target = checkTarget(FACTORY, options)
  const { query, params } = options
  if (typeof query !== 'string' || query.trim().length === 0) {
    throw optionError(FACTORY, 'query', 'an SQL query string', query)
  }
  if (!isParams(params)) throw optionError(FACTORY, 'params', 'an array or an object', params)
  const batchSize =
    options.batchSize === undefined
      ? undefined
      : checkPositiveInteger(FACTORY, 'batchSize', options.batchSize, 1)
  const safeIntegers = checkBoolean(FACTORY, 'safeIntegers', options.safeIntegers, false)
  const where = target.path === undefined ? 'the given database' : `"${target.path}"`
  const warnFileOption = fileDeprecation(FACTORY, target)
  const stats = { records: 0 } // live: mutated in place, never replaced
  let database: SqliteDatabase | undefined
  let statement: Statement<unknown[], Row> | undefined
  let signal: AbortSignal | undefined
  const active = new Set<Iterator<Row>>()

  function prepare(from: SqliteDatabase): Statement<unknown[], Row> {
    let prepared: Statement<unknown[], Row>
    try {
      prepared = from.prepare<unknown[], Row>(query)
    } catch (error) {
      throw new SqliteError(`cannot prepare the query on ${where}: ${plainMessage(error)}`, {
        code: 'SQLITE_QUERY',
        cause: error,
      })
    }
    if (!prepared.reader) {
      throw new SqliteError(`the query does not return rows (use a SELECT): ${query}`, {
        code: 'SQLITE_QUERY',
      })
    }
    return prepared.safeIntegers(safeIntegers)
  }

  function release(): void {
    for (const iterator of active) iterator.return?.()
    active.clear()
    const opened = database
    database = statement = undefined
    if (opened && target.path !== undefined) opened.close()
  }

  return {
    name: checkName(FACTORY, options.name, 'sqliteSource'),
    stats,
    open(context: NodeContext) {
      signal = context.signal
      stats.records = 0
      warnFileOption(context)
      database = target.database ? checkOpen(target.database) : openDatabase(target.path, 'read')
      try {
        statement = prepare(database)
      } catch (error) {
        release()
        throw error
      }
    },
    fn: async function* sqliteSource(...input: [] | [SqliteParams]) {
      if (!database || !statement) {
        throw new SqliteError(`the source of ${where} is not open`, { code: 'SQLITE_QUERY' })
      }
      const given = input.length > 0 ? input[0] : params
      if (!isParams(given)) {
        throw new SqliteError(
          `expected query parameters (an array or an object), got ${describeValue(given)}`,
          { code: 'SQLITE_QUERY' },
        )
      }
      const running = statement.busy ? prepare(database) : statement
      let rows: IterableIterator<Row>
      try {
        rows = given === undefined ? running.iterate() : running.iterate(toSqlParams(given))
      } catch (error) {
        throw queryError(error, where)
      }
      active.add(rows)
      try {
        let batch: Row[] = []
        for (;;) {
          if (signal?.aborted) return
          let next: IteratorResult<Row>
          try {
            next = rows.next()
          } catch (error) {
            throw queryError(error, where)
          }
          if (next.done) break
          if (batchSize === undefined) {
            stats.records++
            yield next.value
          } else {
            batch.push(next.value)
            if (batch.length >= batchSize) {
              stats.records += batch.length
              yield batch
              batch = []
            }
          }
        }
        if (batch.length > 0) {
          stats.records += batch.length
          yield batch
        }
      } finally {
        active.delete(rows)
        rows.return?.()
      }
    },
    close() {
      release()
    },
  }
}

/** Converts parameters the way the sink converts values: booleans, Dates, objects as JSON. */
function toSqlParams(params: SqliteParams): SqliteParams {
  if (Array.isArray(params)) return params.map(toSqlValue)
  return Object.fromEntries(
    Object.entries(params).map(([name, value]) => [name, toSqlValue(value)]),
  )
}

function isParams(params: unknown): params is SqliteParams | undefined {
  return params === undefined || (typeof params === 'object' && params !== null)
}

function queryError(error: unknown, where: string): SqliteError {
  if (error instanceof SqliteError) return error
  return new SqliteError(`the query on ${where} failed: ${plainMessage(error)}`, {
    code: 'SQLITE_QUERY',
    cause: error,
  })
}
