import type { ReadStream } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { resolve } from 'node:path'
import { defineSource, describeValue, messageOf } from '@graphflow/core'
import { parse } from 'csv-parse'
import { resolveSourceOptions } from './check-options.js'
import { CsvError } from './csv-error.js'
import type {
  CsvSourceItem,
  CsvSourceOptions,
  CsvSourceRow,
  CsvSourceSpec,
} from './csv-source-options.js'
import { type ParseRun, toSourceError } from './parse-error.js'
import { parserRecords } from './parser-records.js'

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
  const settings = resolveSourceOptions(options)
  const reading = new Set<ReadStream>()
  let stats = { records: 0 }

  async function* csvSource(path?: string): AsyncGenerator<CsvSourceRow<Options>, void, undefined> {
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
    try {
      for await (const record of parserRecords(parser)) {
        if (skipHeader) {
          skipHeader = false
          continue
        }
        stats.records++
        yield record as CsvSourceRow<Options>
      }
    } catch (error) {
      throw await toSourceError(error, run)
    } finally {
      reading.delete(input)
      input.destroy()
      parser.destroy()
    }
  }

  const spec = defineSource<CsvSourceRow<Options>, [] | [path: string], { records: number }>({
    name: settings.name,
    batchSize: settings.batchSize,
    stats: () => ({ records: 0 }),
    open(context) {
      stats = context.stats
    },
    read: csvSource as (...input: [] | [path: string]) => AsyncGenerator<CsvSourceRow<Options>>,
    close() {
      for (const input of reading) input.destroy()
      reading.clear()
    },
  })
  // `batchSize` makes the items arrays: CsvSourceItem<Options> says which, from the options' type.
  return spec as CsvSourceSpec<CsvSourceItem<Options>>
}

function resolveCallPath(path: unknown): string {
  if (typeof path !== 'string' || path === '') {
    throw new TypeError(
      `${FACTORY}: expected a path, from the "path" option or as the node's argument, got ${describeValue(path)}`,
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
    throw new CsvError(`cannot open ${path} for reading: ${messageOf(error)}`, {
      code: 'CSV_OPEN',
      path,
      cause: error,
    })
  }
}
