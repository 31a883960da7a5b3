import { describeValue, messageOf } from '@graphflow/core'
import { CsvError } from './csv-error.js'
import type { CsvCastContext, CsvCastOptions } from './csv-sink-options.js'
import { escapeFormula } from './formula-escape.js'

/** What {@link RowBuilder} needs besides the columns. */
export interface RowBuilderSettings {
  path: string
  onUnknownColumn: 'error' | 'ignore'
  escapeFormulas: boolean
  cast: CsvCastOptions
  /** Called once per column dropped by `onUnknownColumn: 'ignore'`. */
  onIgnoredColumn(column: string): void
}

type Fields = Record<string, unknown>
const hasOwn = Object.hasOwn

/** Turns records into rows of strings in column order, checking every key is a column. */
export class RowBuilder {
  readonly columns: readonly string[]
  readonly #known: ReadonlySet<string>
  readonly #settings: RowBuilderSettings
  readonly #ignored = new Set<string>()

  constructor(columns: readonly string[], settings: RowBuilderSettings) {
    this.columns = columns
    this.#known = new Set(columns)
    this.#settings = settings
  }

  /**
   * Converts a call's records, all or nothing: the first bad record throws and none of the
   * call's records are returned. `first` is the run number of `records[0]`.
   */
  toRows(records: readonly unknown[], first: number): string[][] {
    const rows = new Array<string[]>(records.length)
    for (let index = 0; index < records.length; index++) {
      rows[index] = this.toRow(records[index], first + index, records.length)
    }
    return rows
  }

  /** Converts one record; `batch` is the size of the call it came in, for error messages. */
  toRow(record: unknown, number: number, batch = 1): string[] {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw this.#invalid(number, batch, `is not an object but ${describeValue(record)}`)
    }
    const fields = record as Fields
    const columns = this.columns
    const row = new Array<string>(columns.length)
    let defined = 0
    for (let index = 0; index < columns.length; index++) {
      const column = columns[index] as string
      const value = fields[column]
      if (typeof value === 'string') {
        row[index] = this.#settings.escapeFormulas ? escapeFormula(value) : value
        defined++
      } else if (value === undefined || value === null) {
        row[index] = ''
        if (value === null) defined++
      } else {
        row[index] = this.#cast(fields, column, value, number, batch)
        // An inherited value (a column named `constructor`, `toString`) is not the record's.
        if (hasOwn(fields, column)) defined++
      }
    }
    if (defined !== Object.keys(fields).length) this.#checkKeys(fields, row, number, batch)
    return row
  }

  /** The slow path: keys with `undefined` values, unknown keys, inherited values. */
  #checkKeys(fields: Fields, row: string[], number: number, batch: number): void {
    const columns = this.columns
    for (let index = 0; index < columns.length; index++) {
      if (!hasOwn(fields, columns[index] as string)) row[index] = ''
    }
    for (const key of Object.keys(fields)) {
      if (this.#known.has(key)) continue
      if (this.#settings.onUnknownColumn === 'error') {
        const list =
          columns.length > 12 ? `${columns.slice(0, 12).join(', ')}, ...` : columns.join(', ')
        throw new CsvError(
          `record ${number} has unknown column '${key}', not one of the columns of ` +
            `${this.#settings.path} (${list})${rejected(batch)}; pass it in "columns", or set ` +
            `onUnknownColumn: 'ignore' to drop unknown columns`,
          { code: 'CSV_UNKNOWN_COLUMN', path: this.#settings.path, record: number, column: key },
        )
      }
      if (!this.#ignored.has(key)) {
        this.#ignored.add(key)
        this.#settings.onIgnoredColumn(key)
      }
    }
  }

  #cast(fields: Fields, column: string, value: unknown, number: number, batch: number): string {
    if (typeof value === 'number' || typeof value === 'bigint') return String(value)
    if (typeof value === 'function' || typeof value === 'symbol') {
      if (!hasOwn(fields, column)) return ''
      throw this.#invalid(number, batch, `has a ${typeof value} in column '${column}'`, column)
    }
    const cast = this.#settings.cast
    const context: CsvCastContext = { column, record: number }
    let text: unknown
    try {
      if (typeof value === 'boolean')
        text = cast.boolean ? cast.boolean(value, context) : String(value)
      else if (value instanceof Date)
        text = cast.date ? cast.date(value, context) : value.toISOString()
      else if (!hasOwn(fields, column)) return ''
      else text = cast.object ? cast.object(value as object, context) : JSON.stringify(value)
    } catch (error) {
      const message = `cannot cast the value of column '${column}': ${messageOf(error)}`
      throw this.#invalid(number, batch, message, column, error)
    }
    if (typeof text !== 'string') {
      const message = `the cast of column '${column}' returned ${describeValue(text)}, not a string`
      throw this.#invalid(number, batch, message, column)
    }
    return this.#settings.escapeFormulas ? escapeFormula(text) : text
  }

  #invalid(number: number, batch: number, problem: string, column?: string, cause?: unknown) {
    return new CsvError(
      `record ${number} for ${this.#settings.path} ${problem}${rejected(batch)}`,
      { code: 'CSV_INVALID_RECORD', path: this.#settings.path, record: number, column, cause },
    )
  }
}

function rejected(batch: number): string {
  return batch > 1 ? ` (none of the ${batch} records of that call were written)` : ''
}
