import { toError } from '@graphflow/core'
import type { Statement } from 'better-sqlite3'
import { describeValue } from './check-options.js'
import type { SqliteDatabase } from './open-database.js'
import { type SqliteValue, toSqlValue, writeSql } from './schema.js'
import type { SinkSettings } from './sink-options.js'
import {
  callRefused,
  inCall,
  isRowError,
  plainMessage,
  type RejectedRow,
  SqliteError,
  SqliteRowError,
} from './sqlite-error.js'
import { TableColumns } from './table-columns.js'

type Row = Record<string, unknown>

const hasOwn = Object.hasOwn

/** Progress of a {@link sqliteSink} during and after a run. */
export interface SqliteSinkStats {
  /** Records stored: rows committed to the table (the count every graphflow sink keeps). */
  readonly records: number
  /** Records the sink accepted in this run; by the end of the run each is stored or refused. */
  readonly rowsAccepted: number
  /** Rows SQLite refused (reported in a `SqliteRowError`) or lost with a failed batch. */
  readonly rowsRejected: number
  /** Transactions committed. */
  readonly batchesCommitted: number
  /**
   * The former name of `records` (the same number, read through a getter).
   * @deprecated Use `records`.
   */
  readonly rowsWritten: number
}

/** The mutable counters behind {@link SqliteSinkStats} (`rowsWritten` is a getter of `records`). */
export type SinkCounters = {
  -readonly [Key in Exclude<keyof SqliteSinkStats, 'rowsWritten'>]: number
}

/**
 * Fresh counters and the stats view of them: one object, with `rowsWritten` as an enumerable
 * getter of `records` (so a spread copy or `JSON.stringify` of the stats still has the old key).
 */
export function sinkCounters(): { counters: SinkCounters; stats: SqliteSinkStats } {
  const counters: SinkCounters = {
    records: 0,
    rowsAccepted: 0,
    rowsRejected: 0,
    batchesCommitted: 0,
  }
  const stats = Object.defineProperty(counters, 'rowsWritten', {
    get: () => counters.records,
    enumerable: true,
  }) as SinkCounters & { readonly rowsWritten: number }
  return { counters, stats }
}

/**
 * Writes records to one table of an open database for one run: creates or extends the table,
 * buffers records and writes each full batch in one synchronous transaction.
 */
export class TableWriter {
  readonly #database: SqliteDatabase
  readonly #settings: SinkSettings
  readonly #stats: SinkCounters
  readonly #columns: TableColumns
  /** The prepared statement and the version of the columns it was prepared for. */
  #statement: Statement<unknown[]> | undefined
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
  #buffer: object[] = []
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

  constructor(database: SqliteDatabase, settings: SinkSettings, stats: SinkCounters) {
    this.#database = database
    this.#settings = settings
    this.#stats = stats
    this.#transaction = database.transaction(() => this.#writeBatch())
    this.#columns = new TableColumns(database, settings, () => this.#flush())
  }

  /**
   * Accepts a record or an array of records; writes every full batch. A call refused as a
   * whole (a record that is not an object, a field refused by `onUnknownColumn`, ...) changes
   * no column and no table.
   */
  write(input: unknown): void {
    const records = Array.isArray(input) ? input : [input]
    const columns = this.#columns
    const written = columns.written
    let index = 0
    try {
      for (; index < records.length; index++) {
        const record = records[index] as Row
        if (typeof record !== 'object' || record === null || Array.isArray(record)) {
          throw new SqliteError(`expected a record (an object), got ${describeValue(record)}`, {
            code: 'SQLITE_WRITE',
          })
        }
        for (const key in record) {
          if (!written.has(key) && hasOwn(record, key)) columns.checkField(key, record[key])
        }
      }
      index = -1
      if (!columns.created) columns.checkPrimaryKey()
      columns.apply()
    } catch (error) {
      columns.discard()
      if (!Array.isArray(input)) throw error
      throw index === -1 ? callRefused(error, records.length) : inCall(error, index, records.length)
    }
    const { batchSize } = this.#settings
    for (const record of records) {
      this.#buffer.push(record)
      this.#stats.rowsAccepted++
      if (this.#buffer.length >= batchSize) this.#flush()
    }
    this.#throwPending()
  }

  /** Writes what is buffered (creating a declared table even for an empty run). */
  finish(): void {
    const columns = this.#columns
    if (!columns.created && this.#buffer.length === 0 && this.#settings.columns) columns.create([])
    this.#flush()
    this.#throwPending()
  }

  /**
   * Writes the buffer in one transaction. Never throws: refused rows and failed batches are
   * kept and thrown by {@link #throwPending} once the current call is done.
   */
  #flush(): void {
    const count = this.#buffer.length
    if (count === 0) return
    const first = this.#batchStart
    this.#batchNumber++
    const rejectedBefore = this.#rejected.length
    let begun = false
    try {
      const columns = this.#columns
      if (!columns.created) columns.create(this.#buffer)
      if (this.#statement === undefined || this.#statementVersion !== columns.version) {
        const { table, mode, primaryKey } = this.#settings
        this.#statement = this.#database.prepare(writeSql(table, columns.names, mode, primaryKey))
        this.#statementVersion = columns.version
        this.#values.length = columns.names.length
        this.#numbersAsIs = columns.numbersAsIs()
        this.#ownCheck.plain = columns.names.map((name) => name in Object.prototype)
        this.#ownCheck.other = columns.names.map(() => true)
        const lower = columns.names.map((name) => name.toLowerCase())
        this.#keyIndexes =
          mode === 'upsert' ? primaryKey.map((key) => lower.indexOf(key.toLowerCase())) : []
      }
      this.#batch = this.#buffer
      this.#buffer = []
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
      this.#buffer = []
      this.#stats.rowsRejected += count
      this.#failures.push(
        new SqliteError(
          `cannot write batch ${this.#batchNumber} to table "${this.#settings.table}": ` +
            `${plainMessage(error)}; ${
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

  /** The body of a batch transaction: one prepared statement run per row, positional values. */
  #writeBatch(): number {
    const batch = this.#batch
    const columns = this.#columns.names
    const values = this.#values
    const numbersAsIs = this.#numbersAsIs
    const ownCheck = this.#ownCheck
    const statement = this.#statement as Statement<unknown[]>
    const width = columns.length
    let written = 0
    for (let index = 0; index < batch.length; index++) {
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
        const missingKey = this.#missingKey()
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
  #missingKey(): string | undefined {
    const keys = this.#keyIndexes
    for (let index = 0; index < keys.length; index++) {
      const at = keys[index] as number
      if (at === -1 || this.#values[at] === null) return this.#settings.primaryKey[index]
    }
    return undefined
  }

  /** Throws what the flushes of the current call kept: refused rows, failed batches. */
  #throwPending(): void {
    if (this.#rejected.length === 0 && this.#failures.length === 0) return
    const errors = this.#failures
    if (this.#rejected.length > 0) {
      errors.push(
        new SqliteRowError(this.#settings.table, this.#rejected, {
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
        errors.map(plainMessage).join(' | '),
      { code: 'SQLITE_WRITE', cause: new AggregateError(errors) },
    )
  }
}
