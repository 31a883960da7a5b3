// Keyset reads of sqliteSource: the query's rows ordered by a key, positions that restart after
// the last key stored (resumable and incremental loads; see the README).

import { describeValue, optionChecks } from '@graphflow/core'
import { quoteIdentifier } from './identifiers.js'
import { SqliteError } from './sqlite-error.js'
import type { SqliteKeyValue, SqliteSourceOptions } from './sqlite-source-options.js'

/** A key value as a position holds it (JSON): a bigint as `{ bigint: '<digits>' }`. */
type StoredKeyValue = number | string | { bigint: string }

/** What a keyset source saves after a unit: the key columns and the last row's key values. */
export interface KeysetPosition {
  key: string[]
  after: StoredKeyValue[]
}

/** The checked `key` and `after` options. */
export interface Keyset {
  /** The key columns, in order. */
  readonly columns: readonly string[]
  /** Where a run without a saved position starts (after these values), or from the first row. */
  readonly initial: readonly SqliteKeyValue[] | undefined
}

/** The parameter names the key values are bound to (named, so they mix with the user's). */
const parameter = (index: number) => `graphflow_after_${index + 1}`

/** Checks `key` and `after`; `undefined` without `key`. Throws a `TypeError` naming the option. */
export function resolveKeyset(options: SqliteSourceOptions): Keyset | undefined {
  const check = optionChecks('sqliteSource')
  const { key, after } = options
  if (key === undefined) {
    if (after !== undefined) check.fail('after', 'no value without "key"', after)
    return undefined
  }
  const columns = typeof key === 'string' ? [key] : key
  const expected = 'a column name or a non-empty list of distinct column names'
  if (!Array.isArray(columns) || columns.length === 0) check.fail('key', expected, key)
  for (const column of columns as unknown[]) {
    if (typeof column !== 'string' || column === '') check.fail('key', expected, key)
  }
  if (new Set(columns).size !== columns.length) check.fail('key', expected, key)
  if (after === undefined) return { columns, initial: undefined }
  const values = columns.length === 1 && !Array.isArray(after) ? [after] : after
  const count = columns.length === 1 ? 'a key value' : `an array of ${columns.length} key values`
  if (!Array.isArray(values) || values.length !== columns.length || !values.every(isKeyValue)) {
    check.fail(
      'after',
      `${count} (numbers, strings or bigints) for key (${columns.join(', ')})`,
      after,
    )
  }
  return { columns, initial: values as SqliteKeyValue[] }
}

function isKeyValue(value: unknown): value is SqliteKeyValue {
  return (
    (typeof value === 'number' && Number.isFinite(value)) ||
    typeof value === 'string' ||
    typeof value === 'bigint'
  )
}

/**
 * The keyset forms of a query: all its rows ordered by the key, or those after given key
 * values. The query is read as a subquery, so it must be a SELECT (or WITH) query; SQLite
 * flattens it, so an index on the key serves the order and the bound.
 */
export function keysetQueries(query: string, keyset: Keyset): { all: string; after: string } {
  // A line break before ')' ends a trailing `-- comment`; a ';' (with only comments after it)
  // would end the statement.
  const inner = `SELECT * FROM (\n${query.replace(TRAILING_SEMICOLON, '')}\n)`
  const columns = keyset.columns.map(quoteIdentifier).join(', ')
  const bounds = keyset.columns.map((_, index) => `@${parameter(index)}`).join(', ')
  return {
    all: `${inner} ORDER BY ${columns}`,
    after: `${inner} WHERE (${columns}) > (${bounds}) ORDER BY ${columns}`,
  }
}

/** A `;` at the end of a query, followed by nothing but spaces and comments. */
const TRAILING_SEMICOLON = /;(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*$/

/** The named parameters binding key values to {@link keysetQueries}' `after` form. */
export function keyParams(values: readonly SqliteKeyValue[]): Record<string, SqliteKeyValue> {
  return Object.fromEntries(values.map((value, index) => [parameter(index), value]))
}

/** The position after a row with these key values. */
export function toPosition(keyset: Keyset, values: readonly SqliteKeyValue[]): KeysetPosition {
  return {
    key: [...keyset.columns],
    after: values.map((value) =>
      typeof value === 'bigint' ? { bigint: value.toString() } : value,
    ),
  }
}

/**
 * The key values of a saved position, refused (`SQLITE_KEY`, naming the source and the key)
 * when it was not saved for this key: another key, another number of values, a value that is
 * not a key value.
 */
export function fromPosition(keyset: Keyset, position: unknown, where: string): SqliteKeyValue[] {
  const saved = position as Partial<KeysetPosition> | null
  const refuse = (why: string) =>
    new SqliteError(
      `cannot resume the keyset read of ${where} after the saved position ` +
        `${describeValue(position)}: ${why}; give the run another "checkpoints.key" (or remove ` +
        'its state) to read from the start',
      { code: 'SQLITE_KEY' },
    )
  if (typeof saved !== 'object' || saved === null || !Array.isArray(saved.key)) {
    throw refuse(
      `it is not a keyset position ({ key, after }) for key (${keyset.columns.join(', ')})`,
    )
  }
  if (
    saved.key.join('\u0000') !== keyset.columns.join('\u0000') ||
    saved.key.length !== keyset.columns.length
  ) {
    throw refuse(
      `it was saved for key (${saved.key.map(String).join(', ')}), the source reads by key (${keyset.columns.join(', ')})`,
    )
  }
  const after = saved.after
  if (!Array.isArray(after) || after.length !== keyset.columns.length) {
    throw refuse(`it holds no ${keyset.columns.length} key value(s) in "after"`)
  }
  return after.map((value: unknown, index) => {
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { bigint?: unknown }).bigint === 'string'
    ) {
      const digits = (value as { bigint: string }).bigint
      if (/^-?\d+$/.test(digits)) return BigInt(digits)
    }
    if (isKeyValue(value)) return value
    throw refuse(
      `its value for key column '${keyset.columns[index]}' is not a number, string or bigint`,
    )
  })
}

/**
 * Reads the key values of the rows in order, refusing (`SQLITE_KEY`) what a keyset read cannot
 * resume after: a NULL key (a resumed read would never see it), a blob or other value, and a
 * key equal to the previous row's (not unique: a resumed read would skip its twins).
 */
export class KeyReader {
  #previous: SqliteKeyValue[] | undefined
  #rows = 0

  constructor(
    readonly keyset: Keyset,
    readonly where: string,
  ) {}

  /** The key values of the next row. */
  read(row: unknown): SqliteKeyValue[] {
    this.#rows++
    const columns = this.keyset.columns
    const fields = row as Record<string, unknown>
    const values = new Array<SqliteKeyValue>(columns.length)
    let same = this.#previous !== undefined
    for (let index = 0; index < columns.length; index++) {
      const column = columns[index] as string
      const value = fields[column]
      if (!isKeyValue(value)) {
        const what = value === null || value === undefined ? 'NULL' : describeValue(value)
        throw new SqliteError(
          `row ${this.#rows} of the keyset read of ${this.where} has ${what} in key column ` +
            `'${column}': a key value must be a number, a string or a bigint (a resumed read ` +
            'compares keys with ">", which skips NULLs); filter such rows out in the query',
          { code: 'SQLITE_KEY' },
        )
      }
      values[index] = value
      if (same && this.#previous?.[index] !== value) same = false
    }
    if (same) {
      throw new SqliteError(
        `rows ${this.#rows - 1} and ${this.#rows} of the keyset read of ${this.where} have the ` +
          `same key (${columns.join(', ')}) = (${values.map((value) => describeValue(value)).join(', ')}): ` +
          'the key must be unique, or a resumed read would skip rows; add a column that makes it ' +
          'unique (key: [..., "id"])',
        { code: 'SQLITE_KEY' },
      )
    }
    this.#previous = values
    return values
  }
}
