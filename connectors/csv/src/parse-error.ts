import { createReadStream } from 'node:fs'
import { messageOf } from '@graphflow/core'
import { type Options as ParseOptions, parse } from 'csv-parse'
import { CsvError } from './csv-error.js'

interface ParserError extends Error {
  code: string
  lines?: number
  records?: number
}

function isParserError(error: unknown): error is ParserError {
  return (
    error instanceof Error &&
    typeof (error as ParserError).code === 'string' &&
    typeof (error as ParserError).lines === 'number'
  )
}

/** What was parsed: the file, the csv-parse options, the first line, whether it has a header. */
export interface ParseRun {
  path: string
  options: ParseOptions
  fromLine: number
  /** The first record is a header: csv-parse consumes it (`columns` set) or counts it (`false`). */
  header: boolean
  /**
   * A resumed read: what to add to csv-parse's line numbers (it reads the header, then the
   * records after the saved offset) to get the file's.
   * @default 0
   */
  lineShift?: number
}

/**
 * Turns what reading or parsing threw into a {@link CsvError} naming the file and line. For an
 * unclosed quote, csv-parse reports the last line; the file is read again up to the last good
 * record to name the line where the broken record starts.
 */
export async function toSourceError(error: unknown, run: ParseRun): Promise<Error> {
  if (error instanceof CsvError) return error
  if (!isParserError(error)) {
    return new CsvError(`cannot read ${run.path}: ${messageOf(error)}`, {
      code: 'CSV_READ',
      path: run.path,
      cause: error,
    })
  }
  const before = error.records ?? 0
  let line = (error.lines ?? 0) + (run.lineShift ?? 0)
  // A resumed read: csv-parse's own line numbers in its message are the shifted ones too.
  let problem = run.lineShift
    ? error.message.replaceAll(`line ${error.lines}`, `line ${line}`)
    : error.message
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
    line = await recordStartLine(run).catch(() => line)
    problem = `a quoted field of the record starting at this line is never closed (${error.message})`
  }
  const countsHeader = run.header && run.options.columns === false
  const record = Math.max(before - (countsHeader ? 1 : 0), 0) + 1
  return new CsvError(`cannot parse ${run.path} at line ${line} (record ${record}): ${problem}`, {
    code: 'CSV_PARSE',
    path: run.path,
    line,
    record,
    cause: error,
  })
}

/** Reads the file again until the unclosed quote: the line after the last good record. */
async function recordStartLine(run: ParseRun): Promise<number> {
  const input = createReadStream(run.path)
  const parser = parse({
    ...run.options,
    columns: false,
    cast: false,
    info: true,
    relax_column_count: true,
  })
  input.on('error', (error) => parser.destroy(error))
  input.pipe(parser)
  let lastLine = run.fromLine - 1
  parser.on('data', ({ info }: { info: { lines: number } }) => {
    lastLine = info.lines
  })
  await new Promise<void>((resolveEnd) => {
    parser.once('error', () => resolveEnd())
    parser.once('end', () => resolveEnd())
  })
  input.destroy()
  return lastLine + 1
}
