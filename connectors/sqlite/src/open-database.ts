import Database from 'better-sqlite3'
import { SqliteError } from './sqlite-error.js'

/** An open better-sqlite3 connection. */
export type SqliteDatabase = Database.Database

/**
 * Opens a database file: read-write (created if missing) in WAL journal mode for a sink,
 * read-only (it must exist) for a source. Throws a `SQLITE_OPEN` error naming the file.
 */
export function openDatabase(file: string, mode: 'write' | 'read'): SqliteDatabase {
  let database: SqliteDatabase | undefined
  try {
    database =
      mode === 'read'
        ? new Database(file, { readonly: true, fileMustExist: true })
        : new Database(file)
    if (mode === 'write') database.pragma('journal_mode = WAL')
    return database
  } catch (error) {
    database?.close()
    const message = error instanceof Error ? error.message : String(error)
    const code = (error as { code?: unknown }).code
    const detail = typeof code === 'string' ? `${code}: ${message}` : message
    throw new SqliteError(
      `cannot open "${file}" for ${mode === 'read' ? 'reading' : 'writing'}: ${detail}`,
      { code: 'SQLITE_OPEN', cause: error },
    )
  }
}

/** Checks that a database given in the options is still open; `SQLITE_OPEN` otherwise. */
export function checkOpen(database: SqliteDatabase): SqliteDatabase {
  if (!database.open) {
    throw new SqliteError(`the given database "${database.name}" is closed`, {
      code: 'SQLITE_OPEN',
    })
  }
  return database
}
