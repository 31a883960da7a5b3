import type { SqliteDatabase } from './open-database.js'

/** Describes a value for an option error: `"abc"`, `42`, `an array`, `an object`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'function') return 'a function'
  return String(value)
}

/** Throws the `TypeError` of a bad option: `sqliteSink "batchSize": expected ..., got ...`. */
export function optionError(
  factory: string,
  option: string,
  expected: string,
  given: unknown,
): TypeError {
  return new TypeError(`${factory} "${option}": expected ${expected}, got ${describeValue(given)}`)
}

/** Where a factory reads or writes: a file it opens, or a database it was given. */
export type DatabaseTarget =
  | { readonly file: string; readonly database?: undefined }
  | { readonly file?: undefined; readonly database: SqliteDatabase }

/** Checks that exactly one of `file` and `database` is given. */
export function checkTarget(
  factory: string,
  options: { file?: unknown; database?: unknown },
): DatabaseTarget {
  const { file, database } = options
  if (file !== undefined && database !== undefined) {
    throw new TypeError(
      `${factory}: expected either "file" or "database", got both (file ${describeValue(file)})`,
    )
  }
  if (database !== undefined) {
    const looksLikeDatabase =
      typeof database === 'object' &&
      database !== null &&
      typeof (database as { prepare?: unknown }).prepare === 'function' &&
      typeof (database as { transaction?: unknown }).transaction === 'function'
    if (!looksLikeDatabase) {
      throw optionError(factory, 'database', 'an open better-sqlite3 Database', database)
    }
    return { database: database as SqliteDatabase }
  }
  if (typeof file !== 'string' || file.length === 0) {
    throw optionError(factory, 'file', 'a database file path (or a "database" handle)', file)
  }
  return { file }
}

/** Checks an optional positive integer option. */
export function checkPositiveInteger(
  factory: string,
  option: string,
  value: unknown,
  fallback: number,
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw optionError(factory, option, 'an integer >= 1', value)
  }
  return value
}

/** Checks an optional option that takes one of a few strings. */
export function checkOneOf<T extends string>(
  factory: string,
  option: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw optionError(
      factory,
      option,
      `one of ${allowed.map((each) => `'${each}'`).join(', ')}`,
      value,
    )
  }
  return value as T
}

/** Checks an optional boolean option. */
export function checkBoolean(
  factory: string,
  option: string,
  value: unknown,
  fallback: boolean,
): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw optionError(factory, option, 'a boolean', value)
  return value
}

/** Checks an optional node name option. */
export function checkName(factory: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value.length === 0) {
    throw optionError(factory, 'name', 'a non-empty string', value)
  }
  return value
}
