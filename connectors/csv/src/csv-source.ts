import type { ReadStream } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { resolve } from 'node:path'
import {
  type Checkpoint,
  checkpoint,
  defineSource,
  describeValue,
  messageOf,
} from '@graphflow/core'
import { type Info, type Options as ParseOptions, type Parser, parse } from 'csv-parse'
import { parse as parseText } from 'csv-parse/sync'
import { resolveSourceOptions } from './check-options.js'
import { CsvError } from './csv-error.js'
import {
  ByteTap,
  type CsvPosition,
  checkPosition,
  checkSavedPrefix,
  type PlacedRecord,
  PlacingParser,
  refuseResume,
  shorter,
} from './csv-position.js'
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
 * `CSV_PARSE` error naming the file and line; the records before it are yielded. In a run with
 * `checkpoints`, reading its `path` option, it yields a position after each batch (each record
 * without `batchSize`): the run resumes at the next record (see "Resumable and incremental
 * loads" in the README).
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
  /** A run with `checkpoints`: the call reading the `path` option yields positions. */
  let positions = false
  /** Where the next call reading the `path` option starts: a saved position, once. */
  let resumeAt: CsvPosition | undefined

  async function* csvSource(
    path?: string,
  ): AsyncGenerator<CsvSourceRow<Options> | Checkpoint<CsvPosition>, void, undefined> {
    const file = resolveCallPath(path ?? settings.path)
    // Positions only in a run with checkpoints (they cost an offset per record and a hash), and
    // only when reading the `path` option: a start call, whose units a resumed run numbers on
    // (the calls of a source fed paths would mix the files' offsets).
    const positioned = positions && path === undefined
    const resume = positioned ? resumeAt : undefined
    positions = false
    resumeAt = undefined
    const options = settings.run.options
    const run: ParseRun = {
      ...settings.run,
      path: file,
      options: options.columns === true ? { ...options, columns: distinctHeader(file) } : options,
    }
    const handle = await openForReading(file)
    let parseOptions = run.options
    let header = 0
    if (positioned) {
      parseOptions = positionedOptions(run, () => {
        header = parser.info.bytes
      })
    }
    if (resume !== undefined) {
      // The parser reads the header, then the records after the offset (see ByteTap).
      header = resume.header
      let done = false
      try {
        const { size } = await handle.stat()
        if (size < resume.offset) throw refuseResume(file, resume.offset, shorter(size))
        run.lineShift = resume.line - joinLine(await readBytes(handle, resume.header), run)
        if (!run.header) parseOptions.from_line = 1
        const toLine = run.options.to_line
        if (typeof toLine === 'number') {
          // Past the last line to read: nothing left.
          done = toLine < resume.line
          parseOptions.to_line = toLine - run.lineShift
        }
      } catch (error) {
        done = true
        throw await toSourceError(error, run)
      } finally {
        if (done) await handle.close()
      }
      if (done) return
    }
    const input = handle.createReadStream({ highWaterMark: 1 << 16 })
    const tap = positioned ? new ByteTap(file, resume) : undefined
    const parser: Parser = positioned ? new PlacingParser(parseOptions) : parse(parseOptions)
    input.on('error', (error) => parser.destroy(error))
    if (tap) {
      tap.on('error', (error) => parser.destroy(error))
      input.pipe(tap).pipe(parser)
    } else input.pipe(parser)
    reading.add(input)
    let skipHeader = settings.run.header && settings.run.options.columns === false
    const unitSize = settings.batchSize ?? 1
    let inUnit = 0
    // Where the last record read ends: the file's offset, csv-parse's line there.
    let offset = 0
    let line = 1
    const lineShift = run.lineShift ?? 0
    const position = (): CsvPosition => {
      const sha256 = (tap as ByteTap).digestAt(offset)
      return { offset, line: line + lineShift, header, sha256 }
    }
    try {
      for await (const parsed of parserRecords(parser)) {
        let record = parsed
        if (tap) {
          const placed = parsed as PlacedRecord
          record = placed.record
          if (skipHeader) header = placed.bytes
          offset = placed.bytes > header ? placed.bytes + tap.shift : placed.bytes
          line = placed.lines
          if (tap.retainsMuch) tap.hashTo(offset)
        }
        if (skipHeader) {
          skipHeader = false
          continue
        }
        stats.records++
        yield record as CsvSourceRow<Options>
        if (tap && ++inUnit === unitSize) {
          inUnit = 0
          yield checkpoint(position())
        }
      }
      if (tap && inUnit > 0) yield checkpoint(position())
    } catch (error) {
      throw await toSourceError(error, run)
    } finally {
      reading.delete(input)
      input.destroy()
      tap?.destroy()
      parser.destroy()
    }
  }

  const spec = defineSource<CsvSourceRow<Options>, [] | [path: string], { records: number }>({
    name: settings.name,
    batchSize: settings.batchSize,
    stats: () => ({ records: 0 }),
    async open(context) {
      stats = context.stats
      // `resumeFrom` is in the context of a start node in a run with checkpoints only.
      positions = 'resumeFrom' in context
      resumeAt = undefined
      // Every sink's saved position, also when one sink stored nothing (resumeFrom undefined).
      const saved = context.savedPositions ?? []
      if (context.resumeFrom === undefined && saved.length === 0) return
      if (settings.path === undefined) {
        throw new CsvError(
          `cannot resume node '${context.name}': the run's state holds a position for it, but it ` +
            'reads the path given as its argument, not a "path" option, so it yields no positions; ' +
            'give the file as "path", or another "checkpoints.key" to start over',
          { code: 'CSV_RESUME', path: '' },
        )
      }
      const path = resolve(settings.path)
      // The read checks the position it resumes from; the others (sinks ahead) are checked here.
      const from = JSON.stringify(context.resumeFrom)
      for (const position of saved) {
        if (JSON.stringify(position) !== from) {
          await checkSavedPrefix(checkPosition(position, path), path)
        }
      }
      if (context.resumeFrom !== undefined) resumeAt = checkPosition(context.resumeFrom, path)
    },
    read: csvSource as (
      ...input: [] | [path: string]
    ) => AsyncGenerator<CsvSourceRow<Options> | Checkpoint<CsvPosition>>,
    close() {
      for (const input of reading) input.destroy()
      reading.clear()
    },
  })
  // `batchSize` makes the items arrays: CsvSourceItem<Options> says which, from the options' type.
  return spec as CsvSourceSpec<CsvSourceItem<Options>>
}

/**
 * csv-parse's options for a positioned read: `onHeader` is called when the header is read
 * (then `parser.info.bytes` is its end).
 */
function positionedOptions(run: ParseRun, onHeader: () => void): ParseOptions {
  const options: ParseOptions = { ...run.options }
  const columns = run.options.columns
  if (typeof columns === 'function') {
    options.columns = (header) => {
      onHeader()
      return columns(header)
    }
  }
  return options
}

/**
 * The line csv-parse is on after reading the header (`prefix`, the file up to the header's
 * end): its own count, where a line break in a quoted field may count twice, as in its errors
 * and `toLine`.
 */
function joinLine(prefix: Buffer, run: ParseRun): number {
  if (prefix.length === 0) return 1
  const { to_line: _toLine, to: _to, ...options } = run.options
  try {
    const records = parseText(prefix, { ...options, columns: false, cast: false, info: true })
    return (records.at(-1) as { info: Info } | undefined)?.info.lines ?? 1
  } catch {
    // The header parsed when the position was saved: the file changed, and the check of its
    // hash at the offset refuses it.
    return 1
  }
}

/** The first `length` bytes of a file. */
async function readBytes(handle: FileHandle, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length)
  let read = 0
  while (read < length) {
    const { bytesRead } = await handle.read(buffer, read, length - read, read)
    if (bytesRead === 0) break
    read += bytesRead
  }
  return buffer.subarray(0, read)
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
