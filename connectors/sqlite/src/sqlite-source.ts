import type { Checkpoint } from '@graphflow/core'
import { checkpoint, defineSource, describeValue, messageOf } from '@graphflow/core'
import type { Statement } from 'better-sqlite3'
import { fileDeprecation, isParams, resolveSourceOptions } from './check-options.js'
import {
  fromPosition,
  KeyReader,
  type Keyset,
  keyParams,
  keysetQueries,
  resolveKeyset,
  toPosition,
} from './keyset.js'
import { checkOpen, openDatabase, type SqliteDatabase } from './open-database.js'
import { toSqlValue } from './schema.js'
import { SqliteError } from './sqlite-error.js'
import type {
  SqliteKeyValue,
  SqliteParams,
  SqliteSourceOptions,
  SqliteSourceSpec,
  SqliteSourceStats,
} from './sqlite-source-options.js'

/**
 * A source node that streams the rows of a query with better-sqlite3's `.iterate()`: one row
 * per item, or arrays of `batchSize` rows. Reads a file opened read-only, or a given handle.
 * Called as a start node it runs the query once (with `params`, or its start argument); with
 * an incoming edge it runs it once per incoming item, taken as the parameters. With `key`, it
 * reads the rows ordered by the key and yields positions: resumable and incremental loads.
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
  const keyset = resolveKeyset(options)
  const { target, query, params, safeIntegers } = settings
  const where = target.path === undefined ? 'the given database' : `"${target.path}"`
  const warnFileOption = fileDeprecation('sqliteSource', target)
  let database: SqliteDatabase | undefined
  let statement: Statement<unknown[], Row> | undefined
  /** With `key`: the query after a key value (`statement` is then the one from the start). */
  let afterStatement: Statement<unknown[], Row> | undefined
  /** With `key`: where the next call without an argument starts (a saved position, or `after`). */
  let resumeAfter: SqliteKeyValue[] | undefined
  /** With `key`, in a run with `checkpoints`: a call without an argument yields positions. */
  let positions = false
  let signal: AbortSignal | undefined
  let stats: { records: number } | undefined
  const active = new Set<Iterator<Row>>()

  function prepare(from: SqliteDatabase, sql = query): Statement<unknown[], Row> {
    let prepared: Statement<unknown[], Row>
    try {
      prepared = from.prepare<unknown[], Row>(sql)
    } catch (error) {
      const form =
        sql === query
          ? 'the query'
          : `the keyset form of the query (with "key" it is read as a subquery, so it must be a SELECT or WITH query: ${sql})`
      throw new SqliteError(`cannot prepare ${form} on ${where}: ${messageOf(error)}`, {
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
    database = statement = afterStatement = undefined
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
        if (keyset) {
          checkKeyColumns(statement, keyset, where)
          const forms = keysetQueries(query, keyset)
          statement = prepare(database, forms.all)
          afterStatement = prepare(database, forms.after)
          // `resumeFrom` is in the context of a start node in a run with checkpoints only.
          positions = 'resumeFrom' in context
          // Every sink's saved position must fit this key, also when one sink stored nothing
          // (resumeFrom undefined): a sink that is ahead skips the first units of this read.
          for (const position of context.savedPositions ?? []) fromPosition(keyset, position, where)
          resumeAfter =
            context.resumeFrom === undefined
              ? keyset.initial?.slice()
              : fromPosition(keyset, context.resumeFrom, where)
        } else if (context.resumeFrom !== undefined || (context.savedPositions ?? []).length > 0) {
          throw new SqliteError(
            `cannot resume the read of ${where}: the run's state holds a position for it, but ` +
              'it has no "key" option to resume after (it would read every row again); give the ' +
              'same "key" as the run that saved it, or another "checkpoints.key" to start over',
            { code: 'SQLITE_KEY' },
          )
        }
      } catch (error) {
        release()
        throw error
      }
    },
    read: function* sqliteSource(
      ...input: [] | [SqliteParams]
    ): Generator<Row | Checkpoint, void, undefined> {
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
      // Positions only in a run with checkpoints, in a call that reads the `params` option: a
      // start call, whose units a resumed run numbers on (calls per item would mix queries').
      const positioned = keyset !== undefined && positions && input.length === 0
      const after = positioned ? resumeAfter : keyset?.initial
      let running = after === undefined ? statement : (afterStatement as Statement<unknown[], Row>)
      if (running.busy) running = prepare(database, running.source)
      let rows: IterableIterator<Row>
      try {
        const bound = given === undefined ? [] : [toSqlParams(given)]
        if (after !== undefined) {
          const bounds = keyParams(after)
          const last = bound[0]
          if (last === undefined || Array.isArray(last)) bound.push(bounds)
          else bound[0] = { ...last, ...bounds }
        }
        rows = running.iterate(...(bound as unknown[]))
      } catch (error) {
        throw queryError(error, where)
      }
      const counts = stats
      const keys = keyset && new KeyReader(keyset, where)
      const unitSize = settings.batchSize ?? 1
      let inUnit = 0
      let last: SqliteKeyValue[] | undefined
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
          if (keys) last = keys.read(next.value)
          counts.records++
          yield next.value
          if (positioned && ++inUnit === unitSize) {
            inUnit = 0
            resumeAfter = last
            yield checkpoint(toPosition(keyset, last as SqliteKeyValue[]))
          }
        }
        if (positioned && inUnit > 0) {
          resumeAfter = last
          yield checkpoint(toPosition(keyset, last as SqliteKeyValue[]))
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

/** Refuses a `key` naming a column the query's rows do not have (`SQLITE_QUERY`). */
function checkKeyColumns(statement: Statement<unknown[], unknown>, keyset: Keyset, where: string) {
  const names = statement.columns().map((column) => column.name)
  for (const column of keyset.columns) {
    if (!names.includes(column)) {
      throw new SqliteError(
        `option "key" names column '${column}', which the rows of the query on ${where} do not ` +
          `have (their columns: ${names.join(', ')})`,
        { code: 'SQLITE_QUERY' },
      )
    }
  }
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
  return new SqliteError(`the query on ${where} failed: ${messageOf(error)}`, {
    code: 'SQLITE_QUERY',
    cause: error,
  })
}
