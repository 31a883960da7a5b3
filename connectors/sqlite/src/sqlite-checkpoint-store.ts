import { existsSync, realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { type CheckpointStore, describeValue, messageOf, optionChecks } from '@graphflow/core'
import { checkIdentifier, quoteIdentifier } from './identifiers.js'
import { checkOpen, openDatabase, type SqliteDatabase } from './open-database.js'
import { SqliteError } from './sqlite-error.js'

/** Options of {@link sqliteCheckpointStore}. Give exactly one of `path` and `database`. */
export interface SqliteCheckpointStoreOptions {
  /**
   * Path of the database file that keeps the state (created if missing, WAL journal mode),
   * opened on first use. Give the path of the database a `sqliteSink` of the load writes to:
   * the sink then writes through the store's connection and commits the state with its rows.
   * @default undefined (give `path` or `database`)
   */
  path?: string
  /**
   * An open better-sqlite3 `Database` to keep the state in instead of `path` (never closed by
   * the store). A `sqliteSink` given the same `database` commits the state with its rows.
   * @default undefined (give `path` or `database`)
   */
  database?: SqliteDatabase
  /**
   * The table holding the state (one row per key, the value as JSON text), created if missing.
   * @default 'graphflow_checkpoints'
   */
  table?: string
}

/** What {@link sqliteCheckpointStore} returns: a checkpoint store with a synchronous `putSync`. */
export interface SqliteCheckpointStore extends CheckpointStore {
  /** Writes the value at once, in the connection's transaction when one is open. */
  putSync(key: string, value: unknown): void
  /** The store's connection (opened on first use). */
  connection(): SqliteDatabase
  /** True when `target` (a database file path or an open `Database`) is the store's database. */
  holds(target: { path?: string | undefined; database?: SqliteDatabase | undefined }): boolean
  /** Closes the connection the store opened from `path` (a given `database` stays open). */
  close(): void
}

const BRAND = Symbol.for('graphflow.sqlite.checkpoint-store')

/** True for a store made by {@link sqliteCheckpointStore} (of any copy of this package). */
export function isSqliteCheckpointStore(store: unknown): store is SqliteCheckpointStore {
  return typeof store === 'object' && store !== null && BRAND in store
}

/** A path as the file system names it: symbolic links followed when it exists. */
function canonicalPath(path: string): string {
  const absolute = resolve(path)
  return existsSync(absolute) ? realpathSync(absolute) : absolute
}

/**
 * A checkpoint store (see "Resumable loads" in the core README) that keeps a load's state in a
 * table of a SQLite database. Its `putSync` writes at once, so a run writes the state on every
 * stored position; and a `sqliteSink` writing to the same database (the same `path`, or the
 * same `database` handle) shares the store's connection and writes the state inside each of
 * its transactions: the positions commit with the rows, a rollback takes both back, and a
 * resumed load into the table is exactly once in plain `insert` mode.
 *
 * @example
 * ```ts
 * const store = sqliteCheckpointStore({ path: 'load.db' })
 * graph.addEdge(pages, graph.addNode(sqliteSink({ path: 'load.db', table: 'breweries' })))
 * await new AsyncExecutor(graph).execute({ checkpoints: { store } }) // run it again to resume
 * store.close()
 * ```
 */
export function sqliteCheckpointStore(
  options: SqliteCheckpointStoreOptions,
): SqliteCheckpointStore {
  const check = optionChecks('sqliteCheckpointStore')
  check.object(options)
  const { path, database: given } = options
  if ((path === undefined) === (given === undefined)) {
    throw new TypeError(
      `sqliteCheckpointStore: expected exactly one of "path" and "database", got ${
        path === undefined ? 'neither' : `both (path ${describeValue(path)})`
      }`,
    )
  }
  if (path !== undefined && (typeof path !== 'string' || path === '')) {
    check.fail('path', 'a database file path', path)
  }
  if (
    given !== undefined &&
    (typeof given !== 'object' || given === null || typeof given.prepare !== 'function')
  ) {
    check.fail('database', 'an open better-sqlite3 Database', given)
  }
  const table = check.string('table', options.table, 'graphflow_checkpoints')
  checkIdentifier(table, 'table', ' in option "table"')
  const quoted = quoteIdentifier(table)
  const where = path !== undefined ? `"${path}"` : `"${(given as SqliteDatabase).name}"`
  let opened: SqliteDatabase | undefined
  let statements:
    | { read: (key: string) => unknown; write: (key: string, text: string) => void }
    | undefined

  const connection = (): SqliteDatabase => {
    if (given !== undefined) return checkOpen(given)
    opened ??= openDatabase(path as string, 'write')
    return opened
  }
  const prepared = () => {
    if (statements) return statements
    const database = connection()
    try {
      database.exec(
        `CREATE TABLE IF NOT EXISTS ${quoted} (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)`,
      )
      const read = database.prepare(`SELECT value FROM ${quoted} WHERE key = ?`).pluck()
      const write = database.prepare(
        `INSERT INTO ${quoted} (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      )
      statements = {
        read: (key) => read.get(key),
        write: (key, text) => {
          write.run(key, text)
        },
      }
      return statements
    } catch (error) {
      throw new SqliteError(
        `cannot keep checkpoints in table "${table}" of ${where}: ${messageOf(error)}`,
        { code: 'SQLITE_WRITE', cause: error },
      )
    }
  }
  const checkKey = (key: string): string => {
    if (typeof key !== 'string' || key === '') {
      throw new TypeError(
        `checkpoint store key: expected a non-empty string, got ${describeValue(key)}`,
      )
    }
    return key
  }
  const putSync = (key: string, value: unknown): void => {
    const text = JSON.stringify(value)
    if (text === undefined) {
      throw new TypeError(
        `sqliteCheckpointStore: the value put under '${key}' is not JSON: ${String(value)}`,
      )
    }
    const { write } = prepared()
    try {
      write(checkKey(key), text)
    } catch (error) {
      throw new SqliteError(
        `cannot write checkpoint '${key}' to table "${table}" of ${where}: ${messageOf(error)}`,
        { code: 'SQLITE_WRITE', cause: error },
      )
    }
  }
  const store: SqliteCheckpointStore & { [BRAND]: true } = {
    [BRAND]: true,
    async get(key) {
      const text = prepared().read(checkKey(key))
      if (text === undefined) return undefined
      try {
        return JSON.parse(String(text))
      } catch (error) {
        throw new SqliteError(
          `checkpoint '${key}' in table "${table}" of ${where} is not JSON (${messageOf(error)}): remove the row to start over`,
          { code: 'SQLITE_QUERY', cause: error },
        )
      }
    },
    async put(key, value) {
      putSync(key, value)
    },
    putSync,
    connection,
    holds(target) {
      if (given !== undefined) return target.database === given
      if (target.path === undefined) return opened !== undefined && target.database === opened
      return canonicalPath(target.path) === canonicalPath(path as string)
    },
    close() {
      statements = undefined
      const database = opened
      opened = undefined
      database?.close()
    },
  }
  return store
}
