import { GraphflowError } from '@graphflow/core'

/** The stable codes of the errors `@graphflow/sqlite` throws. */
export type SqliteErrorCode =
  | 'SQLITE_OPEN'
  | 'SQLITE_IDENTIFIER'
  | 'SQLITE_UNKNOWN_COLUMN'
  | 'SQLITE_WRITE'
  | 'SQLITE_QUERY'
  /** A keyset read (`key`): a saved position for another key, a NULL or repeated key value. */
  | 'SQLITE_KEY'
  | 'SQLITE_RESUME'

/** The scope shown in the message of every error of this package: `[graphflow] [sqlite] ...`. */
export const SQLITE_SCOPE = 'sqlite'

/** Where a {@link SqliteError} happened, and why. */
export interface SqliteErrorDetails {
  /** The error code. */
  code: SqliteErrorCode
  /** The underlying error (better-sqlite3's, or the error of the first refused row). */
  cause?: unknown
}

/**
 * What `sqliteSink` and `sqliteSource` throw. The message names the file, table, query or
 * row: `[graphflow] [sqlite] cannot open "/data/x.db" for writing: SQLITE_CANTOPEN: ...`;
 * `text` is the same without the prefix.
 *
 * @example
 * ```ts
 * if (error instanceof SqliteError && error.code === 'SQLITE_OPEN') console.log(error.text)
 * ```
 */
export class SqliteError extends GraphflowError<SqliteErrorCode> {
  override name = 'SqliteError'

  constructor(message: string, details: SqliteErrorDetails) {
    super(message, { ...details, scope: SQLITE_SCOPE })
  }
}

/** A row SQLite refused (a constraint, a value it cannot store), as kept by {@link SqliteRowError}. */
export interface RejectedRow {
  /** The 1-based number of the row's batch (transaction) within the run. */
  readonly batch: number
  /** The row's index within its batch, from 0. */
  readonly batchIndex: number
  /** The row's index within the run (the order the sink accepted records in), from 0. */
  readonly runIndex: number
  /** The record as it was given to the sink. */
  readonly record: object
  /** What SQLite (or the conversion of a value) threw. */
  readonly error: Error
}

/** What a {@link SqliteRowError} takes besides its message. */
export interface SqliteRowErrorDetails {
  /** The table written to. */
  table: string
  /** The refused rows, in order (at least one). */
  rows: readonly RejectedRow[]
  /** The underlying error. @default the error of the first refused row */
  cause?: unknown
}

/** What else happened in the batches of the rows a {@link SqliteRowError} reports. */
export interface RowErrorContext {
  /** Rows of those batches that were committed. */
  readonly committed: number
  /** How many batches (transactions) the refused rows were in. */
  readonly batches: number
}

/**
 * Rows SQLite refused (code `SQLITE_WRITE`). The other rows of their batches were committed
 * (the message says how many); the refused ones are in {@link SqliteRowError.rows}, records
 * included, so a caller can log or re-route them. `cause` is the error of the first refused row.
 *
 * @example
 * ```ts
 * for (const error of report.exceptions.sqliteSink ?? []) {
 *   if (error instanceof SqliteRowError) deadLetters.push(...error.rows.map((row) => row.record))
 * }
 * ```
 */
export class SqliteRowError extends SqliteError {
  override name = 'SqliteRowError'
  /** The table written to. */
  declare readonly table: string
  /** The refused rows, in order. */
  declare readonly rows: readonly RejectedRow[]

  constructor(message: string, details: SqliteRowErrorDetails) {
    super(message, { cause: details.rows[0]?.error, ...details, code: 'SQLITE_WRITE' })
  }
}

/**
 * The {@link SqliteRowError} of rows a table refused, its message naming the table and the
 * first three rows: `table "users" refused 2 rows (the 3 other rows of the batch were
 * committed): row 1 of batch 1 (row 1 of the run): UNIQUE constraint failed: users.id; ...`.
 */
export function refusedRows(
  table: string,
  rows: readonly RejectedRow[],
  context?: RowErrorContext,
): SqliteRowError {
  const shown = rows
    .slice(0, 3)
    .map(
      (row) =>
        `row ${row.batchIndex} of batch ${row.batch} (row ${row.runIndex} of the run): ${row.error.message}`,
    )
  const more = rows.length > 3 ? `; and ${rows.length - 3} more` : ''
  const count = rows.length === 1 ? '1 row' : `${rows.length} rows`
  return new SqliteRowError(
    `table "${table}" refused ${count}${besides(context)}: ${shown.join('; ')}${more}`,
    { table, rows },
  )
}

/** ` (3 other rows of the batch were committed)`, true to the numbers, or nothing without them. */
function besides(context: RowErrorContext | undefined): string {
  if (context === undefined) return ''
  const { committed, batches } = context
  const of = batches === 1 ? 'the batch' : `the ${batches} batches`
  if (committed === 0) return ` (no row of ${of} was committed)`
  if (committed === 1) return ` (the 1 other row of ${of} was committed)`
  return ` (the ${committed} other rows of ${of} were committed)`
}

/** True for a failure that concerns one row only: a constraint, a type mismatch, a value not storable. */
export function isRowError(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof RangeError) return true
  const code = (error as { code?: unknown }).code
  return (
    typeof code === 'string' &&
    (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG')
  )
}

/** Says which record of an array an error is about, and that none of the array was accepted. */
export function inCall(error: unknown, index: number, length: number): unknown {
  if (!(error instanceof SqliteError)) return error
  return new SqliteError(
    `record ${index} of the ${length} in this call: ${error.text}; none of them was accepted`,
    { code: error.code, cause: error.cause },
  )
}

/** Says that no record of an array was accepted, for an error about the call as a whole. */
export function callRefused(error: unknown, length: number): unknown {
  if (!(error instanceof SqliteError)) return error
  return new SqliteError(`${error.text}; none of the ${length} records in this call was accepted`, {
    code: error.code,
    cause: error.cause,
  })
}
