import { SqliteError } from './sqlite-error.js'

/**
 * The identifiers (table and column names) this package accepts: an ASCII letter or `_`, then
 * letters, digits or `_`. Stricter than SQLite, so a name can never carry SQL.
 */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/

/** What an identifier names, for error messages. */
export type IdentifierKind = 'table' | 'column'

/**
 * Checks a table or column name against {@link IDENTIFIER_PATTERN} (and, for tables, SQLite's
 * reserved `sqlite_` prefix); throws a `SQLITE_IDENTIFIER` error naming it otherwise.
 */
export function checkIdentifier(name: unknown, kind: IdentifierKind, context = ''): string {
  if (typeof name !== 'string' || !IDENTIFIER_PATTERN.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name) : String(name)
    throw new SqliteError(
      `invalid ${kind} name ${shown}${context}: expected an ASCII letter or "_" followed by ` +
        'letters, digits or "_" (pattern /^[A-Za-z_][A-Za-z0-9_]*$/)',
      { code: 'SQLITE_IDENTIFIER' },
    )
  }
  if (kind === 'table' && name.toLowerCase().startsWith('sqlite_')) {
    throw new SqliteError(
      `invalid table name "${name}"${context}: names starting with "sqlite_" are reserved by SQLite`,
      { code: 'SQLITE_IDENTIFIER' },
    )
  }
  return name
}

/** Quotes a checked identifier for SQL: `items` -> `"items"` (inner quotes doubled). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
