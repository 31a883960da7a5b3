import { describeValue, messageOf, toError } from '@graphflow/core'
import type { Statement } from 'better-sqlite3'
import type { SinkSettings } from './check-options.js'
import type { SqliteDatabase } from './open-database.js'
import { type SqliteValue, toSqlValue, writeSql } from './schema.js'
import {
  callRefused,
  inCall,
  isRowError,
  type RejectedRow,
  refusedRows,
  SqliteError,
} from './sqlite-error.js'
import type { SqliteSinkStats } from './sqlite-sink-options.js'
import { TableColumns } from './table-columns.js'

type Row = Record<string, unknown>

const hasOwn = Object.hasOwn

/** The mutable counters behind {@link SqliteSinkStats} (`rowsWritten` is a getter of `records`). */
export type SinkCounters = {
  -readonly [Key in Exclude<keyof SqliteSinkStats, 'rowsWritten'>]: number
}

/**
 * Fresh counters for the stats of a run, with `rowsWritten` as an enumerable getter of
 * `records` (so a spread copy or `JSON.stringify` of the stats still has the old key).
 */
export function sinkCounters(): SqliteSinkStats {
  return withRowsWritten({ records: 0, rowsAccepted: 0, rowsRejected: 0, batchesCommitted: 0 })
}

/**
 * Makes `rowsWritten` of a stats object the getter of its `records` (again: resetting the
 * stats for a run copies it as a plain value).
 */
export function withRowsWritten(stats: object): SqliteSinkStats {
  return Object.defineProperty(stats, 'rowsWritten', {
    get(this: SinkCounters) {
      return this.records
    },
    enumerable: true,
    configurable: true,
  }) as SqliteSinkStats
}

/**
 * Writes records to one table of an open database for one run: creates or extends the table,
 * checks each call's records as a whole ({@link prepare}) and writes each batch core hands it
 * in one synchronous transaction ({@link writeBatch}).
 */
export class TableWriter {
  readonly #database: SqliteDatabase
  readonly #settings: SinkSettings
  readonly #stats: SinkCounters
  readonly #columns: TableColumns
  /** Prepared statements by the number of written columns they write (a prefix of the names). */
  readonly #statements = new Map<number, Statement<unknown[]>>()
  /** The version of the columns the per-column caches below were made for. */
  #statementVersion = -1
  readonly #values: SqliteValue[] = []
  /** Per written column: a finite number is bound as it is (the column's affinity makes it right). */
  #numbersAsIs: boolean[] = []
  /**
   * Per written column: whether a value read from a record must be checked to be its own
   * field (`Object.hasOwn` is slow per cell): for plain objects only the names on
   * `Object.prototype` (`constructor`, `toString`, ...), for other prototypes every name.
   */
  readonly #ownCheck = { plain: [] as boolean[], other: [] as boolean[], none: [] as boolean[] }
  /**
   * Where the written columns grew while rows were waiting in core's buffer: rows accepted
   * before `before` (an index in the run) are written with the first `width` columns only, as
   * if they had been written before the change.
   */
  #widths: { before: number; width: number }[] = []
  /** The call being checked: the number (from core) of its first record and its size. */
  #callFirst = 0
  #callSize = 0
  /** Records accepted in this run (calls that passed every check). */
  #accepted = 0
  #batch: object[] = []
  #batchNumber = 0
  #batchStart = 0
  #rejected: RejectedRow[] = []
  /** Rows committed in the batches that refused the rows in `#rejected`, and those batches. */
  #committedBeside = 0
  #rejectedBatches = 0
  /** Upsert only: where the key columns are in a row's values (-1: not written at all). */
  #keyIndexes: number[] = []
  #failures: Error[] = []
  readonly #transaction: () => number
  /** Called inside the batch's transaction after its rows (see {@link writeBatch}). */
  #beforeCommit: ((refused: boolean) => void) | undefined

  constructor(database: SqliteDatabase, settings: SinkSettings, stats: SinkCounters) {
    this.#database = database
    this.#settings = settings
    this.#stats = stats
    this.#transaction = database.transaction(() => {
      const rejected = this.#rejected.length
      const written = this.#writeRows()
      this.#beforeCommit?.(this.#rejected.length > rejected)
      return written
    })
    this.#columns = new TableColumns(database, settings, () => {
      // Rows accepted so far keep the columns they were accepted with.
      this.#widths.push({ before: this.#accepted, width: this.#columns.names.length })
    })
  }

  /**
   * Checks one record of a call at call time (core calls it for each record of the call, in
   * order). A call refused as a whole (a record that is not an object, a field refused by
   * `onUnknownColumn`, ...) changes no column and no table; its last record applies the
   * columns the call planned.
   */
  prepare(record: object, number: number, callSize: number): object {
    if (this.#callSize === 0) {
      this.#callFirst = number
      this.#callSize = callSize
    }
    const index = number - this.#callFirst
    const columns = this.#columns
    try {
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        throw new SqliteError(`expected a record (an object), got ${describeValue(record)}`, {
          code: 'SQLITE_WRITE',
        })
      }
      const written = columns.written
      for (const key in record) {
        if (!written.has(key) && hasOwn(record, key)) {
          columns.checkField(key, (record as Row)[key])
        }
      }
    } catch (error) {
      this.#refuse()
      throw callSize > 1 ? inCall(error, index, callSize) : error
    }
    if (index < callSize - 1) return record
    try {
      if (!columns.created) columns.checkPrimaryKey()
      columns.apply()
    } catch (error) {
      this.#refuse()
      throw callSize > 1 ? callRefused(error, callSize) : error
    }
    this.#callSize = 0
    this.#accepted += callSize
    this.#stats.rowsAccepted += callSize
    return record
  }

  /** Forgets the call being checked: nothing of it is accepted. */
  #refuse(): void {
    this.#columns.discard()
    this.#callSize = 0
  }

  /**
   * Writes a batch core buffered (`batchSize` records or more: a call's records are never
   * split) in one transaction; then throws its refused rows, or its failure. `beforeCommit`
   * runs inside the transaction after the rows (told whether a row was refused); what it
   * throws rolls the batch back.
   */
  writeBatch(records: object[], beforeCommit?: (refused: boolean) => void): void {
    this.#beforeCommit = beforeCommit
    try {
      this.#flush(records)
    } finally {
      this.#beforeCommit = undefined
    }
    this.#throwPending()
  }

  /** Creates a declared table even for an empty run; throws what is still pending. */
  finish(): void {
    const columns = this.#columns
    if (!columns.created && this.#settings.columns) columns.create([])
    this.#throwPending()
  }

  /**
   * Writes rows in one transaction. Never throws: refused rows and failed batches are kept and
   * thrown by {@link #throwPending} once the whole batch is written.
   */
  #flush(rows: object[]): void {
    const count = rows.length
    if (count === 0) return
    const first = this.#batchStart
    this.#batchNumber++
    const rejectedBefore = this.#rejected.length
    let begun = false
    try {
      const columns = this.#columns
      if (!columns.created) {
        columns.create(rows)
        this.#statements.clear()
      }
      if (this.#statementVersion !== columns.version) {
        const { mode, primaryKey } = this.#settings
        this.#statementVersion = columns.version
        this.#numbersAsIs = columns.numbersAsIs()
        this.#ownCheck.plain = columns.names.map((name) => name in Object.prototype)
        this.#ownCheck.other = columns.names.map(() => true)
        const lower = columns.names.map((name) => name.toLowerCase())
        this.#keyIndexes =
          mode === 'upsert' ? primaryKey.map((key) => lower.indexOf(key.toLowerCase())) : []
      }
      const end = first + count
      const widths = this.#widths
      while (widths.length > 0 && (widths[0] as { before: number }).before <= first) widths.shift()
      // Prepared before the transaction: a statement SQLite refuses fails the batch unbegun.
      for (const { before, width } of widths) if (before < end) this.#statement(width)
      this.#statement(columns.names.length)
      this.#batch = rows
      begun = true
      const written = this.#transaction()
      this.#stats.records += written
      this.#stats.rowsRejected += count - written
      this.#stats.batchesCommitted++
      if (this.#rejected.length > rejectedBefore) {
        this.#committedBeside += written
        this.#rejectedBatches++
      }
    } catch (error) {
      this.#rejected.length = rejectedBefore
      this.#stats.rowsRejected += count
      this.#failures.push(
        new SqliteError(
          `cannot write batch ${this.#batchNumber} to table "${this.#settings.table}": ` +
            `${messageOf(error)}; ${
              count === 1
                ? `its 1 row (row ${first} of the run) was`
                : `its ${count} rows (rows ${first}-${first + count - 1} of the run) were`
            } ${begun ? 'rolled back, not written' : 'not written'}`,
          { code: 'SQLITE_WRITE', cause: error },
        ),
      )
    } finally {
      this.#batch = []
      this.#batchStart = first + count
    }
  }

  /** The statement that writes the first `width` written columns (prepared once per width). */
  #statement(width: number): Statement<unknown[]> {
    let statement = this.#statements.get(width)
    if (statement === undefined) {
      const { table, mode, primaryKey } = this.#settings
      const names = this.#columns.names.slice(0, width)
      statement = this.#database.prepare(writeSql(table, names, mode, primaryKey))
      this.#statements.set(width, statement)
    }
    return statement
  }

  /**
   * The body of a batch transaction: one prepared statement run per row, positional values;
   * rows accepted before the written columns grew are written with the columns of then.
   */
  #writeRows(): number {
    const batch = this.#batch
    const columns = this.#columns.names
    const values = this.#values
    const numbersAsIs = this.#numbersAsIs
    const ownCheck = this.#ownCheck
    const widths = this.#widths
    let change = 0
    let segmentEnd = batch.length
    let width = columns.length
    const startSegment = (index: number): void => {
      const runIndex = this.#batchStart + index
      while (change < widths.length && (widths[change] as { before: number }).before <= runIndex) {
        change++
      }
      const next = widths[change]
      width = next === undefined ? columns.length : next.width
      segmentEnd =
        next === undefined ? batch.length : Math.min(batch.length, next.before - this.#batchStart)
      values.length = width
    }
    startSegment(0)
    let statement = this.#statement(width)
    let written = 0
    for (let index = 0; index < batch.length; index++) {
      if (index >= segmentEnd) {
        startSegment(index)
        statement = this.#statement(width)
      }
      const record = batch[index] as Row
      const prototype = Object.getPrototypeOf(record)
      const checkOwn =
        prototype === Object.prototype
          ? ownCheck.plain
          : prototype === null
            ? ownCheck.none
            : ownCheck.other
      let column = 0
      try {
        for (; column < width; column++) {
          const name = columns[column] as string
          let value = record[name]
          if (value !== undefined && checkOwn[column] && !hasOwn(record, name)) value = undefined
          values[column] =
            typeof value === 'string' ||
            (typeof value === 'number' && numbersAsIs[column] && Number.isFinite(value))
              ? value
              : toSqlValue(value)
        }
        const missingKey = this.#missingKey(width)
        if (missingKey !== undefined) {
          this.#rejected.push({
            batch: this.#batchNumber,
            batchIndex: index,
            runIndex: this.#batchStart + index,
            record,
            error: new Error(
              `an upsert needs the primary key "${missingKey}", and the record has none: it would be inserted again on every run`,
            ),
          })
          continue
        }
        statement.run(...values)
        written++
      } catch (error) {
        if (!isRowError(error) || !this.#database.inTransaction) throw error
        this.#rejected.push({
          batch: this.#batchNumber,
          batchIndex: index,
          runIndex: this.#batchStart + index,
          record,
          error:
            column < width
              ? new TypeError(`column "${columns[column]}": ${toError(error).message}`, {
                  cause: error,
                })
              : toError(error),
        })
      }
    }
    return written
  }

  /** The first key column a row to upsert has no value for. */
  #missingKey(width: number): string | undefined {
    const keys = this.#keyIndexes
    for (let index = 0; index < keys.length; index++) {
      const at = keys[index] as number
      if (at === -1 || at >= width || this.#values[at] === null)
        return this.#settings.primaryKey[index]
    }
    return undefined
  }

  /** Throws what the flushes of the current call kept: refused rows, failed batches. */
  #throwPending(): void {
    if (this.#rejected.length === 0 && this.#failures.length === 0) return
    const errors = this.#failures
    if (this.#rejected.length > 0) {
      errors.push(
        refusedRows(this.#settings.table, this.#rejected, {
          committed: this.#committedBeside,
          batches: this.#rejectedBatches,
        }),
      )
    }
    this.#failures = []
    this.#rejected = []
    this.#committedBeside = this.#rejectedBatches = 0
    if (errors.length === 1) throw errors[0]
    throw new SqliteError(
      `${errors.length} write errors on table "${this.#settings.table}": ` +
        errors.map(messageOf).join(' | '),
      { code: 'SQLITE_WRITE', cause: new AggregateError(errors) },
    )
  }
}
