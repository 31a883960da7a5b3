import type { NodeContext, NodeSpec } from '@graphflow/core'
import { fileDeprecation } from './check-options.js'
import { checkOpen, openDatabase, type SqliteDatabase } from './open-database.js'
import { resolveSinkOptions, type SqliteSinkOptions } from './sink-options.js'
import { plainMessage, SqliteError } from './sqlite-error.js'
import { type SqliteSinkStats, sinkCounters, TableWriter } from './table-writer.js'

/** What a {@link sqliteSink} accepts per call: one record or an array of records. */
export type SqliteSinkInput<Row extends object = object> = Row | readonly Row[]

/** The node {@link sqliteSink} returns: a `NodeSpec` with live {@link SqliteSinkStats}. */
export interface SqliteSinkSpec<Row extends object = object>
  extends NodeSpec<[SqliteSinkInput<Row>], never> {
  /** Live counts of the current (or last) run, for progress display. Reset by each `open()`. */
  readonly stats: SqliteSinkStats
}

/**
 * A sink node that writes records to a SQLite table with better-sqlite3: one prepared
 * statement, one transaction per `batchSize` records, the rest committed in `close()` (also
 * when the run halts or is aborted). The table is created from `columns` or from the first
 * records; table and column names are validated and quoted.
 *
 * A row SQLite refuses (a NOT NULL or UNIQUE constraint in `insert` mode, ...) does not fail
 * its batch: the other rows are committed and the call that wrote the batch (or `close()`)
 * throws a {@link SqliteRowError} naming the table and each refused row, records included.
 *
 * @example
 * ```ts
 * const graph = new AsyncGraph()
 * const breweries = graph.addNode(fetchBreweries) // yields records or arrays of records
 * const store = graph.addNode(
 *   sqliteSink({ path: 'breweries.db', table: 'breweries', primaryKey: 'id', mode: 'upsert' }),
 * )
 * graph.addEdge(breweries, store)
 * await new AsyncExecutor(graph).execute()
 * ```
 */
export function sqliteSink<Row extends object = object>(
  options: SqliteSinkOptions<NoInfer<Row>>,
): SqliteSinkSpec<Row> {
  const settings = resolveSinkOptions(options)
  const { target, table } = settings
  const { counters, stats } = sinkCounters() // live: mutated in place, never replaced
  const warnFileOption = fileDeprecation('sqliteSink', target)
  let database: SqliteDatabase | undefined
  let writer: TableWriter | undefined

  function release(): void {
    const opened = database
    database = undefined
    writer = undefined
    if (opened && target.path !== undefined) opened.close()
  }

  return {
    name: settings.name,
    stats,
    open(context?: NodeContext) {
      counters.records = counters.rowsAccepted = counters.rowsRejected = 0
      counters.batchesCommitted = 0
      warnFileOption(context)
      database = target.database ? checkOpen(target.database) : openDatabase(target.path, 'write')
      try {
        writer = new TableWriter(database, settings, counters)
      } catch (error) {
        release()
        if (error instanceof SqliteError) throw error
        throw new SqliteError(`cannot prepare table "${table}": ${plainMessage(error)}`, {
          code: 'SQLITE_OPEN',
          cause: error,
        })
      }
    },
    fn: async function* sqliteSink(
      input: SqliteSinkInput<Row>,
    ): AsyncGenerator<never, void, undefined> {
      if (!writer)
        throw new SqliteError(`the sink for table "${table}" is not open`, { code: 'SQLITE_WRITE' })
      writer.write(input)
    },
    close() {
      try {
        writer?.finish()
      } finally {
        release()
      }
    },
  }
}
