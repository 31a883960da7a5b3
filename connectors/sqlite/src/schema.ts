import { quoteIdentifier } from './identifiers.js'

/** A value better-sqlite3 can bind. */
export type SqliteValue = string | number | bigint | Uint8Array | null

/** The column types the sink infers from values (`''`: no declared type, values kept as given). */
export type InferredType = 'INTEGER' | 'REAL' | 'TEXT' | 'BLOB' | ''

/** How rows are written: plain `INSERT`, `INSERT OR REPLACE`, or `INSERT ... ON CONFLICT DO UPDATE`. */
export type SqliteWriteMode = 'insert' | 'replace' | 'upsert'

/** A column of a table to create. */
export interface ColumnDefinition {
  readonly name: string
  /** A checked SQLite type, `''` for none. */
  readonly type: string
}

/**
 * A declared column type: a type name (`INTEGER`, `VARCHAR(20)`, `DECIMAL(10, 2)`) optionally
 * followed by words such as `NOT NULL` or `UNIQUE`. No quotes, semicolons or expressions.
 */
export const COLUMN_TYPE_PATTERN =
  /^[A-Za-z][A-Za-z0-9_ ]*(?:\(\s*[+-]?\d+\s*(?:,\s*[+-]?\d+\s*)?\))?[A-Za-z0-9_ ]*$/

/** The SQLite type a value suggests; `undefined` (no information) for `null`, `undefined`, NaN and ±Infinity. */
export function inferType(value: unknown): InferredType | undefined {
  switch (typeof value) {
    case 'number':
      if (Number.isInteger(value)) return 'INTEGER'
      return Number.isFinite(value) ? 'REAL' : undefined
    case 'bigint':
    case 'boolean':
      return 'INTEGER'
    case 'string':
      return 'TEXT'
    case 'object':
      if (value === null) return undefined
      if (value instanceof Uint8Array || value instanceof ArrayBuffer) return 'BLOB'
      return 'TEXT'
    case 'undefined':
      return undefined
    default:
      return ''
  }
}

/** Combines what two values suggest: INTEGER and REAL make REAL, other conflicts no type. */
export function mergeType(
  known: InferredType | undefined,
  next: InferredType | undefined,
): InferredType | undefined {
  if (known === undefined) return next
  if (next === undefined || next === known) return known
  if ((known === 'INTEGER' && next === 'REAL') || (known === 'REAL' && next === 'INTEGER')) {
    return 'REAL'
  }
  return ''
}

/**
 * True when SQLite's affinity for a column of this declared type stores a whole REAL as an
 * INTEGER (INTEGER and NUMERIC affinity) or as the REAL it should be (REAL affinity): a finite
 * number can then be bound as it is, a double. TEXT affinity (`'12345.0'`), BLOB or no
 * affinity, and a STRICT table's `ANY`, keep a double as it is, so whole numbers must be bound
 * as integers there. The rules are SQLite's (datatype3.html, "Determination Of Column Affinity").
 */
export function bindsNumbersAsIs(declaredType: string): boolean {
  const type = declaredType.toUpperCase().trim()
  if (type.includes('INT')) return true
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return false
  return !(type === '' || type === 'ANY' || type.includes('BLOB'))
}

/** Whole numbers below this magnitude are bound as 64-bit integers; larger ones as reals. */
const INTEGER_LIMIT = 2 ** 63
const BIGINT_LIMIT = 2n ** 63n

/**
 * Converts a record's value to what SQLite stores: whole numbers (below 2^63) and booleans to
 * integers (bound as `bigint`, so a TEXT column gets `'12345'` and an untyped column an
 * INTEGER, not the REAL `12345.0`), `Date` to ISO-8601 text, `ArrayBuffer` to a Buffer, plain
 * objects and arrays to JSON text, `undefined` to NULL. Throws a `TypeError` for what would
 * not read back as given: NaN and ±Infinity, functions, symbols, invalid dates, `Map`, `Set`,
 * `RegExp`, `Error`, typed arrays other than `Uint8Array` (at any depth of an object).
 */
export function toSqlValue(value: unknown): SqliteValue {
  switch (typeof value) {
    case 'string':
      return value
    case 'bigint':
      if (value >= -BIGINT_LIMIT && value < BIGINT_LIMIT) return value
      throw new TypeError(`cannot store ${value}n: SQLite integers have 64 bits`)
    case 'number':
      if (Number.isInteger(value)) return Math.abs(value) < INTEGER_LIMIT ? BigInt(value) : value
      if (Number.isFinite(value)) return value
      throw new TypeError(notFinite(value))
    case 'boolean':
      return value ? 1n : 0n
    case 'undefined':
      return null
    case 'object': {
      if (value === null || value instanceof Uint8Array) return value
      if (value instanceof Date) return isoDate(value)
      if (value instanceof ArrayBuffer) return Buffer.from(value)
      const refused = unstorable(value)
      if (refused !== undefined) throw new TypeError(refused)
      const json = JSON.stringify(value, jsonValue)
      return json === undefined ? null : json
    }
    default:
      throw new TypeError(`cannot store a ${typeof value} in SQLite`)
  }
}

function notFinite(value: number, at = ''): string {
  return `cannot store ${value}${at}: SQLite has no NaN, and it would not read back as given`
}

function isoDate(value: Date, at = ''): string {
  if (Number.isNaN(value.getTime())) throw new TypeError(`cannot store an invalid Date${at}`)
  return value.toISOString()
}

/** Why an object cannot be stored, when its JSON text would read back as something else. */
function unstorable(value: object, at = ''): string | undefined {
  if (value instanceof Map || value instanceof Set) {
    return `cannot store a ${value.constructor.name}${at} (its JSON text is "{}"); convert it to an object or an array`
  }
  if (value instanceof WeakMap || value instanceof WeakSet || value instanceof Promise) {
    return `cannot store a ${value.constructor.name}${at}`
  }
  if (value instanceof ArrayBuffer) {
    return `cannot store an ArrayBuffer${at} (its JSON text is "{}"); write it in its own column for a BLOB`
  }
  if (value instanceof RegExp) {
    return `cannot store a RegExp${at} (its JSON text is "{}"); store its source as a string`
  }
  if (value instanceof Error) {
    return `cannot store an Error${at} (its JSON text is "{}"); store its message as a string`
  }
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name
    return (
      `cannot store ${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}${at} (its JSON text is an ` +
      'object of indexes); convert it to an array, or write a Uint8Array or Buffer in its own ' +
      'column for a BLOB'
    )
  }
  return undefined
}

/** `JSON.stringify` replacer: refuses nested values JSON would drop or change. */
function jsonValue(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key]
  switch (typeof original) {
    case 'number':
      if (!Number.isFinite(original)) throw new TypeError(notFinite(original, atKey(key)))
      return value
    case 'bigint':
    case 'function':
    case 'symbol':
      throw new TypeError(`cannot store a ${typeof original} in JSON text${atKey(key)}`)
    case 'object': {
      if (original === null) return value
      if (original instanceof Date) isoDate(original, atKey(key))
      const refused = unstorable(original, atKey(key))
      if (refused !== undefined) throw new TypeError(refused)
      return value
    }
    default:
      return value
  }
}

function atKey(key: string): string {
  return key === '' ? '' : ` at key ${JSON.stringify(key)}`
}

/** The columns of a table to create: declared types, else types inferred from `records`. */
export function defineColumns(
  columns: readonly string[],
  records: readonly object[],
  types: ReadonlyMap<string, string> | undefined,
): ColumnDefinition[] {
  return columns.map((name) => {
    const declared = types?.get(name)
    if (declared !== undefined) return { name, type: declared }
    let type: InferredType | undefined
    for (const record of records) {
      if (!Object.hasOwn(record, name)) continue
      type = mergeType(type, inferType((record as Record<string, unknown>)[name]))
      if (type === '') break
    }
    return { name, type: type ?? '' }
  })
}

/** `CREATE TABLE IF NOT EXISTS` for the given columns and primary key. */
export function createTableSql(
  table: string,
  columns: readonly ColumnDefinition[],
  primaryKey: readonly string[],
): string {
  const parts = columns.map((column) =>
    column.type ? `${quoteIdentifier(column.name)} ${column.type}` : quoteIdentifier(column.name),
  )
  if (primaryKey.length > 0)
    parts.push(`PRIMARY KEY (${primaryKey.map(quoteIdentifier).join(', ')})`)
  return `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table)} (${parts.join(', ')})`
}

/** `ALTER TABLE ... ADD COLUMN` for one column. */
export function addColumnSql(table: string, column: ColumnDefinition): string {
  const type = column.type ? ` ${column.type}` : ''
  return `ALTER TABLE ${quoteIdentifier(table)} ADD COLUMN ${quoteIdentifier(column.name)}${type}`
}

/**
 * The statement that writes one row, with positional parameters in `columns` order.
 * `upsert` updates every non-key column on a conflict on `primaryKey` (`DO NOTHING` if none).
 */
export function writeSql(
  table: string,
  columns: readonly string[],
  mode: SqliteWriteMode,
  primaryKey: readonly string[],
): string {
  const verb = mode === 'replace' ? 'INSERT OR REPLACE INTO' : 'INSERT INTO'
  if (columns.length === 0) return `${verb} ${quoteIdentifier(table)} DEFAULT VALUES`
  const names = columns.map(quoteIdentifier).join(', ')
  const placeholders = columns.map(() => '?').join(', ')
  const insert = `${verb} ${quoteIdentifier(table)} (${names}) VALUES (${placeholders})`
  if (mode !== 'upsert') return insert
  // The alias keeps `excluded.` meaning the incoming row even for a table named "excluded".
  const aliased = `${verb} ${quoteIdentifier(table)} AS "graphflow_target" (${names}) VALUES (${placeholders})`
  const keys = new Set(primaryKey.map((name) => name.toLowerCase()))
  const updates = columns
    .filter((name) => !keys.has(name.toLowerCase()))
    .map((name) => `${quoteIdentifier(name)} = excluded.${quoteIdentifier(name)}`)
  const target = primaryKey.map(quoteIdentifier).join(', ')
  const action = updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING'
  return `${aliased} ON CONFLICT (${target}) ${action}`
}
