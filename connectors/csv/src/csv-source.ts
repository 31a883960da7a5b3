import type { ReadStream } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { NodeSpec } from '@graphflow/core'
import { type CastingContext, type Options as ParseOptions, parse } from 'csv-parse'
import {
  checkBoolean,
  checkColumns,
  checkInteger,
  checkObject,
  checkString,
  describe,
} from './check-options.js'
import { CsvError, describeCause } from './csv-error.js'
import { type ParseRun, toSourceError } from './parse-error.js'
import { parserRecords } from './parser-records.js'

/** A function that turns a field into a value; see csv-parse's `cast`. */
export type CsvSourceCast = (value: string, context: CastingContext) => unknown

/** Options of {@link csvSource}. */
export interface CsvSourceOptions {
  /** The CSV file to read, unless the node is called with a path (from `startNodes` or an edge). @default none */
  path?: string
  /** The node's default name (`addNode(spec, { name })` overrides it). @default 'csvSource' */
  name?: string
  /**
   * `true`: records are objects keyed by the header (a header naming a column twice is a
   * `CSV_DUPLICATE_COLUMN` error); an array: objects keyed by these names; `false`: records are
   * arrays of fields.
   * @default true
   */
  columns?: boolean | readonly string[]
  /**
   * The first line (at `fromLine`) is a header. It is never yielded; with `columns: true` it
   * names the keys, which needs `header: true`.
   * @default true
   */
  header?: boolean
  /** The field delimiter. @default ',' */
  delimiter?: string
  /**
   * `true` turns numeric fields into numbers; a function turns each field into anything (it is
   * called for header fields too, with `context.header` true).
   * @default false: fields are strings
   */
  cast?: boolean | CsvSourceCast
  /** The first line to read (1-based); the header, if any, is this line. @default 1 */
  fromLine?: number
  /** The last line to read (1-based, inclusive). @default the last line of the file */
  toLine?: number
  /** Strip a UTF-8 byte order mark at the start of the file. @default true */
  bom?: boolean
  /** Yield arrays of up to this many records instead of records one by one. @default undefined: records */
  batchSize?: number
  /** Accept records with more or fewer fields than the header (else a `CSV_PARSE` error). @default false */
  relaxColumnCount?: boolean
  /** Skip empty lines instead of reading them as records of one empty field. @default true */
  skipEmptyLines?: boolean
  /** Trim spaces around fields. @default false */
  trim?: boolean
}

/** One field's type: `string`, or `unknown` once a `cast` is set. */
export type CsvSourceValue<Options> = Options extends { cast: true | CsvSourceCast }
  ? unknown
  : string
/** One record: an object keyed by the header, or an array with `columns: false`. */
export type CsvSourceRow<Options> = Options extends { columns: false }
  ? CsvSourceValue<Options>[]
  : Record<string, CsvSourceValue<Options>>

/** What a {@link csvSource} with these options yields: a record, or an array with `batchSize`. */
export type CsvSourceItem<Options extends CsvSourceOptions = CsvSourceOptions> = Options extends {
  batchSize: number
}
  ? CsvSourceRow<Options>[]
  : CsvSourceRow<Options>

/** The counters a source exposes; reset when a run opens it. */
export interface CsvSourceStats {
  /** Data records read so far in this run (the header not counted). */
  readonly records: number
}

/** The {@link NodeSpec} {@link csvSource} returns: called with no argument or with a path. */
export interface CsvSourceSpec<Item> extends NodeSpec<[] | [path: string], Item> {
  /** Counters of the current or last run. */
  readonly stats: CsvSourceStats
}

const FACTORY = 'csvSource'

/**
 * A source that streams the records of a CSV file with csv-parse: objects keyed by the header,
 * arrays of fields with `columns: false`, or batches with `batchSize`. Malformed input throws a
 * `CSV_PARSE` error naming the file and line; the records before it are yielded.
 *
 * @example
 * ```ts
 * const source = graph.addNode(csvSource({ path: 'in/breweries.csv', batchSize: 500 }))
 * const sink = graph.addNode(async function* save(batch: Record<string, string>[]) { ... })
 * graph.addEdge(source, sink)
 * ```
 */
export function csvSource<const Options extends CsvSourceOptions = CsvSourceOptions>(
  options: Options = {} as Options,
): CsvSourceSpec<CsvSourceItem<Options>> {
  const settings = resolveOptions(options)
  const stats = { records: 0 }
  const reading = new Set<ReadStream>()
  type Item = CsvSourceItem<Options>

  return {
    name: settings.name,
    stats,
    fn: async function* csvSource(path?: string): AsyncGenerator<Item, void, undefined> {
      const file = resolveCallPath(path ?? settings.path)
      const options = settings.run.options
      const run: ParseRun = {
        ...settings.run,
        path: file,
        options: options.columns === true ? { ...options, columns: distinctHeader(file) } : options,
      }
      const input = (await openForReading(file)).createReadStream({ highWaterMark: 1 << 16 })
      const parser = parse(run.options)
      input.on('error', (error) => parser.destroy(error))
      input.pipe(parser)
      reading.add(input)
      let skipHeader = settings.run.header && settings.run.options.columns === false
      const batchSize = settings.batchSize
      let batch: unknown[] = []
      try {
        for await (const record of parserRecords(parser)) {
          if (skipHeader) {
            skipHeader = false
            continue
          }
          stats.records++
          if (batchSize === undefined) yield record as Item
          else if (batch.push(record) >= batchSize) {
            yield batch as Item
            batch = []
          }
        }
      } catch (error) {
        if (batch.length > 0) yield batch as Item
        batch = []
        throw await toSourceError(error, run)
      } finally {
        reading.delete(input)
        input.destroy()
        parser.destroy()
      }
      if (batch.length > 0) yield batch as Item
    },
    open() {
      stats.records = 0
    },
    close() {
      for (const input of reading) input.destroy()
      reading.clear()
    },
  }
}

function resolveCallPath(path: unknown): string {
  if (typeof path !== 'string' || path === '') {
    throw new TypeError(
      `${FACTORY}: expected a path, from the "path" option or as the node's argument, got ${describe(path)}`,
    )
  }
  return resolve(path)
}

/**
 * csv-parse's `columns` for `columns: true`: the header as it is, refused when it names a column
 * twice (csv-parse would keep the last of the two fields and drop the other silently).
 */
function distinctHeader(path: string): (header: string[]) => string[] {
  return (header) => {
    const seen = new Map<string, number>()
    for (const [index, name] of header.entries()) {
      const first = seen.get(name)
      if (first === undefined) {
        seen.set(name, index)
        continue
      }
      throw new CsvError(
        `cannot read ${path}: its header names column '${String(name)}' twice (fields ` +
          `${first + 1} and ${index + 1}), so one of them would be lost; pass "columns" to name ` +
          'them, or read arrays with columns: false',
        { code: 'CSV_DUPLICATE_COLUMN', path, column: String(name) },
      )
    }
    return header
  }
}

async function openForReading(path: string): Promise<FileHandle> {
  let handle: FileHandle | undefined
  try {
    handle = await open(path, 'r')
    if ((await handle.stat()).isDirectory()) throw new Error('EISDIR: it is a directory')
    return handle
  } catch (error) {
    await handle?.close().catch(() => undefined)
    throw new CsvError(`cannot open ${path} for reading: ${describeCause(error)}`, {
      code: 'CSV_OPEN',
      path,
      cause: error,
    })
  }
}

interface SourceSettings {
  name: string
  path: string | undefined
  batchSize: number | undefined
  run: Omit<ParseRun, 'path'>
}

function resolveOptions(options: CsvSourceOptions): SourceSettings {
  checkObject(FACTORY, options)
  checkString(FACTORY, 'path', options.path)
  checkString(FACTORY, 'name', options.name)
  checkString(FACTORY, 'delimiter', options.delimiter)
  for (const key of ['header', 'bom', 'relaxColumnCount', 'skipEmptyLines', 'trim'] as const) {
    checkBoolean(FACTORY, key, options[key])
  }
  if (typeof options.columns !== 'boolean') checkColumns(FACTORY, 'columns', options.columns)
  const cast = options.cast
  if (cast !== undefined && typeof cast !== 'boolean' && typeof cast !== 'function') {
    throw new TypeError(
      `${FACTORY} option "cast": expected a boolean or a function, got ${describe(cast)}`,
    )
  }
  checkInteger(FACTORY, 'fromLine', options.fromLine, 1)
  checkInteger(FACTORY, 'toLine', options.toLine, options.fromLine ?? 1)
  checkInteger(FACTORY, 'batchSize', options.batchSize, 1)
  const header = options.header ?? true
  const columns = options.columns ?? true
  if (columns === true && !header) {
    throw new TypeError(
      `${FACTORY} option "header": columns: true takes the keys from the header, so it needs header: true; got false (pass "columns" names or columns: false)`,
    )
  }
  const names = typeof columns === 'boolean' ? undefined : [...columns]
  const fromLine = options.fromLine ?? 1
  const parseOptions: ParseOptions = {
    columns: names === undefined ? (columns as boolean) : header ? () => names : names,
    delimiter: options.delimiter ?? ',',
    bom: options.bom ?? true,
    cast: cast ?? false,
    from_line: fromLine,
    relax_column_count: options.relaxColumnCount ?? false,
    skip_empty_lines: options.skipEmptyLines ?? true,
    trim: options.trim ?? false,
  }
  if (options.toLine !== undefined) parseOptions.to_line = options.toLine
  return {
    name: options.name ?? 'csvSource',
    path: options.path,
    batchSize: options.batchSize,
    run: { options: parseOptions, fromLine, header },
  }
}
