import type { NodeContext, NodeSpec } from '@graphflow/core'
import {
  checkBoolean,
  checkColumns,
  checkFunction,
  checkObject,
  checkOneOf,
  checkString,
  describe,
} from './check-options.js'
import { CsvError } from './csv-error.js'
import type { CsvCastOptions } from './record-rows.js'
import { type CsvSinkStats, SinkRun, type SinkSettings } from './sink-run.js'

/** Options of {@link csvSink}. `Row` is the record type, which types `columns`. */
export interface CsvSinkOptions<Row extends object = Record<string, unknown>> {
  /** The CSV file to write. Relative paths are resolved against the working directory. */
  path: string
  /** The node's default name (`addNode(spec, { name })` overrides it). @default 'csvSink' */
  name?: string
  /**
   * The columns, in order. A record key that is not a column is handled by `onUnknownColumn`;
   * a column a record lacks is written as an empty field.
   * @default the header of the file appended to, else the keys of the first record
   */
  columns?: readonly NoInfer<keyof Row & string>[]
  /** Write the column names as the first line (not when appending to a non-empty file). @default true */
  header?: boolean
  /**
   * Add to the end of an existing file instead of replacing it. A non-empty file gets no second
   * header; with `header: true` its header must have the same columns (else
   * `CSV_HEADER_MISMATCH`), and its order is the one written. The file is read once first: its
   * record delimiter is kept, and a cut-off last record (an open quoted field, or no final line
   * break) is refused with `CSV_INCOMPLETE_RECORD`, the file left unchanged.
   * @default false
   */
  append?: boolean
  /** The field delimiter. @default ',' */
  delimiter?: string
  /**
   * The record delimiter. When appending to a non-empty file, the file's own (the line break
   * after its first record) is used unless one is given; one given that differs from the
   * file's is a `CSV_HEADER_MISMATCH` error.
   * @default '\n', or the appended file's
   */
  recordDelimiter?: '\n' | '\r\n'
  /** Quote every non-empty field, not only those that need it. @default false */
  quoted?: boolean
  /** Start a new file with a UTF-8 byte order mark (for Excel). @default false */
  bom?: boolean
  /** How dates, booleans and objects become fields. @default ISO dates, 'true'/'false', JSON */
  cast?: CsvCastOptions
  /**
   * Prefix `'` to fields starting with `=`, `+`, `-`, `@`, tab, CR or NUL, so spreadsheets do
   * not run them as formulas (CSV injection). Header fields are escaped too (column names often
   * come from the data); when appending, the header field `'=a` is the one of column `=a`.
   * Numbers are never prefixed.
   * @default false
   */
  escapeFormulas?: boolean
  /**
   * What to do with a record key that is not a column: `'error'` rejects the call with a
   * `CSV_UNKNOWN_COLUMN` error naming the column, the file and the record; `'ignore'` drops the
   * key (logged once per column).
   * @default 'error'
   */
  onUnknownColumn?: 'error' | 'ignore'
  /** Create the file's missing parent directories in `open()`. @default false */
  mkdir?: boolean
  /**
   * All or nothing: write to a temp file in the same directory and rename it over `path` when the
   * node closes after a run that was neither halted nor aborted and had no write error.
   * Otherwise `path` is left as it was and the temp file is removed (see `keepPartial`).
   * With `append`, the existing file is copied to the temp file first. A symlink at `path` stays
   * a symlink: its target is replaced. A target a plain write would refuse (no permission, a
   * read-only file) or that is not a regular file is refused in `open()` with `CSV_OPEN`.
   * @default false
   */
  atomic?: boolean
  /** With `atomic`, keep an uncommitted temp file as `<path>.partial` instead of removing it. @default false */
  keepPartial?: boolean
}

/** The {@link NodeSpec} {@link csvSink} returns: a sink with live counters. */
export interface CsvSinkSpec<Row extends object = Record<string, unknown>>
  extends NodeSpec<[Row | readonly Row[]], never> {
  /** Counters of the current or last run, for progress display. */
  readonly stats: CsvSinkStats
}

const FACTORY = 'csvSink'

/**
 * A sink that writes records to a CSV file: one record or an array of records per call, one file
 * handle per run (opened in `open()`), the header written once, backpressure from the file,
 * everything flushed and closed in `close()`, also when the run halted or was aborted.
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
  const settings = resolveOptions(options)
  const stats = { records: 0 }
  let run: SinkRun | undefined

  return {
    name: settings.name,
    stats,
    fn: async function* csvSink(
      input: Row | readonly Row[],
    ): AsyncGenerator<never, void, undefined> {
      if (!run) {
        throw new CsvError(
          `cannot write ${settings.path}: the sink is not open (open() failed or was not called)`,
          {
            code: 'CSV_WRITE',
            path: settings.path,
          },
        )
      }
      const waiting = run.accept(input)
      if (waiting) await waiting
    },
    async open(context: NodeContext) {
      stats.records = 0
      run = undefined
      run = await SinkRun.open(settings, context, stats)
    },
    async close() {
      const current = run
      run = undefined
      await current?.close()
    },
  }
}

function resolveOptions<Row extends object>(options: CsvSinkOptions<Row>): SinkSettings {
  checkObject(FACTORY, options)
  checkString(FACTORY, 'path', options.path, false)
  checkString(FACTORY, 'name', options.name)
  checkColumns(FACTORY, 'columns', options.columns)
  for (const key of [
    'header',
    'append',
    'quoted',
    'bom',
    'escapeFormulas',
    'mkdir',
    'atomic',
    'keepPartial',
  ] as const) {
    checkBoolean(FACTORY, key, options[key])
  }
  checkString(FACTORY, 'delimiter', options.delimiter)
  checkOneOf(FACTORY, 'recordDelimiter', options.recordDelimiter, ['\n', '\r\n'])
  checkOneOf(FACTORY, 'onUnknownColumn', options.onUnknownColumn, ['error', 'ignore'])
  const delimiter = options.delimiter ?? ','
  if (/["\r\n]/.test(delimiter)) {
    throw new TypeError(
      `${FACTORY} option "delimiter": expected no quote or line break, got ${describe(delimiter)}`,
    )
  }
  if (options.keepPartial && !options.atomic) {
    throw new TypeError(
      `${FACTORY} option "keepPartial": only has a meaning with atomic: true, got atomic: ${options.atomic}`,
    )
  }
  const cast = options.cast ?? {}
  if (typeof cast !== 'object' || cast === null) {
    throw new TypeError(`${FACTORY} option "cast": expected an object, got ${describe(cast)}`)
  }
  for (const key of ['date', 'boolean', 'object'] as const)
    checkFunction(FACTORY, `cast.${key}`, cast[key])
  return {
    name: options.name ?? 'csvSink',
    path: options.path,
    columns: options.columns ? [...options.columns] : undefined,
    header: options.header ?? true,
    append: options.append ?? false,
    delimiter,
    recordDelimiter: options.recordDelimiter,
    quoted: options.quoted ?? false,
    bom: options.bom ?? false,
    cast: { ...cast },
    escapeFormulas: options.escapeFormulas ?? false,
    onUnknownColumn: options.onUnknownColumn ?? 'error',
    mkdir: options.mkdir ?? false,
    atomic: options.atomic ?? false,
    keepPartial: options.keepPartial ?? false,
  }
}
