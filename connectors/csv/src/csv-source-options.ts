import type { SourceSpec } from '@graphflow/core'
import type { CastingContext } from 'csv-parse'

/** A function that turns a field into a value; see csv-parse's `cast`. */
export type CsvSourceCast = (value: string, context: CastingContext) => unknown

/** Options of `csvSource`. */
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

/** What a `csvSource` with these options yields: a record, or an array with `batchSize`. */
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

/** What `csvSource` returns: called with no argument or with a path, with live counters. */
export type CsvSourceSpec<Item> = SourceSpec<Item, CsvSourceStats, [] | [path: string]>
