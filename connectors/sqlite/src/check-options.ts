import type { NodeContext } from '@graphflow/core'
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

/**
 * Where a factory reads or writes: a file it opens (`path`, or the deprecated `file` when
 * `fromFile`), or a database it was given.
 */
export type DatabaseTarget =
  | { readonly path: string; readonly fromFile: boolean; readonly database?: undefined }
  | { readonly path?: undefined; readonly fromFile?: undefined; readonly database: SqliteDatabase }

/**
 * Checks that exactly one of `path` (or its deprecated alias `file`) and `database` is given.
 * Giving both `path` and `file` is a `TypeError`, even with the same value.
 */
export function checkTarget(
  factory: string,
  options: { path?: unknown; file?: unknown; database?: unknown },
): DatabaseTarget {
  const { path, file, database } = options
  if (path !== undefined && file !== undefined) {
    throw new TypeError(
      `${factory}: expected "path" or "file" (its deprecated alias), got both ` +
        `(path ${describeValue(path)}, file ${describeValue(file)})`,
    )
  }
  const fromFile = path === undefined && file !== undefined
  const option = fromFile ? 'file' : 'path'
  const location = fromFile ? file : path
  if (location !== undefined && database !== undefined) {
    throw new TypeError(
      `${factory}: expected either "${option}" or "database", got both (${option} ${describeValue(location)})`,
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
  if (typeof location !== 'string' || location.length === 0) {
    throw optionError(factory, option, 'a database file path (or a "database" handle)', location)
  }
  return { path: location, fromFile }
}

/**
 * The deprecation warning of the `file` option, once per spec: the returned function logs it at
 * the first `open()` of a spec given `file` (through the run logger's `warn` when it has one,
 * else `info`) and does nothing after that, or for a spec given `path` or `database`.
 */
export function fileDeprecation(
  factory: string,
  target: DatabaseTarget,
): (context: NodeContext | undefined) => void {
  let pending = target.fromFile === true
  return (context) => {
    const logger = context?.logger
    if (!pending || !logger) return
    pending = false
    const message =
      `[graphflow] [sqlite] ${context.name}: option "file" of ${factory} is deprecated, use ` +
      `"path" (same meaning): { path: ${JSON.stringify(target.path)} }`
    try {
      if (typeof logger.warn === 'function') logger.warn(message)
      else logger.info(message)
    } catch {
      // A failing logger must not fail open(): the warning is advice, not part of the run.
    }
  }
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
