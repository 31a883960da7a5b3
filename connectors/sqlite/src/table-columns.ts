import { toError } from '@graphflow/core'
import { checkIdentifier } from './identifiers.js'
import type { SqliteDatabase } from './open-database.js'
import {
  addColumnSql,
  type ColumnDefinition,
  createTableSql,
  defineColumns,
  inferType,
  writeSql,
} from './schema.js'
import type { SinkSettings } from './sink-options.js'
import { sqliteError } from './sqlite-error.js'

/**
 * The columns a sink writes, and the table they live in: reads or creates the table, and
 * decides what a record field not written so far is (a new column, a column of the table, or
 * an unknown field to reject, ignore or add).
 */
export class TableColumns {
  /** The written columns, in statement order. */
  readonly names: string[] = []
  /** The written columns, for a fast look-up of record fields. */
  readonly written = new Set<string>()
  readonly #writtenLower = new Map<string, string>()
  readonly #ignored = new Set<string>()
  readonly #database: SqliteDatabase
  readonly #settings: SinkSettings
  /** The table's columns (lower-case name -> name); undefined while they are to be inferred. */
  #table: Map<string, string> | undefined
  #created = false
  readonly #beforeChange: () => void

  /**
   * Reads the table (or plans it from the declared columns). `beforeChange` is called before
   * the written columns of an existing table change, so buffered rows are written first.
   */
  constructor(database: SqliteDatabase, settings: SinkSettings, beforeChange: () => void) {
    this.#database = database
    this.#settings = settings
    this.#beforeChange = beforeChange
    const { table, columns, types, createTable, mode, primaryKey } = settings
    if (this.#readTable()) {
      this.#created = true
    } else if (!createTable) {
      throw sqliteError('SQLITE_OPEN', `table "${table}" does not exist and "createTable" is false`)
    } else if (columns) {
      this.#table = new Map(columns.map((name) => [name.toLowerCase(), name]))
    }
    for (const name of columns ?? []) this.#declare(name)
    if (!this.#created && types) this.create([])
    if (this.#created && mode === 'upsert') {
      try {
        this.#database.prepare(writeSql(table, primaryKey, 'upsert', primaryKey))
      } catch (error) {
        throw sqliteError(
          'SQLITE_WRITE',
          `cannot upsert into table "${table}": ${toError(error).message}`,
          error,
        )
      }
    }
  }

  /** True once the table exists. */
  get created(): boolean {
    return this.#created
  }

  /** Creates the table from the declared columns, or with types inferred from `records`. */
  create(records: readonly object[]): void {
    const { table, types, primaryKey } = this.#settings
    const definitions = defineColumns(this.names, records, types, primaryKey)
    if (definitions.length === 0) {
      throw sqliteError(
        'SQLITE_WRITE',
        `cannot create table "${table}": the first records have no fields`,
      )
    }
    this.#run(`cannot create table "${table}"`, createTableSql(table, definitions, primaryKey))
    this.#readTable()
    this.#created = true
  }

  /** A record field not written so far: a new column, a table column, or an unknown field. */
  checkField(key: string, value: unknown): void {
    if (value === undefined || this.#ignored.has(key)) return
    const { table, onUnknownColumn } = this.#settings
    const where = ` (a record field for table "${table}")`
    const lower = key.toLowerCase()
    const columns = this.#table
    if (columns === undefined) {
      checkIdentifier(key, 'column', where)
      const clash = this.#writtenLower.get(lower)
      if (clash !== undefined) {
        throw sqliteError(
          'SQLITE_IDENTIFIER',
          `record fields "${clash}" and "${key}" for table "${table}" differ only in letter case; ` +
            'SQLite column names ignore case',
        )
      }
      this.#addWritten(key)
      return
    }
    const existing = columns.get(lower)
    if (existing !== undefined) {
      if (existing !== key) {
        throw sqliteError(
          'SQLITE_UNKNOWN_COLUMN',
          `record field "${key}" matches column "${existing}" of table "${table}" only when ` +
            'ignoring letter case; rename the field',
        )
      }
      if (this.#created) this.#beforeChange()
      this.#addWritten(key)
      return
    }
    if (onUnknownColumn === 'ignore') {
      this.#ignored.add(key)
      return
    }
    if (onUnknownColumn === 'error') {
      throw sqliteError(
        'SQLITE_UNKNOWN_COLUMN',
        `record field "${key}" is not a column of table "${table}" (columns: ` +
          `${[...columns.values()].join(', ')}); set onUnknownColumn to 'ignore' to drop such ` +
          `fields or 'add' to add the column`,
      )
    }
    checkIdentifier(key, 'column', where)
    this.#add({ name: key, type: inferType(value) ?? '' })
  }

  #declare(name: string): void {
    const { table, types, onUnknownColumn } = this.#settings
    const columns = this.#table
    if (this.#created && columns && !columns.has(name.toLowerCase())) {
      if (onUnknownColumn !== 'add') {
        throw sqliteError(
          'SQLITE_UNKNOWN_COLUMN',
          `declared column "${name}" is not a column of table "${table}" (columns: ` +
            `${[...columns.values()].join(', ')}); set onUnknownColumn to 'add' to add it`,
        )
      }
      this.#add({ name, type: types?.get(name) ?? '' })
      return
    }
    this.#addWritten(name)
  }

  /** Adds a column to the table (`ALTER TABLE`, or to the plan while it is not created). */
  #add(column: ColumnDefinition): void {
    const { table } = this.#settings
    if (this.#created) {
      this.#beforeChange()
      this.#run(
        `cannot add column "${column.name}" to table "${table}"`,
        addColumnSql(table, column),
      )
    }
    this.#table?.set(column.name.toLowerCase(), column.name)
    this.#addWritten(column.name)
  }

  #addWritten(name: string): void {
    this.names.push(name)
    this.written.add(name)
    this.#writtenLower.set(name.toLowerCase(), name)
  }

  #readTable(): boolean {
    const rows = this.#database
      .prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)')
      .all(this.#settings.table)
    if (rows.length === 0) return false
    this.#table = new Map(rows.map(({ name }) => [name.toLowerCase(), name]))
    return true
  }

  #run(what: string, sql: string): void {
    try {
      this.#database.exec(sql)
    } catch (error) {
      throw sqliteError('SQLITE_WRITE', `${what}: ${toError(error).message}`, error)
    }
  }
}
