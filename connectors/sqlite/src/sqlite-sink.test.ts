import { writeFile } from 'node:fs/promises'
import { AsyncExecutor, AsyncGraph, checkpoint, GraphflowError } from '@graphflow/core'
import { memoryLogger, runNode } from '@graphflow/testkit'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { errorsOf, readRows, tempFile } from '../test/helpers.js'
import { sqliteSink } from './sqlite-sink.js'

describe('sqliteSink', () => {
  it('creates the table from the first records and writes records and arrays of records', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 'people', batchSize: 2 })
    const { report } = await runNode(sink, {
      inputs: [
        { id: 1, name: 'Ada', score: 1.5 },
        [
          { id: 2, name: 'Grace', score: 2 },
          { id: 3, name: 'Linus', score: null },
        ],
        { id: 4, name: 'Barbara' },
      ],
    })
    expect(errorsOf(report, 'sqliteSink')).toEqual([])
    expect(readRows(file, 'SELECT * FROM people ORDER BY id')).toEqual([
      { id: 1, name: 'Ada', score: 1.5 },
      { id: 2, name: 'Grace', score: 2 },
      { id: 3, name: 'Linus', score: null },
      { id: 4, name: 'Barbara', score: null },
    ])
    const columns = readRows<{ name: string; type: string }>(
      file,
      "SELECT name, type FROM pragma_table_info('people')",
    )
    expect(columns).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'name', type: 'TEXT' },
      { name: 'score', type: 'REAL' },
    ])
    expect(sink.stats).toEqual({
      records: 4,
      rowsAccepted: 4,
      rowsWritten: 4,
      rowsRejected: 0,
      batchesCommitted: 2,
    })
  })

  // Guards the naming convention: the factory's name by default, `path`, and `records` stored.
  it("is named 'sqliteSink' by default and counts the records it stored in stats.records", async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 't', batchSize: 2 })
    expect(sink.name).toBe('sqliteSink')
    const warnings: string[] = []
    const logger = { info() {}, error() {}, warn: (line: string) => warnings.push(line) }
    const { report } = await runNode(sink, { inputs: [{ a: 1 }, [{ a: 2 }, { a: 3 }]], logger })
    expect(report.dataFlowStats.sqliteSink).toMatchObject({ in: 2, err: 0 })
    expect(readRows(file, 'SELECT count(*) AS n FROM t')).toEqual([{ n: 3 }])
    expect(sink.stats.records).toBe(3)
    expect(warnings).toEqual([])
  })

  // Guards the deprecated aliases: `file` still works and warns once per spec; `rowsWritten` too.
  it('still takes the deprecated "file" option and rowsWritten, warning once through warn', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ file, table: 't' })
    const warnings: string[] = []
    const logger = { info() {}, error() {}, warn: (line: string) => warnings.push(line) }
    await runNode(sink, { inputs: [{ a: 1 }], logger })
    await runNode(sink, { inputs: [{ a: 2 }, { a: 3 }], logger })
    expect(readRows(file, 'SELECT a FROM t ORDER BY a')).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }])
    expect(warnings).toEqual([
      `[graphflow] [sqlite] sqliteSink: option "file" of sqliteSink is deprecated, use "path" (same meaning): { path: ${JSON.stringify(file)} }`,
    ])
    expect(sink.stats.rowsWritten).toBe(2)
    expect(sink.stats.rowsWritten).toBe(sink.stats.records)
    // A copy keeps the old key too (it is an enumerable getter).
    expect(JSON.parse(JSON.stringify(sink.stats))).toMatchObject({ records: 2, rowsWritten: 2 })
  })

  // Guards the fallback: a logger without `warn` gets the deprecation through `info`.
  it('logs the "file" deprecation through info when the logger has no warn', async () => {
    const file = await tempFile()
    const logger = memoryLogger()
    const { report } = await runNode(sqliteSink({ file, table: 't', name: 'store' }), {
      inputs: [{ a: 1 }],
      logger,
    })
    expect(errorsOf(report, 'store')).toEqual([])
    expect(logger.infos.filter((line) => line.includes('deprecated'))).toEqual([
      `[graphflow] [sqlite] store: option "file" of sqliteSink is deprecated, use "path" (same meaning): { path: ${JSON.stringify(file)} }`,
    ])
  })

  it('opens the file it opens in WAL mode', async () => {
    const file = await tempFile()
    await runNode(sqliteSink({ path: file, table: 't' }), { inputs: [{ a: 1 }] })
    const database = new Database(file)
    expect(database.pragma('journal_mode', { simple: true })).toBe('wal')
    database.close()
  })

  it('converts booleans, dates, nested objects, arrays, bigints and bytes', async () => {
    const file = await tempFile()
    const when = new Date('2024-05-06T07:08:09.010Z')
    const record = {
      active: true,
      deleted: false,
      when,
      address: { city: 'Paris', tags: ['a', 'b'] },
      list: [1, 2, 3],
      big: 2n ** 60n,
      bytes: Buffer.from([1, 2, 3]),
      nothing: null,
      missing: undefined,
    }
    await runNode(sqliteSink({ path: file, table: 'values_' }), { inputs: [record] })
    const [row] = readRows(file, 'SELECT * FROM values_')
    expect(row).toEqual({
      active: 1,
      deleted: 0,
      when: '2024-05-06T07:08:09.010Z',
      address: '{"city":"Paris","tags":["a","b"]}',
      list: '[1,2,3]',
      big: 2 ** 60,
      bytes: Buffer.from([1, 2, 3]),
      nothing: null,
    })
    const types = readRows<{ name: string; type: string }>(
      file,
      "SELECT name, type FROM pragma_table_info('values_')",
    )
    expect(Object.fromEntries(types.map(({ name, type }) => [name, type]))).toEqual({
      active: 'INTEGER',
      deleted: 'INTEGER',
      when: 'TEXT',
      address: 'TEXT',
      list: 'TEXT',
      big: 'INTEGER',
      bytes: 'BLOB',
      nothing: '',
    })
    const exact = new Database(file, { readonly: true })
    expect(exact.prepare('SELECT big FROM values_').safeIntegers(true).get()).toEqual({
      big: 2n ** 60n,
    })
    exact.close()
  })

  it('creates the table from declared column types, in their order, with a primary key', async () => {
    const file = await tempFile()
    const sink = sqliteSink({
      path: file,
      table: 'items',
      columns: { id: 'INTEGER', label: 'TEXT NOT NULL', price: 'DECIMAL(10, 2)' },
      primaryKey: 'id',
    })
    await runNode(sink, { inputs: [{ label: 'pen', price: 1.25, id: 7 }] })
    const sql = readRows<{ sql: string }>(
      file,
      "SELECT sql FROM sqlite_master WHERE name = 'items'",
    )
    expect(sql[0]?.sql).toBe(
      'CREATE TABLE "items" ("id" INTEGER, "label" TEXT NOT NULL, "price" DECIMAL(10, 2), PRIMARY KEY ("id"))',
    )
    expect(readRows(file, 'SELECT * FROM items')).toEqual([{ id: 7, label: 'pen', price: 1.25 }])
  })

  it('creates a declared table even when no record arrives', async () => {
    const file = await tempFile()
    await runNode(sqliteSink({ path: file, table: 'empty', columns: ['a', 'b'] }), { inputs: [] })
    expect(readRows(file, "SELECT name FROM pragma_table_info('empty')")).toEqual([
      { name: 'a' },
      { name: 'b' },
    ])
  })

  it('infers the types of a declared list of names from the first records', async () => {
    const file = await tempFile()
    await runNode(sqliteSink({ path: file, table: 't', columns: ['b', 'a'] }), {
      inputs: [{ a: 'x', b: 2 }],
    })
    expect(readRows(file, "SELECT name, type FROM pragma_table_info('t')")).toEqual([
      { name: 'b', type: 'INTEGER' },
      { name: 'a', type: 'TEXT' },
    ])
  })

  it('writes into an existing table, leaving the defaults of columns the records lack', async () => {
    const file = await tempFile()
    const database = new Database(file)
    database.exec(
      `CREATE TABLE logs (id INTEGER PRIMARY KEY, message TEXT, level TEXT DEFAULT 'info')`,
    )
    database.close()
    await runNode(sqliteSink({ path: file, table: 'logs', batchSize: 1 }), {
      inputs: [{ message: 'a' }, { message: 'b', level: 'warn' }, { message: 'c' }],
    })
    expect(readRows(file, 'SELECT * FROM logs ORDER BY id')).toEqual([
      { id: 1, message: 'a', level: 'info' },
      { id: 2, message: 'b', level: 'warn' },
      { id: 3, message: 'c', level: null },
    ])
  })

  // Guards the port onto core's buffer: rows waiting in a batch when a later call starts
  // writing another column keep the columns of their time (the default here), in one batch.
  it('keeps the defaults of buffered rows when a later record writes one more column', async () => {
    const file = await tempFile()
    const database = new Database(file)
    database.exec(
      `CREATE TABLE logs (id INTEGER PRIMARY KEY, message TEXT, level TEXT DEFAULT 'info')`,
    )
    database.close()
    const sink = sqliteSink({ path: file, table: 'logs', batchSize: 10 })
    const { report } = await runNode(sink, {
      inputs: [
        { message: 'a' },
        [{ message: 'b' }, { message: 'c', level: 'warn' }],
        { message: 'd' },
      ],
    })
    expect(errorsOf(report, 'sqliteSink')).toEqual([])
    expect(readRows(file, 'SELECT * FROM logs ORDER BY id')).toEqual([
      { id: 1, message: 'a', level: 'info' },
      { id: 2, message: 'b', level: null },
      { id: 3, message: 'c', level: 'warn' },
      { id: 4, message: 'd', level: null },
    ])
    expect(sink.stats).toMatchObject({ records: 4, batchesCommitted: 1 })
  })

  // Guards work tracking: a batch counts as stored once its transaction committed, so source
  // positions advance while the run goes on (not only when close() resolves).
  it('reports positions stored as its batches commit, before the run ends', async () => {
    const file = await tempFile()
    const graph = new AsyncGraph()
    let firstStored: () => void = () => {}
    const stored = new Promise<void>((resolve) => {
      firstStored = resolve
    })
    let storedInRun = false
    const pages = graph.addNode(async function* pages() {
      for (let page = 1; page <= 3; page++) {
        yield { id: page * 10 + 1 }
        yield { id: page * 10 + 2 }
        yield checkpoint({ page })
      }
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000))
      storedInRun = await Promise.race([stored.then(() => true), timeout.then(() => false)])
    })
    const sink = sqliteSink({ path: file, table: 't', batchSize: 2 })
    graph.addEdge(pages, graph.addNode(sink))
    const executor = new AsyncExecutor(graph, { logger: memoryLogger() })
    const positions: unknown[] = []
    executor.on('position-stored', ({ position }) => {
      positions.push(position)
      firstStored()
    })
    const report = await executor.execute()
    expect(report.exceptions.sqliteSink ?? []).toEqual([])
    expect(storedInRun).toBe(true)
    expect(positions).toEqual([{ page: 1 }, { page: 2 }, { page: 3 }])
    expect(readRows(file, 'SELECT count(*) AS n FROM t')).toEqual([{ n: 6 }])
  })

  it('leaves a database it was given open, and in its journal mode', async () => {
    const database = new Database(':memory:')
    const sink = sqliteSink({ database, table: 'kept' })
    await runNode(sink, { inputs: [{ a: 1 }, { a: 2 }] })
    expect(database.open).toBe(true)
    expect(database.prepare('SELECT count(*) AS n FROM kept').get()).toEqual({ n: 2 })
    expect(database.pragma('journal_mode', { simple: true })).toBe('memory')
    await runNode(sink, { inputs: [{ a: 3 }] })
    expect(database.prepare('SELECT count(*) AS n FROM kept').get()).toEqual({ n: 3 })
    database.close()
  })

  it('fails open() with SQLITE_OPEN when the given database is closed', async () => {
    const database = new Database(':memory:')
    database.close()
    const { report } = await runNode(sqliteSink({ database, table: 't' }), { inputs: [{ a: 1 }] })
    expect(errorsOf(report, 'sqliteSink')[0]).toMatchObject({ code: 'SQLITE_OPEN' })
    expect(errorsOf(report, 'sqliteSink')[0]?.message).toBe(
      '[graphflow] [sqlite] the given database ":memory:" is closed',
    )
  })

  it('resets its stats when a spec runs again', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 't' })
    await runNode(sink, { inputs: [{ a: 1 }, { a: 2 }] })
    await runNode(sink, { inputs: [{ a: 3 }] })
    expect(sink.stats.records).toBe(1)
    expect(readRows(file, 'SELECT a FROM t ORDER BY a')).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }])
  })

  it('fails open() when the table is missing and createTable is false', async () => {
    const file = await tempFile()
    const { report } = await runNode(
      sqliteSink({ path: file, table: 'nope', createTable: false }),
      { inputs: [{ a: 1 }] },
    )
    expect(report.halted).toBe(true)
    const [error] = errorsOf(report, 'sqliteSink')
    expect(error).toBeInstanceOf(GraphflowError)
    expect(error).toMatchObject({ code: 'SQLITE_OPEN', scope: 'sqlite' })
    expect(error?.message).toBe(
      '[graphflow] [sqlite] table "nope" does not exist and "createTable" is false',
    )
  })

  it('fails open() with SQLITE_OPEN naming a file it cannot open', async () => {
    const file = `${await tempFile()}/missing-directory/x.db`
    const { report } = await runNode(sqliteSink({ path: file, table: 't' }), { inputs: [{ a: 1 }] })
    const [error] = errorsOf(report, 'sqliteSink')
    expect(error).toMatchObject({ code: 'SQLITE_OPEN' })
    expect(error?.message).toContain(`cannot open "${file}" for writing`)
  })

  it('fails open() with SQLITE_OPEN for a file that is not a database', async () => {
    const file = await tempFile('not-a-database.db')
    await writeFile(file, 'just some text, long enough to look like a header of a file'.repeat(20))
    const { report } = await runNode(sqliteSink({ path: file, table: 't' }), { inputs: [{ a: 1 }] })
    expect(errorsOf(report, 'sqliteSink')[0]).toMatchObject({ code: 'SQLITE_OPEN' })
    expect(errorsOf(report, 'sqliteSink')[0]?.message).toBe(
      `[graphflow] [sqlite] cannot open "${file}" for writing: SQLITE_NOTADB: file is not a database`,
    )
  })

  it('rejects a record that is not an object', async () => {
    const file = await tempFile()
    const { report } = await runNode(sqliteSink({ path: file, table: 't' }), {
      inputs: [{ a: 1 }, 'text', [{ a: 2 }, 5]],
    })
    const errors = errorsOf(report, 'sqliteSink')
    expect(errors.map((error) => error.message)).toEqual([
      '[graphflow] [sqlite] expected a record (an object), got "text"',
      '[graphflow] [sqlite] record 1 of the 2 in this call: expected a record (an object), got 5; none of them was accepted',
    ])
    expect(readRows(file, 'SELECT a FROM t')).toEqual([{ a: 1 }])
  })
})

describe('sqliteSink options', () => {
  it.each([
    [
      { table: 't' },
      'sqliteSink option "path": expected a database file path (or a "database" handle), got undefined',
    ],
    [
      { path: 'a.db', database: new Database(':memory:'), table: 't' },
      'sqliteSink: expected either "path" or "database", got both (path "a.db")',
    ],
    [
      { file: 'a.db', database: new Database(':memory:'), table: 't' },
      'sqliteSink: expected either "file" or "database", got both (file "a.db")',
    ],
    [
      { path: 'a.db', file: 'a.db', table: 't' },
      'sqliteSink: expected "path" or "file" (its deprecated alias), got both (path "a.db", file "a.db")',
    ],
    [{ file: '', table: 't' }, 'sqliteSink option "file": expected a database file path'],
    [
      { database: {}, table: 't' },
      'sqliteSink option "database": expected an open better-sqlite3 Database, got an object',
    ],
    [{ path: 'a.db', table: 5 }, 'sqliteSink option "table": expected a table name, got 5'],
    [
      { path: 'a.db', table: 't', mode: 'upsert' },
      `sqliteSink option "primaryKey": expected the conflict target of mode 'upsert' (a column name or a list of names), got undefined`,
    ],
    [
      { path: 'a.db', table: 't', mode: 'merge' },
      `sqliteSink option "mode": expected one of "insert", "replace", "upsert", got "merge"`,
    ],
    [
      { path: 'a.db', table: 't', batchSize: 0 },
      'sqliteSink option "batchSize": expected an integer >= 1, got 0',
    ],
    [
      { path: 'a.db', table: 't', onUnknownColumn: 'drop' },
      `sqliteSink option "onUnknownColumn": expected one of "error", "ignore", "add", got "drop"`,
    ],
    [
      { path: 'a.db', table: 't', createTable: 'yes' },
      'sqliteSink option "createTable": expected a boolean, got "yes"',
    ],
    [
      { path: 'a.db', table: 't', columns: [] },
      'sqliteSink option "columns": expected at least one column, got an array',
    ],
    [
      { path: 'a.db', table: 't', columns: ['a', 'A'] },
      'sqliteSink option "columns": expected distinct names, got "a" and "A" (SQLite column names ignore letter case)',
    ],
    [
      { path: 'a.db', table: 't', columns: { a: 'TEXT); DROP TABLE t; --' } },
      'sqliteSink option "columns.a": expected a SQLite column type',
    ],
    [
      { path: 'a.db', table: 't', columns: ['a'], primaryKey: 'b' },
      'sqliteSink option "primaryKey": expected one of the declared columns (a), got "b"',
    ],
    [
      { path: 'a.db', table: 't', primaryKey: [] },
      'sqliteSink option "primaryKey": expected a column name or a non-empty list of names, got an array',
    ],
  ])('throws a TypeError for %o', (options, message) => {
    expect(() => sqliteSink(options as never)).toThrow(TypeError)
    expect(() => sqliteSink(options as never)).toThrow(message)
  })

  it('does no I/O in the factory', async () => {
    const file = await tempFile()
    sqliteSink({ path: file, table: 't' })
    const { existsSync } = await import('node:fs')
    expect(existsSync(file)).toBe(false)
  })
})

describe('sqliteSink into existing tables', () => {
  it('writes a record without fields as a row of defaults', async () => {
    const file = await tempFile()
    const database = new Database(file)
    database.exec("CREATE TABLE ticks (id INTEGER PRIMARY KEY, label TEXT DEFAULT 'tick')")
    database.close()
    await runNode(sqliteSink({ path: file, table: 'ticks', onUnknownColumn: 'ignore' }), {
      inputs: [{}, { other: 1 }],
    })
    expect(readRows(file, 'SELECT * FROM ticks')).toEqual([
      { id: 1, label: 'tick' },
      { id: 2, label: 'tick' },
    ])
  })

  it('numbers the rows with a declared INTEGER primary key the records lack', async () => {
    const file = await tempFile()
    const sink = sqliteSink({
      path: file,
      table: 'notes',
      columns: { id: 'INTEGER', text: 'TEXT' },
      primaryKey: 'id',
    })
    await runNode(sink, { inputs: [{ text: 'a' }, { text: 'b' }] })
    expect(readRows(file, 'SELECT * FROM notes ORDER BY id')).toEqual([
      { id: 1, text: 'a' },
      { id: 2, text: 'b' },
    ])
  })
})
