import {
  AsyncExecutor,
  AsyncGraph,
  type CheckpointStore,
  type ExecutionReport,
  memoryCheckpointStore,
} from '@graphflow/core'
import Database from 'better-sqlite3'
import { beforeEach, describe, expect, it } from 'vitest'
import { errorsOf, tempFile } from '../test/helpers.js'
import { SqliteError } from './sqlite-error.js'
import { sqliteSource } from './sqlite-source.js'
import type { SqliteSourceOptions } from './sqlite-source-options.js'

type Item = { id: number; name?: string; updated_at?: string }
const quiet = { info: () => {}, error: () => {}, warn: () => {} }
let file: string

function insert(from: number, to: number, updatedAt = '2026-01-01'): void {
  const database = new Database(file)
  const statement = database.prepare('INSERT INTO items (id, name, updated_at) VALUES (?, ?, ?)')
  database.transaction(() => {
    for (let id = from; id <= to; id++) statement.run(id, `item ${id}`, updatedAt)
  })()
  database.close()
}

beforeEach(async () => {
  file = await tempFile('items.db')
  const database = new Database(file)
  database.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, updated_at TEXT)')
  database.close()
  insert(1, 50)
})

/**
 * One run of source -> sink with a store: the rows the sink got (flattened), the report, the
 * stored state. `stopAfter` aborts the run inside the sink's call for that many items.
 */
async function load(
  options: Partial<SqliteSourceOptions>,
  store: CheckpointStore,
  stopAfter?: number,
): Promise<{ rows: Item[]; report: ExecutionReport; position: unknown }> {
  const rows: Item[] = []
  const controller = new AbortController()
  let calls = 0
  const graph = new AsyncGraph()
  graph.addNode(sqliteSource({ path: file, query: 'SELECT * FROM items', ...options }), {
    name: 'items',
  })
  graph.addNode(async function* save(item: Item | Item[]) {
    rows.push(...(Array.isArray(item) ? item : [item]))
    if (++calls === stopAfter) controller.abort()
  })
  graph.addEdge('items', 'save')
  const report = await new AsyncExecutor(graph, { logger: quiet }).execute({
    checkpoints: { store },
    signal: controller.signal,
  })
  const state = (await store.get('graphflow')) as
    | { sources: Record<string, Record<string, { position: unknown }>> }
    | undefined
  return { rows, report, position: state?.sources.items?.save?.position }
}

const ids = (rows: Item[]) => rows.map((row) => row.id)
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => from + index)

describe('sqliteSource with key: resumable loads', () => {
  it('resumes after the last stored batch: the stored rows and the rest make the clean run', async () => {
    const clean = await load({ key: 'id', batchSize: 5 }, memoryCheckpointStore())
    expect(ids(clean.rows)).toEqual(range(1, 50))
    expect(clean.position).toEqual({ key: ['id'], after: [50] })

    const store = memoryCheckpointStore()
    const stopped = await load({ key: 'id', batchSize: 5 }, store, 3)
    // The third batch's call aborted the run: batches 1 and 2 were stored, nothing after.
    expect(stopped.position).toEqual({ key: ['id'], after: [10] })
    const resumed = await load({ key: 'id', batchSize: 5 }, store)
    expect(ids(resumed.rows)).toEqual(range(11, 50))
    expect([...ids(stopped.rows).slice(0, 10), ...ids(resumed.rows)]).toEqual(ids(clean.rows))
    expect(resumed.position).toEqual({ key: ['id'], after: [50] })
  })

  it('without batchSize, a unit is one row', async () => {
    const store = memoryCheckpointStore()
    const stopped = await load({ key: 'id' }, store, 7)
    expect(stopped.position).toEqual({ key: ['id'], after: [6] })
    const resumed = await load({ key: 'id' }, store)
    expect(ids(resumed.rows)).toEqual(range(7, 50))
  })

  it('orders by a composite key and resumes with a row-value comparison', async () => {
    const database = new Database(file)
    database.exec("UPDATE items SET name = CASE WHEN id % 2 = 0 THEN 'even' ELSE 'odd' END")
    database.close()
    const options = { key: ['name', 'id'], batchSize: 4, query: 'SELECT id, name FROM items' }
    const clean = await load(options, memoryCheckpointStore())
    const expected = [
      ...range(1, 50).filter((id) => id % 2 === 0),
      ...range(1, 50).filter((id) => id % 2 === 1),
    ]
    expect(ids(clean.rows)).toEqual(expected)
    const store = memoryCheckpointStore()
    const stopped = await load(options, store, 8)
    // Seven batches of four stored: the 25 even ids, then 1, 3 and 5.
    expect(stopped.position).toEqual({ key: ['name', 'id'], after: ['odd', 5] })
    const resumed = await load(options, store)
    expect([...ids(stopped.rows).slice(0, 28), ...ids(resumed.rows)]).toEqual(expected)
  })

  it('reads a query with params, a trailing comment and semicolon as a subquery', async () => {
    const query = 'SELECT id FROM items WHERE id > ? ORDER BY id DESC; -- newest first'
    const positionalStore = memoryCheckpointStore()
    const options = { key: 'id', batchSize: 3, query, params: [40] }
    const positional = await load(options, positionalStore, 2)
    expect(errorsOf(positional.report, 'items')).toEqual([])
    expect(ids(positional.rows)).toEqual(range(41, 46))
    const positionalResumed = await load(options, positionalStore)
    expect(errorsOf(positionalResumed.report, 'items')).toEqual([])
    expect(ids(positionalResumed.rows)).toEqual(range(44, 50))
    const store = memoryCheckpointStore()
    await load(
      {
        key: 'id',
        batchSize: 3,
        query: 'SELECT id FROM items WHERE id > @above',
        params: { above: 40 },
      },
      store,
      2,
    )
    const resumed = await load(
      {
        key: 'id',
        batchSize: 3,
        query: 'SELECT id FROM items WHERE id > @above',
        params: { above: 40 },
      },
      store,
    )
    expect(ids(resumed.rows)).toEqual(range(44, 50))
  })

  it('carries bigint keys through the position with safeIntegers', async () => {
    const big = 2n ** 60n
    const database = new Database(file)
    database
      .prepare('INSERT INTO items (id, name) VALUES (?, ?), (?, ?)')
      .run(big, 'a', big + 1n, 'b')
    database.close()
    const store = memoryCheckpointStore()
    const options = { key: 'id', safeIntegers: true, query: 'SELECT id FROM items WHERE id > 50' }
    const first = await load(options, store)
    expect(first.position).toEqual({ key: ['id'], after: [{ bigint: String(big + 1n) }] })
    insert(51, 51) // smaller than the saved key: an incremental load does not see it
    const database2 = new Database(file)
    database2.prepare('INSERT INTO items (id, name) VALUES (?, ?)').run(big + 2n, 'c')
    database2.close()
    const next = await load({ ...options, query: 'SELECT id FROM items' }, store)
    expect(next.rows.map((row) => row.id)).toEqual([big + 2n])
  })
})

describe('sqliteSource with key: incremental loads', () => {
  it('reads only the rows added since the last run', async () => {
    const store = memoryCheckpointStore()
    const first = await load({ key: 'id', batchSize: 20 }, store)
    expect(ids(first.rows)).toEqual(range(1, 50))
    const nothing = await load({ key: 'id', batchSize: 20 }, store)
    expect(nothing.rows).toEqual([])
    expect(nothing.position).toEqual({ key: ['id'], after: [50] })
    insert(51, 63)
    const next = await load({ key: 'id', batchSize: 20 }, store)
    expect(ids(next.rows)).toEqual(range(51, 63))
  })

  it('with key [updated_at, id], reads the rows added or updated since the last run', async () => {
    const store = memoryCheckpointStore()
    const options = { key: ['updated_at', 'id'], batchSize: 10 }
    expect(ids((await load(options, store)).rows)).toEqual(range(1, 50))
    insert(51, 53, '2026-02-01')
    const database = new Database(file)
    database.exec("UPDATE items SET updated_at = '2026-02-02' WHERE id = 7")
    database.close()
    const next = await load(options, store)
    expect(ids(next.rows)).toEqual([51, 52, 53, 7])
    expect(next.position).toEqual({ key: ['updated_at', 'id'], after: ['2026-02-02', 7] })
  })

  it('starts after "after" when the store has no position, and after the saved one later', async () => {
    const store = memoryCheckpointStore()
    const first = await load({ key: 'id', after: 45 }, store)
    expect(ids(first.rows)).toEqual(range(46, 50))
    insert(51, 52)
    expect(ids((await load({ key: 'id', after: 45 }, store)).rows)).toEqual([51, 52])
  })
})

describe('sqliteSource with key: what it refuses', () => {
  it('refuses a saved position of another key, naming both keys', async () => {
    const store = memoryCheckpointStore()
    await load({ key: 'id' }, store, 3)
    const { report, rows } = await load({ key: ['updated_at', 'id'] }, store)
    expect(rows).toEqual([])
    const [error] = errorsOf(report, 'items')
    expect(error).toBeInstanceOf(SqliteError)
    expect(error).toMatchObject({ code: 'SQLITE_KEY' })
    expect(error?.message).toContain(
      'it was saved for key (id), the source reads by key (updated_at, id)',
    )
  })

  // Guards: with one sink at seq 0 (nothing stored) and another ahead, resumeFrom is undefined;
  // a changed key went unnoticed and the sink ahead skipped the first rows of the new read.
  it('refuses a saved position of another key when one sink stored nothing and another is ahead', async () => {
    const store = memoryCheckpointStore()
    await load({ key: 'id' }, store, 3)
    const state = (await store.get('graphflow')) as { sources: { items: Record<string, unknown> } }
    state.sources.items.later = { position: null, seq: 0 }
    await store.put('graphflow', state)
    const rows: Item[] = []
    const graph = new AsyncGraph()
    graph.addNode(
      sqliteSource({ path: file, query: 'SELECT * FROM items', key: ['updated_at', 'id'] }),
      {
        name: 'items',
      },
    )
    for (const name of ['save', 'later']) {
      graph.addNode({
        name,
        async *fn(item: Item) {
          rows.push(item)
        },
      })
      graph.addEdge('items', name)
    }
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute({
      checkpoints: { store },
    })
    expect(rows).toEqual([])
    expect(errorsOf(report, 'items')[0]).toMatchObject({ code: 'SQLITE_KEY' })
    expect(errorsOf(report, 'items')[0]?.message).toContain(
      'it was saved for key (id), the source reads by key (updated_at, id)',
    )
  })

  it('refuses a saved position when it has no key, instead of reading everything again', async () => {
    const store = memoryCheckpointStore()
    await load({ key: 'id' }, store, 3)
    const { report, rows } = await load({}, store)
    expect(rows).toEqual([])
    expect(errorsOf(report, 'items')[0]).toMatchObject({ code: 'SQLITE_KEY' })
    expect(errorsOf(report, 'items')[0]?.message).toContain('it has no "key" option')
  })

  it('refuses a NULL and a repeated key value, naming the rows', async () => {
    const database = new Database(file)
    database.exec('UPDATE items SET updated_at = NULL WHERE id = 3')
    database.close()
    const nulls = await load(
      { key: 'updated_at', query: 'SELECT * FROM items WHERE id <= 5' },
      memoryCheckpointStore(),
    )
    expect(errorsOf(nulls.report, 'items')[0]?.message).toContain(
      `row 1 of the keyset read of "${file}" has NULL in key column 'updated_at'`,
    )
    const repeated = await load(
      { key: 'updated_at', query: 'SELECT * FROM items WHERE id > 5' },
      memoryCheckpointStore(),
    )
    expect(errorsOf(repeated.report, 'items')[0]).toMatchObject({ code: 'SQLITE_KEY' })
    expect(errorsOf(repeated.report, 'items')[0]?.message).toContain('rows 1 and 2')
    expect(ids(repeated.rows)).toEqual([6])
  })

  it('refuses a key the query does not return, and a query that cannot be a subquery', async () => {
    const missing = await load({ key: 'rank' }, memoryCheckpointStore())
    expect(errorsOf(missing.report, 'items')[0]?.message).toContain(
      'option "key" names column \'rank\', which the rows of the query',
    )
    const pragma = await load(
      { key: 'cid', query: 'PRAGMA table_info(items)' },
      memoryCheckpointStore(),
    )
    expect(errorsOf(pragma.report, 'items')[0]?.message).toContain(
      'it must be a SELECT or WITH query',
    )
  })

  it('checks key and after', () => {
    const base = { path: 'x.db', query: 'SELECT 1' }
    expect(() => sqliteSource({ ...base, key: [] })).toThrow(
      'sqliteSource option "key": expected a column name or a non-empty list of distinct column names, got an array ([])',
    )
    expect(() => sqliteSource({ ...base, key: ['a', 'a'] })).toThrow(TypeError)
    expect(() => sqliteSource({ ...base, after: 3 })).toThrow(
      'sqliteSource option "after": expected no value without "key", got 3',
    )
    expect(() => sqliteSource({ ...base, key: ['a', 'b'], after: [1] })).toThrow(
      'sqliteSource option "after": expected an array of 2 key values (numbers, strings or bigints) for key (a, b)',
    )
  })
})

describe('sqliteSource with key: runs without checkpoints', () => {
  it('reads in key order from "after", yielding no positions', async () => {
    const graph = new AsyncGraph()
    graph.addNode(
      sqliteSource({
        path: file,
        query: 'SELECT id FROM items ORDER BY id DESC',
        key: 'id',
        after: 47,
      }),
      { name: 'items' },
    )
    const rows: Item[] = []
    graph.addNode(async function* save(item: Item) {
      rows.push(item)
    })
    graph.addEdge('items', 'save')
    const positions: unknown[] = []
    const executor = new AsyncExecutor(graph, { logger: quiet })
    executor.on('position-stored', ({ position }) => positions.push(position))
    await executor.execute({ tracking: true })
    expect(ids(rows)).toEqual([48, 49, 50])
    expect(positions).toEqual([])
  })
})
