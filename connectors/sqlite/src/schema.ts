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

/** The SQLite type a value suggests; `undefined` for `null` and `undefined` (no information). */
export function inferType(value: unknown): InferredType | undefined {
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) ? 'INTEGER' : 'REAL'
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
 * Converts a record's value to what SQLite stores: booleans to 0/1, `Date` to ISO-8601 text,
 * `ArrayBuffer` to a Buffer, other objects and arrays to JSON text, `undefined` to NULL.
 * Throws a `TypeError` for what cannot be stored (functions, symbols, invalid dates).
 */
export function toSqlValue(value: unknown): SqliteValue {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'bigint':
      return value
    case 'boolean':
      return value ? 1 : 0
    case 'undefined':
      return null
    case 'object': {
      if (value === null || value instanceof Uint8Array) return value
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw new TypeError('cannot store an invalid Date')
        return value.toISOString()
      }
      if (value instanceof ArrayBuffer) return Buffer.from(value)
      const json = JSON.stringify(value)
      return json === undefined ? null : json
    }
    default:
      throw new TypeError(`cannot store a ${typeof value} in SQLite`)
  }
}

/**
 * The columns of a table to create: declared types, else types inferred from `records`;
 * primary key columns no record has are added (`INTEGER` for a single one, so SQLite assigns it).
 */
export function defineColumns(
  columns: readonly string[],
  records: readonly object[],
  types: ReadonlyMap<string, string> | undefined,
  primaryKey: readonly string[],
): ColumnDefinition[] {
  const definitions: ColumnDefinition[] = columns.map((name) => {
    const declared = types?.get(name)
    if (declared !== undefined) return { name, type: declared }
    let type: InferredType | undefined
    for (const record of records) {
      type = mergeType(type, inferType((record as Record<string, unknown>)[name]))
      if (type === '') break
    }
    return { name, type: type ?? '' }
  })
  for (const name of primaryKey) {
    if (columns.includes(name)) continue
    definitions.push({ name, type: primaryKey.length === 1 ? 'INTEGER' : '' })
  }
  return definitions
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
