import { AsyncExecutor, AsyncGraph, GraphflowError } from '@graphflow/core'
import { memoryLogger, runNode } from '@graphflow/testkit'
import Database from 'better-sqlite3'
import { beforeEach, describe, expect, it } from 'vitest'
import { errorsOf, tempFile } from '../test/helpers.js'
import { SqliteError } from './sqlite-error.js'
import { sqliteSink } from './sqlite-sink.js'
import { sqliteSource } from './sqlite-source.js'
import type { SqliteParams } from './sqlite-source-options.js'

let file: string

beforeEach(async () => {
  file = await tempFile('source.db')
  const database = new Database(file)
  database.exec('CREATE TABLE numbers (n INTEGER, parity TEXT)')
  const insert = database.prepare('INSERT INTO numbers VALUES (?, ?)')
  database.transaction(() => {
    for (let n = 1; n <= 25; n++) insert.run(n, n % 2 === 0 ? 'even' : 'odd')
  })()
  database.close()
})

describe('sqliteSource', () => {
  it('yields the rows of a query one by one', async () => {
    const { outputs: items, errors } = await runNode(
      sqliteSource<{ n: number }>({
        path: file,
        query: 'SELECT n FROM numbers WHERE n <= 3 ORDER BY n',
      }),
    )
    expect(errors).toEqual([])
    expect(items).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }])
  })

  it('yields batches of batchSize rows, the last one shorter', async () => {
    const { outputs: items } = await runNode(
      sqliteSource<{ n: number }>({
        path: file,
        query: 'SELECT n FROM numbers ORDER BY n',
        batchSize: 10,
      }),
    )
    expect(items.map((batch) => batch.length)).toEqual([10, 10, 5])
    expect(items.flat().map((row) => row.n)).toEqual(
      Array.from({ length: 25 }, (_, index) => index + 1),
    )
  })

  it('binds positional and named params', async () => {
    const positional = await runNode(
      sqliteSource({
        path: file,
        query: 'SELECT n FROM numbers WHERE n > ? AND parity = ?',
        params: [22, 'odd'],
      }),
    )
    expect(positional.outputs).toEqual([{ n: 23 }, { n: 25 }])
    const named = await runNode(
      sqliteSource({
        path: file,
        query: 'SELECT n FROM numbers WHERE n < @below',
        params: { below: 3 },
      }),
    )
    expect(named.outputs).toEqual([{ n: 1 }, { n: 2 }])
  })

  it('takes params from its start argument, replacing the option', async () => {
    const spec = sqliteSource({
      path: file,
      query: 'SELECT n FROM numbers WHERE n = ?',
      params: [1],
    })
    const { outputs: items } = await runNode(spec, { startArgs: [[7]] })
    expect(items).toEqual([{ n: 7 }])
  })

  it('runs the query once per incoming item when it has an input edge', async () => {
    const items: unknown[] = []
    const graph = new AsyncGraph()
    const keys = graph.addNode(async function* keys() {
      yield [2] as SqliteParams
      yield [4] as SqliteParams
    })
    const lookup = graph.addNode(
      sqliteSource({ path: file, query: 'SELECT n * 10 AS tens FROM numbers WHERE n = ?' }),
    )
    const sink = graph.addNode(async function* sink(item: Record<string, unknown>) {
      items.push(item)
    })
    graph.addEdge(keys, lookup)
    graph.addEdge(lookup, sink)
    await new AsyncExecutor(graph, { logger: memoryLogger() }).execute()
    expect(items).toEqual([{ tens: 20 }, { tens: 40 }])
  })

  it('reads INTEGER as bigint with safeIntegers', async () => {
    const { outputs: items } = await runNode(
      sqliteSource({ path: file, query: 'SELECT 9007199254740993 AS big', safeIntegers: true }),
    )
    expect(items).toEqual([{ big: 9007199254740993n }])
  })

  // guards: integers above 2^53 the sink wrote exactly read back exactly (documented option)
  it('reads back exactly what the sink wrote beyond 2^53 with safeIntegers', async () => {
    const written = await tempFile('exact.db')
    const big = 2n ** 53n + 1n
    const sink = sqliteSink({ path: written, table: 'ids' })
    await runNode(sink, { inputs: [{ id: big, small: 7 }] })
    const query = 'SELECT id, small FROM ids WHERE id = ?'
    const exact = await runNode(
      sqliteSource({ path: written, query, params: [big], safeIntegers: true }),
    )
    expect(exact.outputs).toEqual([{ id: big, small: 7n }])
    const rounded = await runNode(sqliteSource({ path: written, query, params: [big] }))
    expect(rounded.outputs).toEqual([{ id: 2 ** 53, small: 7 }])
  })

  it('opens the file read-only', async () => {
    const { outputs: items, errors } = await runNode(
      sqliteSource({ path: file, query: "INSERT INTO numbers VALUES (99, 'odd') RETURNING n" }),
    )
    expect(items).toEqual([])
    expect(errors[0]).toMatchObject({ code: 'SQLITE_QUERY', scope: 'sqlite' })
    expect(errors[0]?.message).toContain('attempt to write a readonly database')
  })

  it('leaves a database it was given open', async () => {
    const database = new Database(file)
    const { outputs: items } = await runNode(
      sqliteSource({ database, query: 'SELECT count(*) AS c FROM numbers' }),
    )
    expect(items).toEqual([{ c: 25 }])
    expect(database.open).toBe(true)
    database.close()
  })

  it('stops and releases the statement when the run is aborted mid-stream', async () => {
    const database = new Database(file)
    const controller = new AbortController()
    const graph = new AsyncGraph()
    let seen = 0
    const source = graph.addNode(sqliteSource({ database, query: 'SELECT n FROM numbers' }))
    const sink = graph.addNode(async function* sink(_row: Record<string, unknown>) {
      if (++seen === 3) controller.abort()
    })
    graph.addEdge(source, sink)
    const report = await new AsyncExecutor(graph, { logger: memoryLogger() }).execute({
      signal: controller.signal,
    })
    expect(report.aborted).toBe(true)
    expect(seen).toBeLessThan(25)
    expect(errorsOf(report, 'sqliteSource')).toEqual([])
    // the connection is not left busy: it can write again
    database.prepare("INSERT INTO numbers VALUES (100, 'even')").run()
    database.close()
  })

  // Guards: query parameters (booleans, dates) were bound unconverted, so they matched no row.
  it('binds query parameters converted like the sink stores values', async () => {
    const file = await tempFile()
    const when = new Date('2024-05-01T00:00:00.000Z')
    await runNode(sqliteSink({ path: file, table: 't' }), {
      inputs: [
        { id: 1, active: true, at: when },
        { id: 2, active: false, at: new Date(0) },
      ],
    })
    const positional = await runNode(
      sqliteSource({
        path: file,
        query: 'SELECT id FROM t WHERE active = ? AND at = ?',
        params: [true, when],
      }),
    )
    expect(positional.errors).toEqual([])
    expect(positional.outputs).toEqual([{ id: 1 }])
    const named = await runNode(
      sqliteSource({ path: file, query: 'SELECT id FROM t WHERE active = :active' }),
      {
        startArgs: [{ active: false }],
      },
    )
    expect(named.outputs).toEqual([{ id: 2 }])
  })
})

describe('sqliteSource names', () => {
  // Guards the naming convention: the factory's name by default, `path`, and `records` yielded.
  it("is named 'sqliteSource' by default and counts the rows it yielded in stats.records", async () => {
    const spec = sqliteSource<{ n: number }>({
      path: file,
      query: 'SELECT n FROM numbers WHERE n <= ?',
      params: [7],
      batchSize: 3,
    })
    expect(spec.name).toBe('sqliteSource')
    expect(spec.stats).toEqual({ records: 0 })
    const warnings: string[] = []
    const logger = { info() {}, error() {}, warn: (line: string) => warnings.push(line) }
    const { outputs: items, report } = await runNode(spec, { logger })
    expect(items.map((batch) => batch.length)).toEqual([3, 3, 1])
    expect(report.dataFlowStats.sqliteSource).toMatchObject({ out: 3, err: 0 })
    expect(spec.stats).toEqual({ records: 7 })
    // Reset by the next run's open().
    await runNode(spec, { startArgs: [[2]] })
    expect(spec.stats).toEqual({ records: 2 })
    expect(warnings).toEqual([])
  })

  // Guards the deprecated alias: `file` still reads the file and warns once per spec.
  it('still takes the deprecated "file" option, warning once through warn', async () => {
    const spec = sqliteSource({ file, query: 'SELECT n FROM numbers WHERE n <= 2 ORDER BY n' })
    const warnings: string[] = []
    const logger = { info() {}, error() {}, warn: (line: string) => warnings.push(line) }
    expect((await runNode(spec, { logger })).outputs).toEqual([{ n: 1 }, { n: 2 }])
    expect((await runNode(spec, { logger })).outputs).toEqual([{ n: 1 }, { n: 2 }])
    expect(warnings).toEqual([
      `[graphflow] [sqlite] sqliteSource: option "file" of sqliteSource is deprecated, use "path" (same meaning): { path: ${JSON.stringify(file)} }`,
    ])
  })
})

describe('sqliteSource errors', () => {
  it('fails open() with SQLITE_OPEN for a missing file', async () => {
    const missing = `${file}.missing`
    const { errors, report } = await runNode(sqliteSource({ path: missing, query: 'SELECT 1' }))
    expect(report.halted).toBe(true)
    expect(errors[0]).toBeInstanceOf(GraphflowError)
    // Guards the error class: sqlite's errors are SqliteErrors with a typed code.
    expect(errors[0]).toBeInstanceOf(SqliteError)
    expect(errors[0]).toMatchObject({ name: 'SqliteError', code: 'SQLITE_OPEN' })
    expect(errors[0]?.message).toBe(
      `[graphflow] [sqlite] cannot open "${missing}" for reading: SQLITE_CANTOPEN: unable to open database file`,
    )
  })

  it('fails open() with SQLITE_QUERY for a bad query', async () => {
    const { errors } = await runNode(sqliteSource({ path: file, query: 'SELEC n FROM numbers' }))
    expect(errors[0]).toMatchObject({ code: 'SQLITE_QUERY' })
    expect(errors[0]?.message).toBe(
      `[graphflow] [sqlite] cannot prepare the query on "${file}": near "SELEC": syntax error`,
    )
  })

  it('fails open() for a statement that returns no rows', async () => {
    const { errors } = await runNode(sqliteSource({ path: file, query: 'DELETE FROM numbers' }))
    expect(errors[0]?.message).toBe(
      '[graphflow] [sqlite] the query does not return rows (use a SELECT): DELETE FROM numbers',
    )
  })

  it('fails the call with SQLITE_QUERY for missing params', async () => {
    const { errors } = await runNode(
      sqliteSource({ path: file, query: 'SELECT n FROM numbers WHERE n = ?' }),
    )
    expect(errors[0]).toMatchObject({ code: 'SQLITE_QUERY' })
    expect(errors[0]?.message).toContain('the query on')
    expect(errors[0]?.message).toContain('Too few parameter values were provided')
  })

  it.each([
    [
      { query: 'SELECT 1' },
      'sqliteSource option "path": expected a database file path (or a "database" handle), got undefined',
    ],
    [
      { path: 'a.db', file: 'b.db', query: 'SELECT 1' },
      'sqliteSource: expected "path" or "file" (its deprecated alias), got both (path "a.db", file "b.db")',
    ],
    [
      { path: 'a.db', query: '  ' },
      'sqliteSource option "query": expected an SQL query string, got "  "',
    ],
    [
      { path: 'a.db', query: 'SELECT 1', params: 5 },
      'sqliteSource option "params": expected an array or an object, got 5',
    ],
    [
      { path: 'a.db', query: 'SELECT 1', batchSize: 1.5 },
      'sqliteSource option "batchSize": expected an integer >= 1, got 1.5',
    ],
    [
      { path: 'a.db', query: 'SELECT 1', safeIntegers: 1 },
      'sqliteSource option "safeIntegers": expected a boolean, got 1',
    ],
  ])('throws a TypeError for %o', (options, message) => {
    expect(() => sqliteSource(options as never)).toThrow(new TypeError(message))
  })
})
