import { mkdtemp, readFile, rm } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'
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
import { records } from '../test/fixtures.js'
import { HttpError } from './http-error.js'
import { httpSource } from './http-source.js'
import type { HttpSourceOptions } from './http-source-options.js'
import type { HttpPosition } from './resume.js'

type Row = { id: number }

const TOTAL = 23
const SIZE = 5
const all = records(0, TOTAL)
const slice = (from: number) => all.slice(from, from + SIZE)
const PAGES = Math.ceil(TOTAL / SIZE)

const serve = useTestServer()
let server: TestServer | undefined
let directory = ''
let store: CheckpointStore
let storePath = ''
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'graphflow-http-resume-'))
  storePath = join(directory, 'load.checkpoint.json')
  store = fileCheckpointStore(storePath)
})
afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Answers after a few milliseconds, so that an abort lands while pages are in flight. */
async function slowly(response: ServerResponse, body: unknown, headers?: Record<string, string>) {
  await sleep(3)
  if (!response.destroyed) sendJson(response, body, 200, headers)
}

/**
 * Runs `source -> save` with the checkpoint store; aborts once `stopAfter` records reached the
 * sink. The sink keeps every record it got, in order.
 */
async function load(
  options: HttpSourceOptions<Row> & { yield: 'records' },
  stopAfter?: number,
  logger = memoryLogger(),
): Promise<{ rows: Row[]; report: ExecutionReport; positions: HttpPosition[] }> {
  const rows: Row[] = []
  const controller = new AbortController()
  const graph = new AsyncGraph()
  const source = graph.addNode(httpSource<Row>({ name: 'items', ...options }))
  const save = graph.addNode(async function* save(row: Row) {
    rows.push(row)
    if (stopAfter !== undefined && rows.length >= stopAfter) controller.abort()
  })
  graph.addEdge(source, save)
  const executor = new AsyncExecutor(graph, { logger })
  const positions: HttpPosition[] = []
  executor.on('position-stored', ({ position }) => positions.push(position as HttpPosition))
  const report = await executor.execute({ signal: controller.signal, checkpoints: { store } })
  return { rows, report, positions }
}

/** The position the store holds for the `items -> save` load. */
async function savedPosition(): Promise<HttpPosition | undefined> {
  const state = (await store.get('graphflow')) as
    | { sources: Record<string, Record<string, { position: HttpPosition }>> }
    | undefined
  return state?.sources.items?.save?.position
}

/**
 * A clean run, then (with a new store) a run aborted after `stopAfter` records and a resumed
 * one: the records the sink keeps (those up to the saved position, as a resumable sink does,
 * then the resumed run's) are exactly the clean run's, in order, and the resumed run asks for
 * no page before the saved position.
 */
async function expectResumes(
  options: HttpSourceOptions<Row> & { yield: 'records' },
  stopAfter: number,
  firstRequestOf: (position: HttpPosition) => (url: URL) => boolean,
) {
  const clean = await load(options)
  expect(clean.report.ok).toBe(true)
  expect(clean.rows).toEqual(all)

  await rm(storePath, { force: true })
  const aborted = await load(options, stopAfter)
  expect(aborted.report.aborted).toBe(true)
  const saved = await savedPosition()
  expect(saved).toBeDefined()
  const position = saved as HttpPosition
  // Something was stored, not everything: the resume has work on both sides.
  expect(position.records).toBeGreaterThan(0)
  expect(position.records).toBeLessThan(TOTAL)
  expect(position.done).toBeUndefined()
  expect(aborted.rows.length).toBeGreaterThanOrEqual(position.records)
  const kept = aborted.rows.slice(0, position.records)

  const before = (server as TestServer).calls.length
  const resumed = await load(options)
  expect(resumed.report.ok).toBe(true)
  expect([...kept, ...resumed.rows]).toEqual(clean.rows)
  const calls = (server as TestServer).calls.slice(before)
  expect(calls.length).toBeGreaterThan(0)
  // The first request of the resumed run is the page after the saved position.
  expect(firstRequestOf(position)((calls[0] as { url: URL }).url)).toBe(true)
  return { position, calls, resumed }
}

describe('resumable loads: every pagination type', () => {
  it('page: resumes at the next page number and never asks for an earlier page', async () => {
    server = await serve(async (_raw, response, call) => {
      const page = Number(call.url.searchParams.get('page'))
      await slowly(response, slice((page - 1) * SIZE))
    })
    const { position, calls } = await expectResumes(
      { url: server.url, pagination: { type: 'page', size: SIZE }, yield: 'records' },
      8,
      (saved) => (url) => url.searchParams.get('page') === String(saved.next?.page),
    )
    expect(position.next).toEqual({ page: position.pages + 1 })
    for (const call of calls) {
      expect(Number(call.url.searchParams.get('page'))).toBeGreaterThan(position.pages)
    }
  })

  it('offset: resumes at the next offset', async () => {
    server = await serve(async (_raw, response, call) => {
      await slowly(response, slice(Number(call.url.searchParams.get('offset'))))
    })
    const { position, calls } = await expectResumes(
      {
        url: server.url,
        pagination: { type: 'offset', limit: SIZE },
        yield: 'records',
      },
      12,
      (saved) => (url) => url.searchParams.get('offset') === String(saved.next?.offset),
    )
    expect(position.next).toEqual({ offset: position.pages * SIZE })
    for (const call of calls) {
      expect(Number(call.url.searchParams.get('offset'))).toBeGreaterThanOrEqual(position.records)
    }
  })

  it('cursor: resumes with the saved cursor', async () => {
    server = await serve(async (_raw, response, call) => {
      const from = Number(call.url.searchParams.get('cursor') ?? '0')
      const next = from + SIZE < TOTAL ? String(from + SIZE) : null
      await slowly(response, { data: slice(from), next })
    })
    const { position, calls } = await expectResumes(
      {
        url: server.url,
        records: 'data',
        pagination: { type: 'cursor', cursor: 'next' },
        yield: 'records',
      },
      7,
      (saved) => (url) => url.searchParams.get('cursor') === saved.next?.cursor,
    )
    expect(position.next).toEqual({ cursor: String(position.records) })
    expect(calls.some((call) => !call.url.searchParams.has('cursor'))).toBe(false)
  })

  it('cursor in the body: resumes with the saved cursor in the POST body', async () => {
    server = await serve(async (_raw, response, call) => {
      const body = JSON.parse(call.body || '{}') as { after?: string; kind?: string }
      const from = Number(body.after ?? '0')
      const next = from + SIZE < TOTAL ? String(from + SIZE) : null
      await slowly(response, { data: body.kind === 'all' ? slice(from) : [], next })
    })
    const { position, calls } = await expectResumes(
      {
        url: server.url,
        method: 'POST',
        body: { kind: 'all' },
        records: 'data',
        pagination: { type: 'cursor', cursor: 'next', param: 'after', in: 'body' },
        yield: 'records',
      },
      7,
      () => () => true,
    )
    expect(position.next).toEqual({ cursor: String(position.records) })
    expect(JSON.parse((calls[0] as { body: string }).body)).toEqual({
      kind: 'all',
      after: String(position.records),
    })
  })

  it('link: resumes at the saved next URL, with the secrets put back from the options and never written to the store', async () => {
    const apiKey = 'k3y-Of-The-Options-123'
    const token = 'bearer-token-4567'
    const header = 'header-secret-8910'
    server = await serve(async (_raw, response, call) => {
      if (
        call.url.searchParams.get('api_key') !== apiKey ||
        call.headers.authorization !== `Bearer ${token}` ||
        call.headers['x-api-key'] !== header
      ) {
        sendJson(response, { error: 'unauthorised' }, 401)
        return
      }
      const page = Number(call.url.searchParams.get('page') ?? '1')
      const next = new URL(call.url)
      next.searchParams.set('page', String(page + 1))
      const link = page * SIZE < TOTAL ? { link: `<${next.href}>; rel="next"` } : undefined
      await slowly(response, slice((page - 1) * SIZE), link)
    })
    const { position, calls } = await expectResumes(
      {
        url: `${server.url}/items?kind=all`,
        query: { api_key: apiKey },
        auth: { bearer: token },
        headers: { 'x-api-key': header },
        pagination: { type: 'link' },
        yield: 'records',
      },
      9,
      (saved) => (url) => {
        const expected = new URL(String(saved.next?.url))
        expected.searchParams.set('api_key', apiKey)
        return url.href === expected.href
      },
    )
    expect(position.next).toMatchObject({ secrets: ['api_key'] })
    expect(new URL(String(position.next?.url)).searchParams.get('api_key')).toBe('')
    expect(calls.every((call) => call.url.searchParams.get('api_key') === apiKey)).toBe(true)
    const file = await readFile(storePath, 'utf8')
    expect(file).toContain(`/items?kind=all`)
    for (const secret of [apiKey, token, header]) expect(file).not.toContain(secret)
  })

  it('custom: resumes at the URL of the saved next request', async () => {
    server = await serve(async (_raw, response, call) => {
      const from = Number(call.url.searchParams.get('from') ?? '0')
      await slowly(response, { rows: slice(from), more: from + SIZE < TOTAL ? from + SIZE : 0 })
    })
    const { position } = await expectResumes(
      {
        url: `${server.url}/rows`,
        records: 'rows',
        pagination: {
          type: 'custom',
          next: ({ body }) => {
            const more = (body as { more: number }).more
            return more > 0 ? { query: { from: more } } : undefined
          },
        },
        yield: 'records',
      },
      11,
      (saved) => (url) => url.href === saved.next?.url,
    )
    expect(position.next).toEqual({
      method: 'GET',
      url: `${(server as TestServer).url}/rows?from=${position.records}`,
    })
  })

  it('custom with position and resume: the user state restarts the sequence (a POST body page)', async () => {
    server = await serve(async (_raw, response, call) => {
      const page = (JSON.parse(call.body || '{}') as { page?: number }).page ?? 1
      await slowly(response, slice((page - 1) * SIZE))
    })
    const { position, calls } = await expectResumes(
      {
        url: `${server.url}/search`,
        method: 'POST',
        body: { page: 1, filter: 'all' },
        pagination: {
          type: 'custom',
          next: (last) => {
            if (last.records.length === 0) return undefined
            const page = (last.request.body as { page: number }).page + 1
            return { body: { page, filter: 'all' }, headers: { 'x-page': String(page) } }
          },
          position: (last) => ({ page: (last.request.body as { page: number }).page + 1 }),
          resume: (saved) => {
            const page = (saved as { page: number }).page
            return { body: { page, filter: 'all' }, headers: { 'x-page': String(page) } }
          },
        },
        yield: 'records',
      },
      6,
      (saved) => (url) => url.pathname === '/search' && saved.next !== undefined,
    )
    expect(position.next).toEqual({ custom: { page: position.pages + 1 } })
    expect(JSON.parse((calls[0] as { body: string }).body)).toEqual({
      page: position.pages + 1,
      filter: 'all',
    })
    expect((calls[0] as { headers: Record<string, unknown> }).headers['x-page']).toBe(
      String(position.pages + 1),
    )
  })

  it('custom: next returning headers without position/resume fails instead of saving a position that would lose them', async () => {
    server = await serve((_raw, response, call) => {
      const page = Number(call.url.searchParams.get('p') ?? '1')
      sendJson(response, slice((page - 1) * SIZE))
    })
    const { report } = await load({
      url: server.url,
      pagination: {
        type: 'custom',
        next: (last) => ({ query: { p: last.page + 1 }, headers: { 'x-session': 'abc-123-xyz' } }),
      },
      yield: 'records',
    })
    const [error] = report.exceptions.items ?? []
    expect(error).toBeInstanceOf(HttpError)
    expect((error as HttpError).code).toBe('HTTP_PAGINATION')
    expect((error as HttpError).message).toContain("httpSource 'items'")
    expect((error as HttpError).message).toContain('pagination.position and pagination.resume')
    expect(await readFile(storePath, 'utf8').catch(() => '')).not.toContain('abc-123-xyz')
  })
})

describe('resumable loads: positions', () => {
  // Guards the last check: a position holding a credential of the options is never yielded.
  it('a position that would hold a credential of the options fails instead of being saved', async () => {
    const token = 'bearer-t0ken-5678'
    server = await serve((_raw, response, call) => {
      const page = Number(call.url.searchParams.get('p') ?? '1')
      sendJson(response, slice((page - 1) * SIZE))
    })
    const { rows, report } = await load({
      url: server.url,
      auth: { bearer: token },
      // An API that wants the token in the query under a name that does not look secret.
      pagination: { type: 'custom', next: (last) => `?p=${last.page + 1}&t=${token}` },
      yield: 'records',
    })
    expect(rows).toEqual(slice(0))
    const [error] = report.exceptions.items ?? []
    expect((error as HttpError).code).toBe('HTTP_PAGINATION')
    expect((error as HttpError).message).toContain('would hold a credential of the options')
    expect((error as HttpError).message).not.toContain(token)
    expect(await readFile(storePath, 'utf8').catch(() => '')).not.toContain(token)
  })

  it('`total` counts the records of the whole sequence across a resume', async () => {
    server = await serve(async (_raw, response, call) => {
      const page = Number(call.url.searchParams.get('page'))
      // More pages than the total: only `total` stops the sequence.
      await slowly(response, { total: TOTAL, data: records((page - 1) * SIZE, SIZE) })
    })
    const options = {
      url: server.url,
      records: 'data',
      total: 'total',
      pagination: { type: 'page', size: SIZE },
      yield: 'records',
    } as const
    const aborted = await load(options, 8)
    const saved = (await savedPosition()) as HttpPosition
    expect(saved.records).toBeGreaterThan(0)
    const before = (server as TestServer).calls.length
    const resumed = await load(options)
    expect([...aborted.rows.slice(0, saved.records), ...resumed.rows]).toEqual(
      records(0, PAGES * SIZE),
    )
    const asked = (server as TestServer).calls.slice(before)
    expect(asked.map((call) => Number(call.url.searchParams.get('page')))).toEqual(
      Array.from({ length: PAGES - saved.pages }, (_, index) => saved.pages + 1 + index),
    )
  })

  it('with concurrency 4, positions come in page order, one per page, and a resume continues them', async () => {
    server = await serve(async (_raw, response, call) => {
      const page = Number(call.url.searchParams.get('page'))
      // Later pages answer sooner: responses arrive out of order.
      await sleep(Math.max(0, 8 - page) * 3)
      if (!response.destroyed) sendJson(response, slice((page - 1) * SIZE))
    })
    const options = {
      url: server.url,
      pagination: { type: 'page', size: SIZE },
      concurrency: 4,
      yield: 'records',
    } as const
    const clean = await load(options)
    expect(clean.rows).toEqual(all)
    // Pages 1..5 with records, then the empty page 6 ends the sequence.
    expect(clean.positions.map((position) => position.pages)).toEqual([1, 2, 3, 4, 5, 6])
    expect(clean.positions.map((position) => position.next?.page)).toEqual([
      2,
      3,
      4,
      5,
      6,
      undefined,
    ])
    expect(clean.positions.at(-1)?.done).toBe(true)
    expect(clean.positions.map((position) => position.records)).toEqual([5, 10, 15, 20, 23, 23])

    await rm(storePath, { force: true })
    const aborted = await load(options, 7)
    const saved = (await savedPosition()) as HttpPosition
    expect(saved.records).toBeGreaterThan(0)
    const before = (server as TestServer).calls.length
    const resumed = await load(options)
    expect([...aborted.rows.slice(0, saved.records), ...resumed.rows]).toEqual(all)
    const asked = (server as TestServer).calls
      .slice(before)
      .map((call) => Number(call.url.searchParams.get('page')))
    expect(Math.min(...asked)).toBe(saved.pages + 1)
    expect(resumed.positions[0]?.pages).toBe(saved.pages + 1)
  })

  it('a complete load is not fetched again: the rerun makes no request and says why', async () => {
    server = await serve((_raw, response, call) => {
      const page = Number(call.url.searchParams.get('page'))
      sendJson(response, slice((page - 1) * SIZE))
    })
    const options = {
      url: server.url,
      pagination: { type: 'page', size: SIZE },
      yield: 'records',
    } as const
    const first = await load(options)
    expect(first.rows).toEqual(all)
    expect(server.calls).toHaveLength(PAGES + 1)
    const logger = memoryLogger()
    const again = await load(options, undefined, logger)
    expect(again.report.ok).toBe(true)
    expect(again.rows).toEqual([])
    expect(server.calls).toHaveLength(PAGES + 1)
    expect(logger.lines.join('\n')).toContain('items: the saved load is complete (6 pages')
  })

  it('refuses to resume a position saved for another request, naming the node and what differs', async () => {
    server = await serve((_raw, response, call) => {
      const page = Number(call.url.searchParams.get('page'))
      sendJson(response, slice((page - 1) * SIZE))
    })
    const ireland = {
      url: `${server.url}/breweries?country=IE`,
      query: { api_key: 'secret-key-0001' },
      pagination: { type: 'page', size: SIZE },
      yield: 'records',
    } as const
    await load(ireland, 7)
    const before = server.calls.length
    const { report, rows } = await load({
      ...ireland,
      url: `${server.url}/breweries?country=FR`,
      query: { api_key: 'secret-key-0002' },
      pagination: { type: 'page', size: 10 },
    })
    expect(rows).toEqual([])
    expect(server.calls).toHaveLength(before)
    const [error] = report.exceptions.items ?? []
    expect(error).toBeInstanceOf(HttpError)
    expect((error as HttpError).code).toBe('HTTP_RESUME')
    const message = (error as HttpError).message
    expect(message).toContain("httpSource 'items' cannot resume from the saved position")
    expect(message).toContain(
      `the URL: saved for "${server.url}/breweries?country=IE&api_key=***", this call has "${server.url}/breweries?country=FR&api_key=***"`,
    )
    expect(message).toContain(
      'the pagination: saved for "page size=5", this call has "page size=10"',
    )
    expect(message).not.toContain('secret-key')
    // A rotated key alone is the same request: the load resumes.
    const rotated = await load({ ...ireland, query: { api_key: 'secret-key-0003' } })
    expect(rotated.report.ok).toBe(true)
    expect(rotated.rows.length).toBeGreaterThan(0)
  })

  // Guards: another request is refused even when a sink stored nothing yet (resumeFrom is
  // undefined); the sinks ahead would skip the new request's first pages as already stored.
  it('refuses another request when one sink stored nothing and another is ahead', async () => {
    server = await serve((_raw, response, call) => {
      const page = Number(call.url.searchParams.get('page'))
      sendJson(response, slice((page - 1) * SIZE))
    })
    const ireland = {
      url: `${server.url}/breweries?country=IE`,
      pagination: { type: 'page', size: SIZE },
      yield: 'records',
    } as const
    await load(ireland, 7)
    const state = (await store.get('graphflow')) as {
      sources: { items: Record<string, unknown> }
    }
    state.sources.items.later = { position: null, seq: 0 }
    await store.put('graphflow', state)
    const before = server.calls.length
    const graph = new AsyncGraph()
    const source = graph.addNode(
      httpSource<Row>({ ...ireland, name: 'items', url: `${server.url}/breweries?country=FR` }),
    )
    const rows: Row[] = []
    graph.addEdge(
      source,
      graph.addNode(async function* save(row: Row) {
        rows.push(row)
      }),
    )
    graph.addEdge(
      source,
      graph.addNode(async function* later(row: Row) {
        rows.push(row)
      }),
    )
    const executor = new AsyncExecutor(graph, { logger: memoryLogger() })
    const report = await executor.execute({ checkpoints: { store } })
    const [error] = report.exceptions.items ?? []
    expect((error as HttpError).code).toBe('HTTP_RESUME')
    expect((error as HttpError).message).toContain(
      `the URL: saved for "${server.url}/breweries?country=IE", this call has "${server.url}/breweries?country=FR"`,
    )
    expect(rows).toEqual([])
    expect(server.calls).toHaveLength(before)
  })

  it('refuses a saved position that httpSource did not make', async () => {
    server = await serve((_raw, response) => sendJson(response, []))
    await store.put('graphflow', {
      format: 'graphflow-resume',
      version: 1,
      sources: { items: { save: { position: { page: 3 }, seq: 2 } } },
    })
    const { report } = await load({
      url: server.url,
      pagination: { type: 'page' },
      yield: 'records',
    })
    const [error] = report.exceptions.items ?? []
    expect((error as HttpError).code).toBe('HTTP_RESUME')
    expect((error as HttpError).message).toContain('is not one this version of httpSource makes')
    // Guards: the internal problem's text, not its prefixed message, goes into the HttpError.
    expect((error as HttpError).message.match(/\[graphflow\]/g)).toHaveLength(1)
    expect(server.calls).toHaveLength(0)
  })

  it('a source fed by an upstream node yields no positions (each item is its own sequence)', async () => {
    server = await serve((_raw, response, call) => {
      const page = Number(call.url.searchParams.get('page'))
      sendJson(response, page <= 2 ? records(page * 10, 2) : [])
    })
    const graph = new AsyncGraph()
    const urls = graph.addNode(async function* urls() {
      yield `${(server as TestServer).url}/a`
      yield `${(server as TestServer).url}/b`
    })
    const source = graph.addNode(
      httpSource<Row>({ name: 'items', url: server.url, pagination: { type: 'page' } }),
    )
    const rows: Row[][] = []
    const save = graph.addNode(async function* save(page: Row[]) {
      rows.push(page)
    })
    graph.addEdge(urls, source)
    graph.addEdge(source, save)
    const report = await new AsyncExecutor(graph, { logger: memoryLogger() }).execute({
      checkpoints: { store },
    })
    expect(report.ok).toBe(true)
    expect(rows).toHaveLength(4)
  })
})
