import type { SinkSpec } from '@graphflow/core'

/** Where a value being cast comes from. */
export interface CsvCastContext {
  /** The column. */
  column: string
  /** The record's number in the run, 1 for the first record the sink received. */
  record: number
}

/**
 * How `csvSink` turns non-string values into fields. Strings are written as they are, numbers
 * and bigints in decimal, `null` and `undefined` as an empty field.
 */
export interface CsvCastOptions {
  /** @default `value.toISOString()` (an invalid date is an error) */
  date?: (value: Date, context: CsvCastContext) => string
  /** @default `'true'` / `'false'` */
  boolean?: (value: boolean, context: CsvCastContext) => string
  /** Plain objects and arrays. @default `JSON.stringify(value)` */
  object?: (value: object, context: CsvCastContext) => string
}

/** Options of `csvSink`. `Row` is the record type, which types `columns`. */
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
   * Refused in a run with `checkpoints` (`CSV_RESUME`): a resumed run truncates the file instead.
   * @default false
   */
  atomic?: boolean
  /** With `atomic`, keep an uncommitted temp file as `<path>.partial` instead of removing it. @default false */
  keepPartial?: boolean
}

/** The counters a sink exposes; reset when a run opens it. */
export interface CsvSinkStats {
  /** Records handed to the file so far in this run (buffered up to a few hundred at a time). */
  readonly records: number
}

/** What {@link csvSink} returns: a sink of records (one or an array per call) with live counters. */
export type CsvSinkSpec<Row extends object = Record<string, unknown>> = SinkSpec<Row, CsvSinkStats>
