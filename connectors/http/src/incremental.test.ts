import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  AsyncExecutor,
  AsyncGraph,
  type CheckpointStore,
  type ExecutionReport,
  fileCheckpointStore,
} from '@graphflow/core'
import { memoryLogger, sendJson, type TestServer, useTestServer } from '@graphflow/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HttpError } from './http-error.js'
import { httpSource } from './http-source.js'
import type { HttpSourceOptions } from './http-source-options.js'
import type { HttpPosition } from './resume.js'

interface Row {
  id: number
  updated_at: string
}

const SIZE = 4

const serve = useTestServer()
let server: TestServer | undefined
let directory = ''
let store: CheckpointStore
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'graphflow-http-incremental-'))
  store = fileCheckpointStore(join(directory, 'load.checkpoint.json'))
})
afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

/** Rows `from..to` updated one minute apart from 2026-01-01T00:00Z, in `updated_at` order. */
function rows(from: number, to: number): Row[] {
  return Array.from({ length: to - from + 1 }, (_, index) => {
    const id = from + index
    return { id, updated_at: new Date(Date.UTC(2026, 0, 1, 0, id)).toISOString() }
  })
}

/**
 * An API of `data` (kept in `updated_at` order) with `?updated_since=` (exclusive, or inclusive)
 * and pages.
 */
async function api(data: Row[], inclusive = false) {
  return serve((_raw, response, call) => {
    const since = call.url.searchParams.get('updated_since')
    const page = Number(call.url.searchParams.get('page'))
    const newer = data.filter(
      (row) => since === null || row.updated_at > since || (inclusive && row.updated_at === since),
    )
    sendJson(response, newer.slice((page - 1) * SIZE, page * SIZE))
  })
}

const options = (url: string): HttpSourceOptions<Row> & { yield: 'records' } => ({
  name: 'items',
  url,
  pagination: { type: 'page', size: SIZE },
  incremental: { cursorField: 'updated_at', param: 'updated_since' },
  yield: 'records',
})

async function load(
  source: HttpSourceOptions<Row> & { yield: 'records' },
  stopAfter?: number,
): Promise<{ rows: Row[]; report: ExecutionReport }> {
  const stored: Row[] = []
  const controller = new AbortController()
  const graph = new AsyncGraph()
  const items = graph.addNode(httpSource<Row>(source))
  const save = graph.addNode(async function* save(row: Row) {
    stored.push(row)
    if (stopAfter !== undefined && stored.length >= stopAfter) controller.abort()
  })
  graph.addEdge(items, save)
  const report = await new AsyncExecutor(graph, { logger: memoryLogger() }).execute({
    signal: controller.signal,
    checkpoints: { store },
  })
  return { rows: stored, report }
}

async function savedPosition(): Promise<HttpPosition> {
  const state = (await store.get('graphflow')) as {
    sources: Record<string, Record<string, { position: HttpPosition }>>
  }
  return state.sources.items?.save?.position as HttpPosition
}

const sinceOf = (calls: readonly { url: URL }[]) =>
  calls.map((call) => call.url.searchParams.get('updated_since'))

describe('incremental loads', () => {
  it('a second run asks only for records newer than the largest stored value, from its first page', async () => {
    const data = rows(1, 10)
    server = await api(data)
    const first = await load(options(server.url))
    expect(first.report.ok).toBe(true)
    expect(first.rows).toEqual(rows(1, 10))
    // Without `initial`, the first load asks for everything.
    expect(sinceOf(server.calls).every((since) => since === null)).toBe(true)
    const saved = await savedPosition()
    expect(saved.done).toBe(true)
    expect(saved.incremental).toMatchObject({ largest: rows(10, 10)[0]?.updated_at })
    expect(saved.incremental?.since).toBeUndefined()

    data.push(...rows(11, 16))
    let before = server.calls.length
    const second = await load(options(server.url))
    expect(second.report.ok).toBe(true)
    expect(second.rows).toEqual(rows(11, 16))
    const largest = rows(10, 10)[0]?.updated_at
    const secondCalls = server.calls.slice(before)
    expect(secondCalls.map((call) => call.url.searchParams.get('page'))).toEqual(['1', '2', '3'])
    expect(sinceOf(secondCalls)).toEqual([largest, largest, largest])

    before = server.calls.length
    const third = await load(options(server.url))
    expect(third.rows).toEqual([])
    expect(sinceOf(server.calls.slice(before))).toEqual([rows(16, 16)[0]?.updated_at])
    expect((await savedPosition()).incremental?.largest).toBe(rows(16, 16)[0]?.updated_at)
  })

  it('a resume mid-run continues the same sequence with the value it started with', async () => {
    const data = rows(1, 3)
    server = await api(data)
    await load(options(server.url))
    const since = rows(3, 3)[0]?.updated_at
    data.push(...rows(4, 15))
    let before = server.calls.length
    const aborted = await load(options(server.url), 6)
    expect(aborted.report.aborted).toBe(true)
    const saved = await savedPosition()
    expect(saved.done).toBeUndefined()
    expect(saved.incremental?.since).toBe(since)
    expect(saved.records).toBeGreaterThan(0)
    expect(sinceOf(server.calls.slice(before)).every((value) => value === since)).toBe(true)
    // Newer records arrive before the resume: they come at the end of the same sequence.
    data.push(...rows(16, 17))
    before = server.calls.length
    const resumed = await load(options(server.url))
    expect(resumed.report.ok).toBe(true)
    const resumedCalls = server.calls.slice(before)
    expect(sinceOf(resumedCalls).every((value) => value === since)).toBe(true)
    expect(resumedCalls[0]?.url.searchParams.get('page')).toBe(String(saved.pages + 1))
    expect([...aborted.rows.slice(0, saved.records), ...resumed.rows]).toEqual(rows(4, 17))
    expect((await savedPosition()).incremental?.largest).toBe(rows(17, 17)[0]?.updated_at)
  })

  it('with an inclusive API, drops the records the last load stored at its largest value, and only those', async () => {
    const data = rows(1, 10)
    server = await api(data, true)
    expect((await load(options(server.url))).rows).toEqual(rows(1, 10))
    // Nothing new: the API sends row 10 again (updated_since is inclusive), it is not delivered.
    expect((await load(options(server.url))).rows).toEqual([])
    const [eleven] = rows(11, 11) as [Row]
    const twin = { id: 111, updated_at: eleven.updated_at }
    data.push(eleven, twin)
    expect((await load(options(server.url))).rows).toEqual([eleven, twin])
    // A record with the same value as the largest stored one, new since: it is delivered.
    const triplet = { id: 1111, updated_at: eleven.updated_at }
    data.push(triplet)
    const before = server.calls.length
    expect((await load(options(server.url))).rows).toEqual([triplet])
    expect(server.calls[before]?.url.searchParams.get('updated_since')).toBe(eleven.updated_at)
    expect((await load(options(server.url))).rows).toEqual([])
    expect((await savedPosition()).incremental?.boundary).toHaveLength(3)
  })

  it('works with a single request (no pagination)', async () => {
    const data = rows(1, 3)
    server = await serve((_raw, response, call) => {
      const since = call.url.searchParams.get('updated_since')
      sendJson(
        response,
        data.filter((row) => since === null || row.updated_at > since),
      )
    })
    const single = { ...options(server.url), pagination: undefined }
    expect((await load(single)).rows).toEqual(rows(1, 3))
    data.push(...rows(4, 5))
    expect((await load(single)).rows).toEqual(rows(4, 5))
    expect(sinceOf(server.calls)).toEqual([null, rows(3, 3)[0]?.updated_at])
    expect(await savedPosition()).toMatchObject({ pages: 1, records: 2, done: true })
  })

  it('sends `initial` on the first load and compares numbers numerically', async () => {
    const versions = [2, 9, 10, 100].map((version) => ({ id: version, version }))
    server = await serve((_raw, response, call) => {
      const since = Number(call.url.searchParams.get('after'))
      sendJson(
        response,
        call.url.searchParams.get('page') === '1'
          ? versions.filter((row) => row.version > since)
          : [],
      )
    })
    const source = {
      name: 'items',
      url: server.url,
      pagination: { type: 'page' },
      incremental: { cursorField: 'version', param: 'after', initial: 5 },
      yield: 'records',
    } as const
    const first = await load(source as unknown as HttpSourceOptions<Row> & { yield: 'records' })
    expect(first.rows.map((row) => row.id)).toEqual([9, 10, 100])
    expect(server.calls[0]?.url.searchParams.get('after')).toBe('5')
    // 100 > 10 > 9 as numbers (as strings, '9' would be the largest).
    expect((await savedPosition()).incremental).toMatchObject({ since: 5, largest: 100 })
  })

  it('a record without a cursor value is an error naming the node, the page URL (redacted) and the record, not skipped', async () => {
    server = await serve((_raw, response, call) => {
      const page = call.url.searchParams.get('page')
      sendJson(
        response,
        page === '1' ? rows(1, 4) : page === '2' ? [...rows(5, 6), { id: 7 }, ...rows(8, 8)] : [],
      )
    })
    const { rows: stored, report } = await load({
      ...options(`${server.url}/items`),
      query: { api_key: 'very-secret-key' },
    })
    expect(stored).toEqual(rows(1, 4))
    const [error] = report.exceptions.items ?? []
    expect(error).toBeInstanceOf(HttpError)
    expect((error as HttpError).code).toBe('HTTP_INCREMENTAL')
    expect((error as HttpError).message).toBe(
      `[graphflow] [http] GET ${server.url}/items?api_key=***&page=2&per_page=4 (page 2, status 200): httpSource 'items': record 2 of this page (0-based) cannot be used for the incremental load: its cursor field "updated_at" is missing, expected a string or a number`,
    )
    // The page with the bad record is not stored: the position stays before it.
    expect((await savedPosition()).pages).toBe(1)
  })

  it('a cursor value of another type than the others is an error', async () => {
    server = await serve((_raw, response, call) => {
      const page = call.url.searchParams.get('page')
      sendJson(response, page === '1' ? [{ id: 1, updated_at: 5 }, ...rows(2, 2)] : [])
    })
    const { rows: stored, report } = await load(options(server.url))
    expect(stored).toEqual([])
    const [error] = report.exceptions.items ?? []
    expect((error as HttpError).code).toBe('HTTP_INCREMENTAL')
    expect((error as HttpError).message).toContain(
      `record 1 of this page (0-based) cannot be used for the incremental load: its cursor field "updated_at" is string "${rows(2, 2)[0]?.updated_at}", the other cursor values are numbers`,
    )
  })

  it('checks its options', () => {
    const url = 'http://127.0.0.1:1/'
    const make =
      (incremental: unknown, pagination: unknown = { type: 'page' }) =>
      () =>
        httpSource({ url, pagination, incremental } as unknown as HttpSourceOptions)
    expect(make('updated_at')).toThrow(
      'httpSource option "incremental": expected an object { cursorField, param, initial? }, got "updated_at"',
    )
    expect(make({ param: 'since' })).toThrow(
      'httpSource option "incremental.cursorField": expected a non-empty string, got undefined',
    )
    expect(make({ cursorField: 'updated_at', param: '' })).toThrow(
      'httpSource option "incremental.param": expected a non-empty string, got ""',
    )
    expect(make({ cursorField: 'updated_at', param: 'since', initial: {} })).toThrow(
      'httpSource option "incremental.initial": expected a string or a finite number',
    )
    expect(make({ cursorField: 'updated_at', param: 'page' })).toThrow(
      'httpSource option "incremental.param": expected a query parameter the pagination does not set, got "page"',
    )
    expect(
      make({ cursorField: 'id', param: 'after' }, { type: 'custom', next() {}, position() {} }),
    ).toThrow(
      'httpSource option "pagination.resume": expected a function, given with pagination.position, got undefined',
    )
    expect(make({ cursorField: 'updated_at', param: 'since', initial: '2026-01-01' })).not.toThrow()
  })
})
