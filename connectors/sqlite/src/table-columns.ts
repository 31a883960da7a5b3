import { toError } from '@graphflow/core'
import type { SinkSettings } from './check-options.js'
import { checkIdentifier } from './identifiers.js'
import type { SqliteDatabase } from './open-database.js'
import {
  addColumnSql,
  bindsNumbersAsIs,
  type ColumnDefinition,
  createTableSql,
  defineColumns,
  type InferredType,
  inferType,
  mergeType,
  writeSql,
} from './schema.js'
import { SqliteError } from './sqlite-error.js'

/** What a call's new record field does, decided before any of the call is applied. */
type FieldPlan =
  | { readonly name: string; readonly action: 'write' | 'ignore' }
  | { readonly name: string; readonly action: 'add'; type: InferredType | undefined }

/**
 * The columns a sink writes, and the table they live in: reads or creates the table, and
 * decides what a record field not written so far is (a new column, a column of the table, or
 * an unknown field to reject, ignore or add).
 *
 * The fields of a call are planned first ({@link checkField}) and applied only when the whole
 * call is accepted ({@link apply}); a refused call is {@link discard}ed and changes nothing.
 */
export class TableColumns {
  /** The written columns, in statement order. */
  readonly names: string[] = []
  /** The written columns, for a fast look-up of record fields. */
  readonly written = new Set<string>()
  readonly #writtenLower = new Map<string, string>()
  readonly #ignored = new Set<string>()
  /** The new fields of the call being checked (lower-case name -> plan), in order. */
  readonly #pending = new Map<string, FieldPlan>()
  readonly #database: SqliteDatabase
  readonly #settings: SinkSettings
  /** The table's columns (lower-case name -> name); undefined while they are to be inferred. */
  #table: Map<string, string> | undefined
  /** The declared types of the table's columns (lower-case name -> type, `''` for none). */
  readonly #types = new Map<string, string>()
  #created = false
  #version = 0
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
      throw new SqliteError(`table "${table}" does not exist and "createTable" is false`, {
        code: 'SQLITE_OPEN',
      })
    } else if (columns) {
      this.#table = new Map(columns.map((name) => [name.toLowerCase(), name]))
    }
    for (const name of columns ?? []) this.#declare(name)
    if (!this.#created && types) this.create([])
    if (this.#created) {
      const known = this.#table as Map<string, string>
      for (const key of primaryKey) {
        if (!known.has(key.toLowerCase())) {
          throw new SqliteError(
            `primary key "${key}" is not a column of table "${table}" (columns: ` +
              `${[...known.values()].join(', ')})`,
            { code: 'SQLITE_UNKNOWN_COLUMN' },
          )
        }
      }
    }
    if (this.#created && mode === 'upsert') {
      try {
        this.#database.prepare(writeSql(table, primaryKey, 'upsert', primaryKey))
      } catch (error) {
        throw new SqliteError(`cannot upsert into table "${table}": ${toError(error).message}`, {
          code: 'SQLITE_WRITE',
          cause: error,
        })
      }
    }
  }

  /** True once the table exists. */
  get created(): boolean {
    return this.#created
  }

  /**
   * For each written column of the created table, whether a finite number can be bound as it
   * is (see {@link bindsNumbersAsIs}); otherwise whole numbers are bound as integers.
   */
  numbersAsIs(): boolean[] {
    return this.names.map((name) => bindsNumbersAsIs(this.#types.get(name.toLowerCase()) ?? ''))
  }

  /** Changes each time the written columns change (a prepared statement is then stale). */
  get version(): number {
    return this.#version
  }

  /**
   * Creates the table from the declared columns, or with types inferred from `records`. When
   * another writer created the table first (`CREATE TABLE IF NOT EXISTS` then does nothing),
   * its columns are read and `onUnknownColumn` applies to the written columns it lacks.
   */
  create(records: readonly object[]): void {
    const { table, types, primaryKey } = this.#settings
    const definitions = defineColumns(this.names, records, types)
    if (definitions.length === 0) {
      throw new SqliteError(`cannot create table "${table}": the first records have no fields`, {
        code: 'SQLITE_WRITE',
      })
    }
    this.#run(`cannot create table "${table}"`, createTableSql(table, definitions, primaryKey))
    this.#readTable()
    this.#reconcile(definitions)
    this.#created = true
  }

  /**
   * Plans a record field not written so far: a new column, a table column, or an unknown
   * field. Throws (changing nothing) when the field is refused.
   */
  checkField(key: string, value: unknown): void {
    if (value === undefined || this.#ignored.has(key)) return
    const { table, onUnknownColumn, primaryKey } = this.#settings
    const lower = key.toLowerCase()
    const planned = this.#pending.get(lower)
    if (planned !== undefined) {
      if (planned.name !== key)
        throw caseClash(table, `record fields "${planned.name}" and "${key}"`)
      if (planned.action === 'add') planned.type = mergeType(planned.type, inferType(value))
      return
    }
    const where = ` (a record field for table "${table}")`
    const columns = this.#table
    if (columns === undefined) {
      checkIdentifier(key, 'column', where)
      const clash = this.#writtenLower.get(lower)
      if (clash !== undefined) throw caseClash(table, `record fields "${clash}" and "${key}"`)
      const keyClash = primaryKey.find((name) => name !== key && name.toLowerCase() === lower)
      if (keyClash !== undefined) {
        throw caseClash(table, `primary key "${keyClash}" and record field "${key}"`)
      }
      this.#pending.set(lower, { name: key, action: 'write' })
      return
    }
    let existing = columns.get(lower)
    // Another writer may have added the column since the table was read.
    if (existing === undefined && this.#created && this.#readTable()) {
      existing = this.#table?.get(lower)
    }
    if (existing !== undefined) {
      if (existing !== key) throw onlyCaseMatches(table, key, existing)
      this.#pending.set(lower, { name: key, action: 'write' })
      return
    }
    if (onUnknownColumn === 'ignore') {
      this.#pending.set(lower, { name: key, action: 'ignore' })
      return
    }
    if (onUnknownColumn === 'error') throw unknownField(table, key, this.#table ?? columns)
    checkIdentifier(key, 'column', where)
    this.#pending.set(lower, { name: key, action: 'add', type: inferType(value) })
  }

  /**
   * While the columns are inferred from the first records: throws unless every primary key
   * column is one of them (written, or planned by the current call).
   */
  checkPrimaryKey(): void {
    if (this.#table !== undefined) return
    const { table, primaryKey } = this.#settings
    for (const key of primaryKey) {
      const lower = key.toLowerCase()
      if (this.#writtenLower.has(lower) || this.#pending.get(lower)?.action === 'write') continue
      const fields = [...this.names, ...[...this.#pending.values()].map(({ name }) => name)]
      throw new SqliteError(
        `primary key "${key}" of table "${table}" is not a field of the first records ` +
          `(fields: ${fields.length > 0 ? fields.join(', ') : 'none'}); check its spelling, or ` +
          'declare the key column in "columns"',
        { code: 'SQLITE_UNKNOWN_COLUMN' },
      )
    }
  }

  /** Applies what {@link checkField} planned for the accepted call. */
  apply(): void {
    if (this.#pending.size === 0) return
    const plans = [...this.#pending.values()]
    this.#pending.clear()
    if (this.#created && plans.some(({ action }) => action !== 'ignore')) this.#beforeChange()
    for (const plan of plans) {
      if (plan.action === 'ignore') this.#ignored.add(plan.name)
      else if (plan.action === 'add') this.#add({ name: plan.name, type: plan.type ?? '' })
      else this.#addWritten(plan.name)
    }
  }

  /** Forgets what {@link checkField} planned for a refused call. */
  discard(): void {
    this.#pending.clear()
  }

  #declare(name: string): void {
    const { table, types, onUnknownColumn } = this.#settings
    const columns = this.#table
    if (this.#created && columns && !columns.has(name.toLowerCase())) {
      if (onUnknownColumn !== 'add') {
        throw new SqliteError(
          `declared column "${name}" is not a column of table "${table}" (columns: ` +
            `${[...columns.values()].join(', ')}); set onUnknownColumn to 'add' to add it`,
          { code: 'SQLITE_UNKNOWN_COLUMN' },
        )
      }
      this.#add({ name, type: types?.get(name) ?? '' })
      return
    }
    this.#addWritten(name)
  }

  /** The table existed already: applies `onUnknownColumn` to the planned columns it lacks. */
  #reconcile(definitions: readonly ColumnDefinition[]): void {
    const { table, onUnknownColumn } = this.#settings
    const columns = this.#table as Map<string, string>
    for (const definition of definitions) {
      const { name } = definition
      const existing = columns.get(name.toLowerCase())
      if (existing === name) continue
      if (existing !== undefined) throw onlyCaseMatches(table, name, existing)
      if (onUnknownColumn === 'error') throw unknownField(table, name, columns)
      if (onUnknownColumn === 'add') {
        this.#run(
          `cannot add column "${name}" to table "${table}"`,
          addColumnSql(table, definition),
        )
        columns.set(name.toLowerCase(), name)
        this.#types.set(name.toLowerCase(), definition.type)
        continue
      }
      this.names.splice(this.names.indexOf(name), 1)
      this.written.delete(name)
      this.#writtenLower.delete(name.toLowerCase())
      this.#ignored.add(name)
      this.#version++
    }
  }

  /** Adds a column to the table (`ALTER TABLE`, or to the plan while it is not created). */
  #add(column: ColumnDefinition): void {
    const { table } = this.#settings
    if (this.#created) {
      this.#run(
        `cannot add column "${column.name}" to table "${table}"`,
        addColumnSql(table, column),
      )
    }
    this.#table?.set(column.name.toLowerCase(), column.name)
    if (this.#created) this.#types.set(column.name.toLowerCase(), column.type)
    this.#addWritten(column.name)
  }

  #addWritten(name: string): void {
    this.names.push(name)
    this.written.add(name)
    this.#writtenLower.set(name.toLowerCase(), name)
    this.#version++
  }

  #readTable(): boolean {
    const rows = this.#database
      .prepare<[string], { name: string; type: string }>(
        'SELECT name, type FROM pragma_table_info(?)',
      )
      .all(this.#settings.table)
    if (rows.length === 0) return false
    this.#table = new Map(rows.map(({ name }) => [name.toLowerCase(), name]))
    this.#types.clear()
    for (const { name, type } of rows) this.#types.set(name.toLowerCase(), type)
    return true
  }

  #run(what: string, sql: string): void {
    try {
      this.#database.exec(sql)
    } catch (error) {
      throw new SqliteError(`${what}: ${toError(error).message}`, {
        code: 'SQLITE_WRITE',
        cause: error,
      })
    }
  }
}

function caseClash(table: string, names: string) {
  return new SqliteError(
    `${names} for table "${table}" differ only in letter case; ` +
      'SQLite column names ignore case',
    { code: 'SQLITE_IDENTIFIER' },
  )
}

function onlyCaseMatches(table: string, key: string, existing: string) {
  return new SqliteError(
    `record field "${key}" matches column "${existing}" of table "${table}" only when ` +
      'ignoring letter case; rename the field',
    { code: 'SQLITE_UNKNOWN_COLUMN' },
  )
}

function unknownField(table: string, key: string, columns: ReadonlyMap<string, string>) {
  return new SqliteError(
    `record field "${key}" is not a column of table "${table}" (columns: ` +
      `${[...columns.values()].join(', ')}); set onUnknownColumn to 'ignore' to drop such ` +
      `fields or 'add' to add the column`,
    { code: 'SQLITE_UNKNOWN_COLUMN' },
  )
}
