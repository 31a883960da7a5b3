import { type CommitDone, defineSink, messageOf, type NodeContext } from '@graphflow/core'
import { fileDeprecation, resolveSinkOptions } from './check-options.js'
import { checkOpen, openDatabase, type SqliteDatabase } from './open-database.js'
import { RowidPoint } from './rowid-point.js'
import { isSqliteCheckpointStore } from './sqlite-checkpoint-store.js'
import { SqliteError } from './sqlite-error.js'
import type { SqliteSinkOptions, SqliteSinkSpec } from './sqlite-sink-options.js'
import { type SinkCounters, sinkCounters, TableWriter, withRowsWritten } from './table-writer.js'

export { IDENTIFIER_PATTERN } from './identifiers.js'

/**
 * A sink node that writes records to a SQLite table with better-sqlite3: one prepared
 * statement, one transaction per `batchSize` records, the rest committed before `close()` (also
 * when the run halts or is aborted): the buffering is core's `defineSink`. The table is created from `columns` or from the first
 * records; table and column names are validated and quoted.
 *
 * A row SQLite refuses (a NOT NULL or UNIQUE constraint in `insert` mode, ...) does not fail
 * its batch: the other rows are committed and the call that wrote the batch (or `close()`)
 * throws a {@link SqliteRowError} naming the table and each refused row, records included.
 *
 * In a run with `checkpoints` (see "Resumable loads" in the README) each batch ends where a
 * source's unit ends; with a {@link sqliteCheckpointStore} of the same database the state is
 * written inside each batch's transaction; in `insert` mode into a table without a primary key
 * the last row id is saved with the positions, and a resumed run deletes the rows past it.
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
  const warnFileOption = fileDeprecation('sqliteSink', target)
  let database: SqliteDatabase | undefined
  let writer: TableWriter | undefined
  let context: NodeContext | undefined
  /** The connection is a checkpoint store's: the state is written in each transaction. */
  let shared = false
  /** A run with checkpoints in `insert` mode without a primary key: the last row id committed. */
  let point: RowidPoint | undefined

  function release(): void {
    const opened = database
    database = writer = context = point = undefined
    if (opened && target.path !== undefined && !shared) opened.close()
    shared = false
  }

  function openWriter(): TableWriter {
    if (writer) return writer
    throw new SqliteError(`the sink for table "${table}" is not open`, { code: 'SQLITE_WRITE' })
  }

  return defineSink({
    name: settings.name,
    stats: sinkCounters,
    // Core buffers and hands over batches; the writer writes each in one transaction.
    batchSize: settings.batchSize,
    open(run) {
      withRowsWritten(run.stats) // the reset copied the getter as a value
      warnFileOption(run)
      context = run
      const store = run.checkpointStore
      shared = isSqliteCheckpointStore(store) && store.holds(target)
      database =
        shared && isSqliteCheckpointStore(store)
          ? store.connection()
          : target.database
            ? checkOpen(target.database)
            : openDatabase(target.path, 'write')
      try {
        writer = new TableWriter(database, settings, run.stats as unknown as SinkCounters)
        if (store !== undefined) point = RowidPoint.open(database, settings, run)
      } catch (error) {
        release()
        if (error instanceof SqliteError) throw error
        throw new SqliteError(`cannot prepare table "${table}": ${messageOf(error)}`, {
          code: 'SQLITE_OPEN',
          cause: error,
        })
      }
    },
    prepare: (record: Row, number, callSize): Row =>
      openWriter().prepare(record, number, callSize) as Row,
    writeBatch(rows: Row[]) {
      const writing = openWriter()
      // What the calls returned so far accepted is stored once this batch is committed.
      const done: CommitDone | undefined = context?.beginCommit?.()
      const before = point?.rowid
      try {
        writing.writeBatch(rows, (refused) => {
          // Inside the transaction: the last row id, and the state when the store is here.
          point?.update()
          if (shared && !refused) done?.save?.()
        })
      } catch (error) {
        if (point && before !== undefined) point.rowid = before
        done?.(error)
        throw error
      }
      done?.()
    },
    // What a resumed run gets back as context.savedPoint: the last row id committed.
    savePoint: () => (point ? { rowid: point.rowid } : {}),
    close() {
      try {
        writer?.finish()
      } finally {
        release()
      }
    },
  })
}
