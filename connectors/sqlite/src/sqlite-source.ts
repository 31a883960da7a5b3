import { defineSource, describeValue } from '@graphflow/core'
import type { Statement } from 'better-sqlite3'
import { fileDeprecation, isParams, resolveSourceOptions } from './check-options.js'
import { checkOpen, openDatabase, type SqliteDatabase } from './open-database.js'
import { toSqlValue } from './schema.js'
import { plainMessage, SqliteError } from './sqlite-error.js'
import type {
  SqliteParams,
  SqliteSourceOptions,
  SqliteSourceSpec,
  SqliteSourceStats,
} from './sqlite-source-options.js'

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
  const settings = resolveSourceOptions(options)
  const { target, query, params, safeIntegers } = settings
  const where = target.path === undefined ? 'the given database' : `"${target.path}"`
  const warnFileOption = fileDeprecation('sqliteSource', target)
  let database: SqliteDatabase | undefined
  let statement: Statement<unknown[], Row> | undefined
  let signal: AbortSignal | undefined
  let stats: { records: number } | undefined
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

  return defineSource<Row, [] | [SqliteParams], SqliteSourceStats>({
    name: settings.name,
    batchSize: settings.batchSize,
    stats: () => ({ records: 0 }),
    open(context) {
      signal = context.signal
      stats = context.stats as { records: number }
      warnFileOption(context)
      database = target.database ? checkOpen(target.database) : openDatabase(target.path, 'read')
      try {
        statement = prepare(database)
      } catch (error) {
        release()
        throw error
      }
    },
    read: function* sqliteSource(...input: [] | [SqliteParams]): Generator<Row, void, undefined> {
      if (!database || !statement || !stats) {
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
      const counts = stats
      active.add(rows)
      try {
        for (;;) {
          if (signal?.aborted) return
          let next: IteratorResult<Row>
          try {
            next = rows.next()
          } catch (error) {
            throw queryError(error, where)
          }
          if (next.done) break
          counts.records++
          yield next.value
        }
      } finally {
        active.delete(rows)
        rows.return?.()
      }
    },
    close() {
      release()
    },
  }) as SqliteSourceSpec<Row | Row[]>
}

/** Converts parameters the way the sink converts values: booleans, Dates, objects as JSON. */
function toSqlParams(params: SqliteParams): SqliteParams {
  if (Array.isArray(params)) return params.map(toSqlValue)
  return Object.fromEntries(
    Object.entries(params).map(([name, value]) => [name, toSqlValue(value)]),
  )
}

function queryError(error: unknown, where: string): SqliteError {
  if (error instanceof SqliteError) return error
  return new SqliteError(`the query on ${where} failed: ${plainMessage(error)}`, {
    code: 'SQLITE_QUERY',
    cause: error,
  })
}
