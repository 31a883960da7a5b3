import { defineSink, type NodeContext } from '@graphflow/core'
import { resolveSinkOptions } from './check-options.js'
import { CsvError } from './csv-error.js'
import type { CsvSavePoint } from './csv-save-point.js'
import type { CsvSinkOptions, CsvSinkSpec } from './csv-sink-options.js'
import { SinkRun } from './sink-run.js'

export { escapeFormula, startsLikeFormula } from './formula-escape.js'

/** Rows are stringified and handed to the file this many at a time (and the rest at `close()`). */
const BATCH_ROWS = 256

/**
 * A sink that writes records to a CSV file: one record or an array of records per call, one file
 * handle per run (opened in `open()`), the header written once, backpressure from the file,
 * everything flushed and closed in `close()`, also when the run halted or was aborted.
 *
 * In a run with `checkpoints` (see "Resumable loads" in the README) each batch is flushed and
 * fsynced before its records count as stored, the file's size and identity are saved with the
 * sink's position, and a resumed run truncates the file to that size before it appends.
 *
 * @example
 * ```ts
 * const sink = csvSink({ path: 'out/breweries.csv', columns: ['id', 'name', 'city'], mkdir: true })
 * graph.addEdge(graph.addNode(pages), graph.addNode(sink))
 * await new AsyncExecutor(graph).execute()
 * console.log(`${sink.stats.records} records written`)
 * ```
 */
export function csvSink<Row extends object = Record<string, unknown>>(
  options: CsvSinkOptions<Row>,
): CsvSinkSpec<Row> {
  const settings = resolveSinkOptions(options)
  let run: SinkRun | undefined
  let context: NodeContext | undefined
  /** The save point of the last run's last commit (asked for once the run closed, too). */
  let point: CsvSavePoint | undefined

  const openRun = (): SinkRun => {
    if (run) return run
    throw new CsvError(
      `cannot write ${settings.path}: the sink is not open (open() failed or was not called)`,
      { code: 'CSV_WRITE', path: settings.path },
    )
  }

  /** A run with checkpoints: each batch is written, flushed and fsynced, then committed. */
  async function commitBatch(current: SinkRun, rows: string[][]): Promise<void> {
    const done = context?.beginCommit()
    try {
      await current.write(rows)
      await current.commit()
    } catch (error) {
      done?.(error)
      throw error
    }
    point = current.savePoint()
    done?.()
  }

  return defineSink({
    name: settings.name,
    stats: () => ({ records: 0 }),
    batchSize: BATCH_ROWS,
    async open(opened) {
      run = point = undefined
      context = opened
      run = await SinkRun.open(settings, opened, opened.stats)
      point = run.savePoint()
    },
    prepare: (record: Row, number, callSize): string[] => openRun().toRow(record, number, callSize),
    writeBatch(rows: string[][]) {
      const current = openRun()
      if (!current.durable) return current.write(rows)
      return commitBatch(current, rows)
    },
    async close({ writeFailed }) {
      const current = run
      run = context = undefined
      await current?.close(writeFailed)
    },
    // In a run with checkpoints: the file's size and identity at the last durable batch.
    savePoint: () => point ?? null,
  })
}
