import { GraphflowError } from '@graphflow/core'

/**
 * The stable codes of a {@link CsvError}:
 * - `CSV_OPEN`: the file cannot be opened (missing directory, a directory, no permission, a
 *   read-only file, not a regular file with `atomic`).
 * - `CSV_READ`: the file was opened but reading it failed.
 * - `CSV_WRITE`: writing, flushing, closing or renaming the file failed.
 * - `CSV_PARSE`: malformed CSV (unclosed quote, inconsistent column count, ...).
 * - `CSV_UNKNOWN_COLUMN`: a record has a key that is not one of the columns.
 * - `CSV_HEADER_MISMATCH`: appending to a file whose header is not the sink's columns, or whose
 *   records end with another line break than the `recordDelimiter` given.
 * - `CSV_DUPLICATE_COLUMN`: a header names a column twice (read), or two columns would be
 *   written with the same header name (`escapeFormulas`).
 * - `CSV_INCOMPLETE_RECORD`: appending to a file whose last record was cut off (no final
 *   line break, or an open quoted field).
 * - `CSV_INVALID_RECORD`: a record is not an object, or one of its values cannot be cast.
 * - `CSV_RESUME`: a resumed load refuses the file: a resumed `csvSource` finds it shorter than
 *   the saved offset, its bytes before the offset changed (replaced, rewritten), or a malformed
 *   saved position; a resumed `csvSink` finds it shorter than its saved size, replaced, or
 *   missing (see "Resumable loads" in the README); or `atomic` in a run with checkpoints.
 */
export type CsvErrorCode =
  | 'CSV_OPEN'
  | 'CSV_READ'
  | 'CSV_WRITE'
  | 'CSV_PARSE'
  | 'CSV_UNKNOWN_COLUMN'
  | 'CSV_HEADER_MISMATCH'
  | 'CSV_DUPLICATE_COLUMN'
  | 'CSV_INCOMPLETE_RECORD'
  | 'CSV_INVALID_RECORD'
  | 'CSV_RESUME'

/** Where a {@link CsvError} happened. */
export interface CsvErrorDetails {
  /** The error code. */
  code: CsvErrorCode
  /** The CSV file the error is about (the target path, also when writing to a temp file). */
  path: string
  /** The line of the file, for parse errors (1 for the first line). */
  line?: number | undefined
  /** The record's number in the run, 1 for the first record the node received or read. */
  record?: number | undefined
  /** The column, for unknown or duplicate columns and failed casts. */
  column?: string | undefined
  /**
   * The byte offset in the file, for an incomplete last record or the saved position a
   * resumed source refuses (0 for the first byte).
   */
  offset?: number | undefined
  /** A resumed load: the size saved with the sink's position, in bytes. */
  savedSize?: number | undefined
  /** A resumed load: the size the file has, in bytes. */
  size?: number | undefined
  /** The underlying error. */
  cause?: unknown
}

/**
 * What `csvSink` and `csvSource` throw. The message names the file and, when known, the line,
 * record and column: `[graphflow] [csv] cannot parse /data/in.csv at line 7: ...`.
 *
 * @example
 * ```ts
 * if (error instanceof CsvError && error.code === 'CSV_PARSE') console.log(error.path, error.line)
 * ```
 */
export class CsvError extends GraphflowError<CsvErrorCode> {
  override name = 'CsvError'
  /** The CSV file the error is about. */
  declare readonly path: string
  /** The line of the file, for parse errors. */
  declare readonly line: number | undefined
  /** The record's number in the run (1 for the first). */
  declare readonly record: number | undefined
  /** The column, for unknown or duplicate columns and failed casts. */
  declare readonly column: string | undefined
  /** The byte offset in the file where an incomplete last record starts. */
  declare readonly offset: number | undefined

  constructor(message: string, details: CsvErrorDetails) {
    super(message, {
      line: undefined,
      record: undefined,
      column: undefined,
      offset: undefined,
      ...details,
      scope: 'csv',
    })
  }
}
