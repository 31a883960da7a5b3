import { messageOf, type NodeContext } from '@graphflow/core'
import type { SinkSettings } from './check-options.js'
import { quoteIdentifier } from './identifiers.js'
import type { SqliteDatabase } from './open-database.js'
import { SqliteError } from './sqlite-error.js'

/**
 * The save point of a `sqliteSink` in a run with checkpoints, in `insert` mode into a table
 * without a primary key: the last row id committed. Such a table's row ids grow with every
 * insert, so the rows past a saved row id are exactly those written after the saved position,
 * and a resumed run deletes them. Other modes and keyed tables keep no point (an upsert is
 * idempotent; a duplicate key is refused and reported).
 */
export class RowidPoint {
  rowid: number
  readonly #database: SqliteDatabase
  readonly #table: string

  private constructor(database: SqliteDatabase, table: string, rowid: number) {
    this.#database = database
    this.#table = table
    this.rowid = rowid
  }

  /**
   * For a run with checkpoints: deletes the rows past a saved point (a resumed run) and returns
   * the point to keep, or `undefined` when the mode or the table keep none.
   */
  static open(
    database: SqliteDatabase,
    settings: SinkSettings,
    context: NodeContext,
  ): RowidPoint | undefined {
    const { table, mode, primaryKey } = settings
    if (mode !== 'insert' || primaryKey.length > 0) return undefined
    const columns = database.pragma(`table_info(${quoteIdentifier(table)})`) as { pk: number }[]
    if (columns.some((column) => column.pk > 0)) return undefined
    const exists = columns.length > 0
    const fail = (problem: string, cause?: unknown): never => {
      throw new SqliteError(`cannot resume the load into table "${table}": ${problem}`, {
        code: 'SQLITE_RESUME',
        cause,
      })
    }
    const maxRowid = (): number => {
      try {
        return RowidPoint.#maxRowid(database, table)
      } catch (error) {
        return fail(
          `it has no row ids (a WITHOUT ROWID table?), so the rows past the saved position cannot be told apart: ${messageOf(error)}; give it a primary key and use mode 'upsert'`,
          error,
        )
      }
    }
    if ('savedPoint' in context) {
      const saved = context.savedPoint as { rowid?: unknown } | undefined
      const rowid = saved?.rowid
      if (typeof rowid !== 'number' || !Number.isSafeInteger(rowid) || rowid < 0) {
        return fail(
          `the saved state holds no row id for this sink (got ${JSON.stringify(saved)}); it was saved by another sink or an older version: remove the state to start over`,
        )
      }
      if (!exists && rowid > 0) {
        fail(`the table is gone, but the saved state says rows up to row id ${rowid} were stored`)
      }
      if (exists) {
        maxRowid() // a table without row ids is refused before anything is deleted
        const dropped = database
          .prepare(`DELETE FROM ${quoteIdentifier(table)} WHERE rowid > ?`)
          .run(rowid).changes
        if (dropped > 0) {
          context.logger.info(
            `[graphflow] [sqlite] ${context.name}: resuming: deleted ${dropped} row(s) of table "${table}" written past the saved position (row id ${rowid})`,
          )
        }
      }
    }
    return new RowidPoint(database, table, maxRowid())
  }

  /** The table's last row id, 0 when it is empty or does not exist yet. */
  static #maxRowid(database: SqliteDatabase, table: string): number {
    if (!RowidPoint.#exists(database, table)) return 0
    const found = database
      .prepare(`SELECT max(rowid) FROM ${quoteIdentifier(table)}`)
      .pluck()
      .get()
    return typeof found === 'number' ? found : Number(found ?? 0)
  }

  static #exists(database: SqliteDatabase, table: string): boolean {
    return (
      database
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE")
        .get(table) !== undefined
    )
  }

  /** Reads the last row id (inside the batch's transaction). */
  update(): void {
    this.rowid = RowidPoint.#maxRowid(this.#database, this.#table)
  }
}
