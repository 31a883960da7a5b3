import { AsyncExecutor, AsyncGraph, GraphflowError } from '@graphflow/core'
import { memoryLogger, runNode } from '@graphflow/testkit'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { errorsOf, readRows, tempFile } from '../test/helpers.js'
import { SqliteError, SqliteRowError } from './sqlite-error.js'
import { sqliteSink } from './sqlite-sink.js'

const INJECTION = 'x"; DROP TABLE y; --'

function createVictim(file: string): void {
  const database = new Database(file)
  database.exec('CREATE TABLE y (a)')
  database.close()
}

function count(file: string, table: string): number {
  return readRows<{ n: number }>(file, `SELECT count(*) AS n FROM "${table}"`)[0]?.n ?? -1
}

describe('sqliteSink identifiers', () => {
  it('rejects an injected table name in the factory, naming it', () => {
    let thrown: unknown
    try {
      sqliteSink({ path: 'never-opened.db', table: INJECTION })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(GraphflowError)
    expect(thrown).toMatchObject({ code: 'SQLITE_IDENTIFIER', scope: 'sqlite' })
    expect((thrown as Error).message).toBe(
      '[graphflow] [sqlite] invalid table name "x\\"; DROP TABLE y; --": expected an ASCII letter ' +
        'or "_" followed by letters, digits or "_" (pattern /^[A-Za-z_][A-Za-z0-9_]*$/)',
    )
  })

  it('rejects reserved and injected names in columns and primaryKey', () => {
    expect(() => sqliteSink({ path: 'a.db', table: 'sqlite_master' })).toThrow('reserved by SQLite')
    expect(() => sqliteSink({ path: 'a.db', table: 't', columns: [INJECTION] })).toThrow(
      /invalid column name .* in option "columns"/,
    )
    expect(() => sqliteSink({ path: 'a.db', table: 't', primaryKey: 'a b' })).toThrow(
      'invalid column name "a b" in option "primaryKey"',
    )
  })

  it('rejects a record field with an injected name and leaves other tables alone', async () => {
    const file = await tempFile()
    createVictim(file)
    const { report } = await runNode(sqliteSink({ path: file, table: 't' }), {
      inputs: [{ a: 1, [INJECTION]: 2 }, { a: 3 }],
    })
    const [error] = errorsOf(report, 'sqliteSink')
    expect(error).toMatchObject({ code: 'SQLITE_IDENTIFIER' })
    expect(error?.message).toContain(
      `invalid column name "x\\"; DROP TABLE y; --" (a record field for table "t")`,
    )
    expect(count(file, 'y')).toBe(0)
    expect(readRows(file, 'SELECT * FROM t')).toEqual([{ a: 3 }])
  })

  it("rejects an injected field name in mode onUnknownColumn: 'add' too", async () => {
    const file = await tempFile()
    createVictim(file)
    const sink = sqliteSink({ path: file, table: 't', columns: ['a'], onUnknownColumn: 'add' })
    const { report } = await runNode(sink, { inputs: [{ a: 1 }, { a: 2, [INJECTION]: 1 }] })
    expect(errorsOf(report, 'sqliteSink')[0]).toMatchObject({ code: 'SQLITE_IDENTIFIER' })
    expect(count(file, 'y')).toBe(0)
    expect(readRows(file, "SELECT name FROM pragma_table_info('t')")).toEqual([{ name: 'a' }])
  })
})

describe('sqliteSink unknown columns', () => {
  const records = [
    { id: 1, name: 'a' },
    [{ id: 2, name: 'b' }],
    { id: 3, name: 'c', extra: true },
    { id: 4, name: 'd' },
  ]

  it('fails the call by default, naming the field and the table', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 'things', batchSize: 1 })
    const { report } = await runNode(sink, { inputs: records })
    const errors = errorsOf(report, 'sqliteSink')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'SQLITE_UNKNOWN_COLUMN', scope: 'sqlite' })
    expect(errors[0]?.message).toBe(
      '[graphflow] [sqlite] record field "extra" is not a column of table "things" (columns: id, name); ' +
        "set onUnknownColumn to 'ignore' to drop such fields or 'add' to add the column",
    )
    expect(readRows(file, 'SELECT id FROM things ORDER BY id')).toEqual([
      { id: 1 },
      { id: 2 },
      { id: 4 },
    ])
    expect(sink.stats).toMatchObject({ rowsAccepted: 3, records: 3 })
  })

  it('rejects a whole array when one of its records has an unknown field', async () => {
    const file = await tempFile()
    const { report } = await runNode(sqliteSink({ path: file, table: 'things', columns: ['id'] }), {
      inputs: [[{ id: 1 }, { id: 2, oops: 1 }, { id: 3 }], { id: 4 }],
    })
    expect(errorsOf(report, 'sqliteSink')[0]?.message).toContain(
      'record 1 of the 3 in this call: record field "oops" is not a column of table "things"',
    )
    expect(readRows(file, 'SELECT id FROM things')).toEqual([{ id: 4 }])
  })

  it("drops unknown fields with 'ignore'", async () => {
    const file = await tempFile()
    const sink = sqliteSink({
      path: file,
      table: 'things',
      onUnknownColumn: 'ignore',
      batchSize: 1,
    })
    const { report } = await runNode(sink, { inputs: records })
    expect(errorsOf(report, 'sqliteSink')).toEqual([])
    expect(readRows(file, 'SELECT * FROM things ORDER BY id')).toHaveLength(4)
    expect(readRows(file, "SELECT name FROM pragma_table_info('things')")).toHaveLength(2)
  })

  it("adds the column with 'add', typed from the value, and keeps earlier rows", async () => {
    const file = await tempFile()
    const { report } = await runNode(
      sqliteSink({ path: file, table: 'things', onUnknownColumn: 'add', batchSize: 1 }),
      { inputs: records },
    )
    expect(errorsOf(report, 'sqliteSink')).toEqual([])
    expect(readRows(file, 'SELECT * FROM things ORDER BY id')).toEqual([
      { id: 1, name: 'a', extra: null },
      { id: 2, name: 'b', extra: null },
      { id: 3, name: 'c', extra: 1 },
      { id: 4, name: 'd', extra: null },
    ])
    expect(
      readRows(file, "SELECT type FROM pragma_table_info('things') WHERE name = 'extra'"),
    ).toEqual([{ type: 'INTEGER' }])
  })

  it('fails on a field that matches a column only when ignoring letter case', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 't', onUnknownColumn: 'ignore', batchSize: 1 })
    const { report } = await runNode(sink, { inputs: [{ id: 1 }, { ID: 2 }] })
    expect(errorsOf(report, 'sqliteSink')[0]).toMatchObject({ code: 'SQLITE_UNKNOWN_COLUMN' })
    expect(errorsOf(report, 'sqliteSink')[0]?.message).toContain(
      'record field "ID" matches column "id" of table "t" only when ignoring letter case',
    )
  })

  it('fails on fields of the first records that differ only in letter case', async () => {
    const file = await tempFile()
    const { report } = await runNode(sqliteSink({ path: file, table: 't' }), {
      inputs: [{ id: 1 }, { ID: 2 }],
    })
    expect(errorsOf(report, 'sqliteSink')[0]).toMatchObject({ code: 'SQLITE_IDENTIFIER' })
    expect(errorsOf(report, 'sqliteSink')[0]?.message).toBe(
      '[graphflow] [sqlite] record fields "id" and "ID" for table "t" differ only in letter case; SQLite column names ignore case',
    )
    expect(readRows(file, 'SELECT id FROM t')).toEqual([{ id: 1 }])
  })

  it('fails open() when a declared column is not in an existing table', async () => {
    const file = await tempFile()
    createVictim(file)
    const { report } = await runNode(sqliteSink({ path: file, table: 'y', columns: ['a', 'b'] }), {
      inputs: [{ a: 1 }],
    })
    expect(errorsOf(report, 'sqliteSink')[0]).toMatchObject({ code: 'SQLITE_UNKNOWN_COLUMN' })
    expect(errorsOf(report, 'sqliteSink')[0]?.message).toContain(
      'declared column "b" is not a column of table "y"',
    )
  })
})

describe('sqliteSink bad rows', () => {
  it('commits the good rows of a batch and reports each refused row with its indexes', async () => {
    const file = await tempFile()
    const sink = sqliteSink({
      path: file,
      table: 'users',
      columns: { id: 'INTEGER', email: 'TEXT NOT NULL UNIQUE' },
      primaryKey: 'id',
      batchSize: 4,
    })
    const rows = [
      { id: 1, email: 'a@x' },
      { id: 2, email: 'b@x' },
      { id: 3, email: null },
      { id: 4, email: 'a@x' },
      { id: 5, email: 'e@x' },
      { id: 6, email: 'f@x' },
    ]
    const { report } = await runNode(sink, { inputs: rows })
    const errors = errorsOf(report, 'sqliteSink')
    expect(errors).toHaveLength(1)
    const error = errors[0] as SqliteRowError
    expect(error).toBeInstanceOf(SqliteRowError)
    expect(error).toMatchObject({ code: 'SQLITE_WRITE', scope: 'sqlite', table: 'users' })
    expect(error.message).toBe(
      '[graphflow] [sqlite] table "users" refused 2 rows (the 2 other rows of the batch were committed): ' +
        'row 2 of batch 1 (row 2 of the run): NOT NULL constraint failed: users.email; ' +
        'row 3 of batch 1 (row 3 of the run): UNIQUE constraint failed: users.email',
    )
    expect(
      error.rows.map(({ batch, batchIndex, runIndex, record }) => ({
        batch,
        batchIndex,
        runIndex,
        record,
      })),
    ).toEqual([
      { batch: 1, batchIndex: 2, runIndex: 2, record: rows[2] },
      { batch: 1, batchIndex: 3, runIndex: 3, record: rows[3] },
    ])
    expect(error.cause).toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' })
    expect(readRows(file, 'SELECT id FROM users ORDER BY id')).toEqual([
      { id: 1 },
      { id: 2 },
      { id: 5 },
      { id: 6 },
    ])
    expect(sink.stats).toEqual({
      records: 4,
      rowsAccepted: 6,
      rowsWritten: 4,
      rowsRejected: 2,
      batchesCommitted: 2,
    })
  })

  it('reports a refused row of the last batch from close()', async () => {
    const file = await tempFile()
    const sink = sqliteSink({
      path: file,
      table: 'u',
      columns: { id: 'INTEGER' },
      primaryKey: 'id',
    })
    const { report } = await runNode(sink, { inputs: [{ id: 1 }, { id: 1 }, { id: 2 }] })
    const [error] = errorsOf(report, 'sqliteSink')
    expect(error).toBeInstanceOf(SqliteRowError)
    expect(error?.message).toContain(
      'row 1 of batch 1 (row 1 of the run): UNIQUE constraint failed: u.id',
    )
    // Guards the error shape: a row error is a SqliteError with code and unprefixed text.
    expect(error).toBeInstanceOf(SqliteError)
    expect(error).toMatchObject({ name: 'SqliteRowError', code: 'SQLITE_WRITE', scope: 'sqlite' })
    expect(error?.message).toBe(`[graphflow] [sqlite] ${(error as SqliteError).text}`)
    expect(readRows(file, 'SELECT id FROM u ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }])
  })

  // Guards the one error shape: SqliteRowError takes (message, { table, rows, cause? }) like every graphflow error.
  it('builds a SqliteRowError from a message and its details', () => {
    const refused = new Error('UNIQUE constraint failed: u.id')
    const row = { batch: 1, batchIndex: 0, runIndex: 4, record: { id: 1 }, error: refused }
    const error = new SqliteRowError('table "u" refused 1 row', { table: 'u', rows: [row] })
    expect(error).toBeInstanceOf(SqliteError)
    expect(error).toMatchObject({ code: 'SQLITE_WRITE', table: 'u', rows: [row], cause: refused })
    expect(error.message).toBe('[graphflow] [sqlite] table "u" refused 1 row')
  })

  it('reports a value SQLite cannot store as a refused row', async () => {
    const file = await tempFile()
    const circular: Record<string, unknown> = {}
    circular.self = circular
    const { report } = await runNode(sqliteSink({ path: file, table: 't' }), {
      inputs: [
        { a: 1, b: 'x' },
        { a: 2, b: circular },
        { a: 3, b: new Date(Number.NaN) },
      ],
    })
    const error = errorsOf(report, 'sqliteSink')[0] as SqliteRowError
    expect(error.rows.map((row) => row.runIndex)).toEqual([1, 2])
    expect(error.rows[1]?.error.message).toBe('column "b": cannot store an invalid Date')
    expect(readRows(file, 'SELECT a FROM t')).toEqual([{ a: 1 }])
  })
  it('rolls back and reports a whole batch when SQLite ends the transaction', async () => {
    const file = await tempFile()
    const database = new Database(file)
    database.exec(`CREATE TABLE t (a INTEGER);
      CREATE TRIGGER no_three BEFORE INSERT ON t WHEN NEW.a = 3 BEGIN SELECT RAISE(ROLLBACK, 'no three'); END;`)
    database.close()
    const sink = sqliteSink({ path: file, table: 't', batchSize: 2 })
    const { report } = await runNode(sink, {
      inputs: [{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }, { a: 5 }],
    })
    const errors = errorsOf(report, 'sqliteSink')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'SQLITE_WRITE' })
    expect(errors[0]?.message).toBe(
      '[graphflow] [sqlite] cannot write batch 2 to table "t": no three; its 2 rows ' +
        '(rows 2-3 of the run) were rolled back, not written',
    )
    expect(readRows(file, 'SELECT a FROM t ORDER BY a')).toEqual([{ a: 1 }, { a: 2 }, { a: 5 }])
    expect(sink.stats).toEqual({
      records: 3,
      rowsAccepted: 5,
      rowsWritten: 3,
      rowsRejected: 2,
      batchesCommitted: 2,
    })
  })

  it('refuses one row when a trigger aborts its statement only', async () => {
    const file = await tempFile()
    const database = new Database(file)
    database.exec(`CREATE TABLE t (a INTEGER);
      CREATE TRIGGER no_three BEFORE INSERT ON t WHEN NEW.a = 3 BEGIN SELECT RAISE(ABORT, 'no three'); END;`)
    database.close()
    const { report } = await runNode(sqliteSink({ path: file, table: 't' }), {
      inputs: [[{ a: 1 }, { a: 3 }, { a: 4 }]],
    })
    expect(errorsOf(report, 'sqliteSink')[0]).toBeInstanceOf(SqliteRowError)
    expect(readRows(file, 'SELECT a FROM t ORDER BY a')).toEqual([{ a: 1 }, { a: 4 }])
  })
})

describe('sqliteSink modes', () => {
  it('upserts: updates existing rows and inserts new ones', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 'stock', primaryKey: 'sku', mode: 'upsert' })
    await runNode(sink, {
      inputs: [
        { sku: 'a', qty: 1, note: 'first' },
        { sku: 'b', qty: 2, note: 'first' },
      ],
    })
    await runNode(sink, {
      inputs: [
        { sku: 'a', qty: 10, note: 'second' },
        { sku: 'c', qty: 3, note: 'second' },
      ],
    })
    expect(readRows(file, 'SELECT * FROM stock ORDER BY sku')).toEqual([
      { sku: 'a', qty: 10, note: 'second' },
      { sku: 'b', qty: 2, note: 'first' },
      { sku: 'c', qty: 3, note: 'second' },
    ])
    expect(readRows(file, "SELECT name FROM pragma_table_info('stock') WHERE pk > 0")).toEqual([
      { name: 'sku' },
    ])
  })

  it('upserts on a composite key, within one batch too', async () => {
    const file = await tempFile()
    const sink = sqliteSink({
      path: file,
      table: 'scores',
      primaryKey: ['player', 'game'],
      mode: 'upsert',
    })
    await runNode(sink, {
      inputs: [
        [
          { player: 'p', game: 1, points: 1 },
          { player: 'p', game: 2, points: 2 },
          { player: 'p', game: 1, points: 5 },
        ],
      ],
    })
    expect(readRows(file, 'SELECT * FROM scores ORDER BY game')).toEqual([
      { player: 'p', game: 1, points: 5 },
      { player: 'p', game: 2, points: 2 },
    ])
  })

  it('replaces rows with mode replace', async () => {
    const file = await tempFile()
    const sink = sqliteSink({
      path: file,
      table: 'kv',
      columns: { k: 'TEXT', v: 'TEXT' },
      primaryKey: 'k',
      mode: 'replace',
    })
    await runNode(sink, {
      inputs: [
        { k: 'a', v: '1' },
        { k: 'a', v: '2' },
      ],
    })
    expect(readRows(file, 'SELECT * FROM kv')).toEqual([{ k: 'a', v: '2' }])
  })

  it('fails open() when an existing table has no unique key to upsert on', async () => {
    const file = await tempFile()
    createVictim(file)
    const { report } = await runNode(
      sqliteSink({ path: file, table: 'y', primaryKey: 'a', mode: 'upsert' }),
      { inputs: [{ a: 1 }] },
    )
    expect(report.halted).toBe(true)
    const [error] = errorsOf(report, 'sqliteSink')
    expect(error).toMatchObject({ code: 'SQLITE_WRITE' })
    expect(error?.message).toContain(
      'cannot upsert into table "y": ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint',
    )
  })

  // Guards: upsert SQL broke on a table named "excluded" (the name of ON CONFLICT's row).
  it('upserts into a table named "excluded"', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 'excluded', primaryKey: 'id', mode: 'upsert' })
    const { report } = await runNode(sink, {
      inputs: [
        { id: 1, a: 'old' },
        { id: 1, a: 'new' },
      ],
    })
    expect(report.exceptions[sink.name]).toEqual([])
    expect(readRows(file, 'SELECT id, a FROM excluded')).toEqual([{ id: 1, a: 'new' }])
  })

  // Guards: an upsert of a record without its key inserted a new row on every run.
  it('rejects a record without its primary key instead of inserting it again on every run', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 'items', primaryKey: 'id', mode: 'upsert' })
    const items = [{ id: 1, name: 'a' }, { name: 'no key' }, { id: null, name: 'null key' }]
    await runNode(sink, { inputs: items })
    const { report } = await runNode(sink, { inputs: items })
    const error = report.exceptions[sink.name]?.[0]
    expect(error?.message).toMatch(/upsert needs the primary key "id"/)
    expect(readRows(file, 'SELECT id, name FROM items')).toEqual([{ id: 1, name: 'a' }])
    expect(sink.stats).toMatchObject({ records: 1, rowsRejected: 2 })
  })
})

describe('sqliteSink halt and abort', () => {
  function graphWithFailure(file: string, options: { failAt: number; total: number }) {
    const graph = new AsyncGraph()
    const sink = sqliteSink({ path: file, table: 'events', batchSize: 1_000_000 })
    const source = graph.addNode(async function* source() {
      for (let id = 0; id < options.total; id++) yield { id, payload: `event ${id}` }
    })
    const stored = graph.addNode(sink)
    const checker = graph.addNode(
      async function* checker(record: { id: number }) {
        if (record.id === options.failAt) throw new Error('checker failed')
      },
      { haltOnException: true },
    )
    graph.addEdge(source, stored)
    graph.addEdge(source, checker)
    return { graph, sink }
  }

  it('commits every accepted row in close() when another node halts the run', async () => {
    const file = await tempFile()
    const { graph, sink } = graphWithFailure(file, { failAt: 500, total: 100_000 })
    const report = await new AsyncExecutor(graph, { logger: memoryLogger() }).execute()
    expect(report.halted).toBe(true)
    expect(report.haltedBy).toBe('checker')
    expect(sink.stats.rowsAccepted).toBeGreaterThan(0)
    expect(sink.stats.rowsAccepted).toBeLessThan(100_000)
    expect(sink.stats.batchesCommitted).toBe(1)
    expect(count(file, 'events')).toBe(sink.stats.rowsAccepted)
    expect(sink.stats.records).toBe(sink.stats.rowsAccepted)
  })

  it('commits every accepted row in close() when the run is aborted', async () => {
    const file = await tempFile()
    const graph = new AsyncGraph()
    const controller = new AbortController()
    const sink = sqliteSink({ path: file, table: 'events', batchSize: 1_000_000 })
    const source = graph.addNode(async function* source() {
      for (let id = 0; id < 1_000_000; id++) {
        if (sink.stats.rowsAccepted >= 2000) controller.abort()
        yield [{ id }, { id: -id - 1 }]
        if (id % 100 === 0) await new Promise((resolve) => setImmediate(resolve))
      }
    })
    graph.addEdge(source, graph.addNode(sink))
    const report = await new AsyncExecutor(graph, { logger: memoryLogger() }).execute({
      signal: controller.signal,
    })
    expect(report.aborted).toBe(true)
    expect(sink.stats.rowsAccepted).toBeGreaterThanOrEqual(2000)
    expect(sink.stats.rowsAccepted).toBeLessThan(2_000_000)
    expect(sink.stats.batchesCommitted).toBe(1)
    expect(count(file, 'events')).toBe(sink.stats.rowsAccepted)
  })
})

describe('sqliteSink two sinks on one table', () => {
  /**
   * Two sinks on one table, both opened before either creates it (as in one graph); the first
   * writes { id: 1, a } and creates the table, then the second writes { id: 2, b }.
   */
  async function writeBoth(
    file: string,
    onUnknownColumn: 'error' | 'ignore' | 'add',
  ): Promise<unknown[]> {
    const first = sqliteSink({ path: file, table: 't', onUnknownColumn, batchSize: 1 })
    const second = sqliteSink({ path: file, table: 't', onUnknownColumn, batchSize: 1 })
    const context = { signal: new AbortController().signal } as never
    await first.open?.(context)
    await second.open?.(context)
    const errors: unknown[] = []
    for (const [sink, record] of [
      [first, { id: 1, a: 'a' }],
      [second, { id: 2, b: 'b' }],
    ] as const) {
      try {
        for await (const _ of sink.fn(record)) {
          // a sink yields nothing
        }
      } catch (error) {
        errors.push(error)
      }
    }
    await first.close?.()
    await second.close?.()
    return errors
  }

  // guards: the second sink's ALTER TABLE failed with "duplicate column name"
  it("writes a column another sink added since it read the table, with 'add'", async () => {
    const file = await tempFile()
    const database = new Database(file)
    database.exec('CREATE TABLE t (id INTEGER)')
    database.close()
    const first = sqliteSink({ path: file, table: 't', onUnknownColumn: 'add', batchSize: 1 })
    const second = sqliteSink({ path: file, table: 't', onUnknownColumn: 'add', batchSize: 1 })
    const context = { signal: new AbortController().signal } as never
    await first.open?.(context)
    await second.open?.(context)
    for await (const _ of first.fn({ id: 1, a: 'first' })) {
      // a sink yields nothing
    }
    for await (const _ of second.fn({ id: 2, a: 'second' })) {
      // a sink yields nothing
    }
    await first.close?.()
    await second.close?.()
    expect(readRows(file, 'SELECT * FROM t ORDER BY id')).toEqual([
      { id: 1, a: 'first' },
      { id: 2, a: 'second' },
    ])
  })

  // guards: CREATE TABLE IF NOT EXISTS did nothing and the second sink's batch was rolled back
  it("adds the second sink's columns to the table the first one created, with 'add'", async () => {
    const file = await tempFile()
    expect(await writeBoth(file, 'add')).toEqual([])
    expect(readRows(file, 'SELECT * FROM t ORDER BY id')).toEqual([
      { id: 1, a: 'a', b: null },
      { id: 2, a: null, b: 'b' },
    ])
  })

  it("drops the second sink's unknown fields with 'ignore'", async () => {
    const file = await tempFile()
    expect(await writeBoth(file, 'ignore')).toEqual([])
    expect(readRows(file, 'SELECT * FROM t ORDER BY id')).toEqual([
      { id: 1, a: 'a' },
      { id: 2, a: null },
    ])
  })

  it("fails the second sink's batch naming the field with 'error', without claiming a rollback", async () => {
    const file = await tempFile()
    const errors = await writeBoth(file, 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'SQLITE_WRITE' })
    expect((errors[0] as Error).message).toBe(
      '[graphflow] [sqlite] cannot write batch 1 to table "t": record field "b" is not a column of ' +
        "table \"t\" (columns: id, a); set onUnknownColumn to 'ignore' to drop such fields or 'add' " +
        'to add the column; its 1 row (row 0 of the run) was not written',
    )
    expect(readRows(file, 'SELECT * FROM t')).toEqual([{ id: 1, a: 'a' }])
  })
})

describe('sqliteSink refused calls change no schema', () => {
  // guards: a refused call ran ALTER TABLE ADD COLUMN for a field of a record it did not accept
  it('adds no column for a call refused as a whole', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 't', onUnknownColumn: 'add', batchSize: 1 })
    const { report } = await runNode(sink, {
      inputs: [{ id: 1 }, [{ id: 2, extra: 'x' }, 'not a record'], { id: 3 }],
    })
    expect(errorsOf(report, sink.name)[0]?.message).toContain(
      'record 1 of the 2 in this call: expected a record (an object), got "not a record"; none of them was accepted',
    )
    expect(readRows(file, "SELECT name FROM pragma_table_info('t')")).toEqual([{ name: 'id' }])
    expect(readRows(file, 'SELECT id FROM t ORDER BY id')).toEqual([{ id: 1 }, { id: 3 }])
  })

  // guards: a refused call left a planned column behind in the table created later
  it('plans no column for a call refused as a whole', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 't' })
    const { report } = await runNode(sink, {
      inputs: [
        [
          { id: 1, planned: 'x' },
          { id: 2, 'bad name': 1 },
        ],
        { id: 3 },
      ],
    })
    expect(errorsOf(report, sink.name)[0]).toMatchObject({ code: 'SQLITE_IDENTIFIER' })
    expect(readRows(file, "SELECT name FROM pragma_table_info('t')")).toEqual([{ name: 'id' }])
    expect(readRows(file, 'SELECT id FROM t')).toEqual([{ id: 3 }])
  })

  // guards: 'id' vs 'ID' gave a rolled-back batch with "duplicate column name"
  it('refuses a field that differs from the primary key only in letter case', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 't', primaryKey: 'id' })
    const { report } = await runNode(sink, { inputs: [{ ID: 1, name: 'a' }] })
    expect(errorsOf(report, sink.name)).toHaveLength(1)
    expect(errorsOf(report, sink.name)[0]).toMatchObject({ code: 'SQLITE_IDENTIFIER' })
    expect(errorsOf(report, sink.name)[0]?.message).toBe(
      '[graphflow] [sqlite] primary key "id" and record field "ID" for table "t" differ only in ' +
        'letter case; SQLite column names ignore case',
    )
    expect(readRows(file, "SELECT name FROM sqlite_master WHERE name = 't'")).toEqual([])
  })
})

describe('sqliteSink primary key', () => {
  // guards: a typo created a table keyed on a column no record has, then refused every row
  it('refuses a primary key that no field of the first records has, naming the fields', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 't', primaryKey: 'idd', mode: 'upsert' })
    const { report } = await runNode(sink, {
      inputs: [
        [
          { id: 1, name: 'a' },
          { id: 2, name: 'b' },
        ],
      ],
    })
    const errors = errorsOf(report, sink.name)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'SQLITE_UNKNOWN_COLUMN' })
    expect(errors[0]?.message).toBe(
      '[graphflow] [sqlite] primary key "idd" of table "t" is not a field of the first records ' +
        '(fields: id, name); check its spelling, or declare the key column in "columns"; none of ' +
        'the 2 records in this call was accepted',
    )
    expect(readRows(file, "SELECT name FROM sqlite_master WHERE name = 't'")).toEqual([])
    expect(sink.stats).toMatchObject({ rowsAccepted: 0, records: 0 })
  })

  it('fails open() when the primary key is not a column of the existing table', async () => {
    const file = await tempFile()
    createVictim(file)
    const { report } = await runNode(sqliteSink({ path: file, table: 'y', primaryKey: 'idd' }), {
      inputs: [{ a: 1 }],
    })
    expect(errorsOf(report, 'sqliteSink')[0]).toMatchObject({ code: 'SQLITE_UNKNOWN_COLUMN' })
    expect(errorsOf(report, 'sqliteSink')[0]?.message).toBe(
      '[graphflow] [sqlite] primary key "idd" is not a column of table "y" (columns: a)',
    )
    expect(count(file, 'y')).toBe(0)
  })

  // guards: the refusal said "the other rows of the batch were committed" when none were
  it('says that no row was committed when every row of the batch was refused', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 't', primaryKey: 'id', mode: 'upsert' })
    const { report } = await runNode(sink, { inputs: [[{ id: 1 }, { id: null }]] })
    expect(errorsOf(report, sink.name)[0]?.message).toContain(
      'table "t" refused 1 row (the 1 other row of the batch was committed)',
    )
    const { report: again } = await runNode(sink, { inputs: [[{ id: null }, { id: undefined }]] })
    expect(errorsOf(again, sink.name)[0]?.message).toContain(
      'table "t" refused 2 rows (no row of the batch was committed)',
    )
  })
})
