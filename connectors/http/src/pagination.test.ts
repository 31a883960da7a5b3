import { runNode, sendJson, type TestServer, useTestServer } from '@graphflow/testkit'
import { MockAgent } from 'undici'
import { describe, expect, it } from 'vitest'
import { records } from '../test/fixtures.js'
import type { HttpError } from './http-error.js'

import { httpSource } from './http-source.js'

const serve = useTestServer()
let server: TestServer | undefined

/** 25 records served 10 per page unless told otherwise. */
const ALL = records(1, 25)

function slice(from: number, count: number) {
  return ALL.slice(from, from + count)
}

describe('pagination', () => {
  it('page number: param, start, size param; stops at the first empty page', async () => {
    server = await serve((_raw, response, request) => {
      const page = Number(request.url.searchParams.get('p'))
      const size = Number(request.url.searchParams.get('size'))
      sendJson(response, { rows: slice(page * size, size) })
    })
    const { outputs: items, errors } = await runNode(
      httpSource({
        url: server.url,
        records: 'rows',
        pagination: { type: 'page', param: 'p', start: 0, sizeParam: 'size', size: 10 },
      }),
    )
    expect(errors).toEqual([])
    expect(items).toEqual([slice(0, 10), slice(10, 10), slice(20, 10)])
    expect(server.calls.map((request) => request.url.search)).toEqual([
      '?p=0&size=10',
      '?p=1&size=10',
      '?p=2&size=10',
      '?p=3&size=10',
    ])
  })

  it('does not stop on a short page by default (APIs that sometimes return fewer rows)', async () => {
    const pages = [records(1, 10), records(11, 3), records(14, 10), []]
    server = await serve((_raw, response, request) =>
      sendJson(response, pages[Number(request.url.searchParams.get('page')) - 1] ?? []),
    )
    const spec = httpSource({
      url: server.url,
      pagination: { type: 'page', size: 10 },
      yield: 'records',
    })
    expect((await runNode(spec)).outputs).toHaveLength(23)
    const opted = httpSource({
      url: server.url,
      pagination: { type: 'page', size: 10 },
      stopOnShortPage: true,
      yield: 'records',
    })
    expect((await runNode(opted)).outputs).toHaveLength(13)
  })

  it('offset/limit', async () => {
    server = await serve((_raw, response, request) => {
      const offset = Number(request.url.searchParams.get('skip'))
      const limit = Number(request.url.searchParams.get('take'))
      sendJson(response, slice(offset, limit))
    })
    const { outputs: items } = await runNode(
      httpSource({
        url: server.url,
        pagination: { type: 'offset', offsetParam: 'skip', limitParam: 'take', limit: 10 },
        yield: 'records',
      }),
    )
    expect(items).toEqual(ALL)
    expect(server.calls.map((request) => request.url.search)).toEqual([
      '?skip=0&take=10',
      '?skip=10&take=10',
      '?skip=20&take=10',
      '?skip=30&take=10',
    ])
  })

  it('cursor from a body path; ends when there is no next cursor, even after an empty page', async () => {
    const pages: Record<string, { items: unknown[]; next: string | null }> = {
      start: { items: slice(0, 10), next: 'c1' },
      c1: { items: [], next: 'c2' },
      c2: { items: slice(10, 15), next: null },
    }
    server = await serve((_raw, response, request) =>
      sendJson(response, pages[request.url.searchParams.get('after') ?? 'start']),
    )
    const { outputs: items } = await runNode(
      httpSource({
        url: server.url,
        records: 'items',
        pagination: { type: 'cursor', cursor: 'next', param: 'after' },
        yield: 'records',
      }),
    )
    expect(items).toEqual(ALL)
    expect(server.calls.map((request) => request.url.search)).toEqual([
      '',
      '?after=c1',
      '?after=c2',
    ])
  })

  it('cursor from a function, sent in a POST body', async () => {
    server = await serve((_raw, response, request) => {
      const cursor = Number((JSON.parse(request.body) as { cursor?: string }).cursor ?? 0)
      sendJson(response, { results: slice(cursor, 10), has_more: cursor + 10 < 25 })
    })
    const { outputs: items } = await runNode(
      httpSource({
        url: server.url,
        method: 'POST',
        body: { filter: 'all' },
        records: 'results',
        pagination: {
          type: 'cursor',
          in: 'body',
          cursor: (body, response) => {
            const { has_more } = body as { has_more: boolean }
            const sent = Number((response.request.body as { cursor?: string }).cursor ?? 0)
            return has_more ? sent + 10 : undefined
          },
        },
        yield: 'records',
      }),
    )
    expect(items).toEqual(ALL)
    expect(server.calls.map((request) => JSON.parse(request.body))).toEqual([
      { filter: 'all' },
      { filter: 'all', cursor: '10' },
      { filter: 'all', cursor: '20' },
    ])
  })

  it('follows Link rel="next" headers (relative or absolute) until there is none', async () => {
    server = await serve((_raw, response, request) => {
      const page = Number(request.url.searchParams.get('page') ?? '1')
      const headers: Record<string, string> =
        page < 3
          ? { link: `</items?page=${page + 1}>; rel="next", </items?page=3>; rel="last"` }
          : { link: '</items?page=1>; rel="first"' }
      sendJson(response, slice((page - 1) * 10, 10), 200, headers)
    })
    const { outputs: items } = await runNode(
      httpSource({ url: `${server.url}/items`, pagination: { type: 'link' }, yield: 'records' }),
    )
    expect(items).toEqual(ALL)
    expect(server.calls.map((request) => request.url.search)).toEqual(['', '?page=2', '?page=3'])
  })

  // Guards issue 8 item 14: a Link to another host got the Authorization and custom headers.
  it('a next link to another origin is followed without auth and user headers; trustedOrigins keeps them', async () => {
    const other = await serve((_raw, response) => sendJson(response, [2]))
    try {
      server = await serve((_raw, response) =>
        sendJson(response, [1], 200, { link: `<${other.url}/collect>; rel="next"` }),
      )
      const options = {
        url: server.url,
        auth: { bearer: 'secret-bearer' },
        headers: { 'x-api-key': 'secret-key' },
        pagination: { type: 'link' },
        yield: 'records',
      } as const
      expect((await runNode(httpSource(options))).outputs).toEqual([1, 2])
      expect(other.calls[0]?.headers.authorization).toBeUndefined()
      expect(other.calls[0]?.headers['x-api-key']).toBeUndefined()
      expect(server.calls[0]?.headers.authorization).toBe('Bearer secret-bearer')
      await runNode(httpSource({ ...options, trustedOrigins: [other.url] }))
      expect(other.calls[1]?.headers.authorization).toBe('Bearer secret-bearer')
      expect(other.calls[1]?.headers['x-api-key']).toBe('secret-key')
    } finally {
      await other.close()
    }
  })

  it('a custom next request to another origin keeps only the headers it returns', async () => {
    const other = await serve((_raw, response) => sendJson(response, []))
    try {
      server = await serve((_raw, response) => sendJson(response, [1]))
      await runNode(
        httpSource({
          url: server.url,
          headers: { 'x-api-key': 'secret-key' },
          pagination: {
            type: 'custom',
            next: () => ({ url: other.url, headers: { 'x-other-key': 'given' } }),
          },
        }),
      )
      expect(other.calls[0]?.headers['x-api-key']).toBeUndefined()
      expect(other.calls[0]?.headers['x-other-key']).toBe('given')
    } finally {
      await other.close()
    }
  })

  it('refuses a next link from https to http with HTTP_DOWNGRADE', async () => {
    server = await serve((_raw, response) => sendJson(response, [2]))
    const mock = new MockAgent()
    mock.enableNetConnect('127.0.0.1')
    mock
      .get('https://api.example.test')
      .intercept({ path: '/items', method: 'GET' })
      .reply(200, [1], { headers: { link: `<${server.url}/next>; rel="next"` } })
    const { outputs: items, errors } = await runNode(
      httpSource({
        url: 'https://api.example.test/items',
        auth: { bearer: 'secret-bearer' },
        pagination: { type: 'link' },
        dispatcher: mock,
      }),
    )
    expect(items).toEqual([[1]])
    const error = errors[0] as HttpError
    expect(error.code).toBe('HTTP_DOWNGRADE')
    expect(error.message).toContain(`the next link ${server.url}/next leaves https for http`)
    // Guards: the internal problem's text, not its prefixed message, goes into the HttpError.
    expect(error.message.match(/\[graphflow\]/g)).toHaveLength(1)
    expect(server.calls).toHaveLength(0)
    await mock.close()
  })

  it('custom next function: URL strings or request changes, undefined to stop', async () => {
    server = await serve((_raw, response, request) => {
      const from = Number(request.url.searchParams.get('from') ?? '0')
      sendJson(response, { rows: slice(from, 10), nextFrom: from + 10 < 25 ? from + 10 : null })
    })
    const { outputs: items } = await runNode(
      httpSource({
        url: server.url,
        records: 'rows',
        pagination: {
          type: 'custom',
          next: (last) => {
            const { nextFrom } = last.body as { nextFrom: number | null }
            if (nextFrom === null) return undefined
            return last.page === 1 ? `?from=${nextFrom}` : { query: { from: nextFrom } }
          },
        },
        yield: 'records',
      }),
    )
    expect(items).toEqual(ALL)
  })

  it('stops on a total count from the body, without asking for an empty page', async () => {
    server = await serve((_raw, response, request) => {
      const page = Number(request.url.searchParams.get('page'))
      sendJson(response, { meta: { total: 25 }, data: slice((page - 1) * 10, 10) })
    })
    const { outputs: items } = await runNode(
      httpSource({
        url: server.url,
        records: 'data',
        total: 'meta.total',
        pagination: { type: 'page' },
        yield: 'records',
      }),
    )
    expect(items).toEqual(ALL)
    expect(server.calls).toHaveLength(3)
  })

  it('fails with HTTP_BAD_SHAPE when the total is missing or not a number', async () => {
    server = await serve((_raw, response) =>
      sendJson(response, { meta: { total: 'many' }, data: [1] }),
    )
    const { errors } = await runNode(
      httpSource({
        url: server.url,
        records: 'data',
        total: 'meta.total',
        pagination: { type: 'page' },
      }),
    )
    expect((errors[0] as HttpError).code).toBe('HTTP_BAD_SHAPE')
    expect(errors[0]?.message).toMatch(/the total is "many", expected a number/)
    const missing = await runNode(
      httpSource({
        url: server.url,
        records: 'data',
        total: 'count',
        pagination: { type: 'page' },
      }),
    )
    expect(missing.errors[0]?.message).toMatch(/total path "count" is missing from the body/)
  })

  it('stops when the user predicate says so (that page is still yielded)', async () => {
    server = await serve((_raw, response, request) => {
      const page = Number(request.url.searchParams.get('page'))
      sendJson(response, { done: page === 2, data: slice((page - 1) * 10, 10) })
    })
    const { outputs: items } = await runNode(
      httpSource({
        url: server.url,
        records: 'data',
        pagination: { type: 'page' },
        stopWhen: (page) => (page.body as { done: boolean }).done,
        yield: 'records',
      }),
    )
    expect(items).toEqual(slice(0, 20))
    expect(server.calls).toHaveLength(2)
  })

  it('maxPages bounds an endless API and logs that it stopped early', async () => {
    server = await serve((_raw, response, request) =>
      sendJson(response, [Number(request.url.searchParams.get('page'))]),
    )
    const {
      outputs: items,
      errors,
      logs,
    } = await runNode(
      httpSource({ url: server.url, pagination: { type: 'page' }, maxPages: 4, yield: 'records' }),
    )
    expect(errors).toEqual([])
    expect(items).toEqual([1, 2, 3, 4])
    expect(server.calls).toHaveLength(4)
    expect(logs.some((line) => line.includes('stopped at maxPages (4)'))).toBe(true)
  })

  it('detects a repeated cursor and fails with HTTP_LOOP instead of looping forever', async () => {
    server = await serve((_raw, response, request) => {
      const cursor = request.url.searchParams.get('cursor')
      sendJson(response, {
        items: [cursor ?? 'first'],
        next: cursor === null ? 'a' : cursor === 'a' ? 'b' : 'a',
      })
    })
    const { outputs: items, errors } = await runNode(
      httpSource({
        url: server.url,
        records: 'items',
        pagination: { type: 'cursor', cursor: 'next' },
      }),
    )
    expect(items).toEqual([['first'], ['a'], ['b']])
    const error = errors[0] as HttpError
    expect(error.code).toBe('HTTP_LOOP')
    expect(error.page).toBe(4)
    expect(error.url).toBe(`${server.url}/?cursor=a`)
    expect(error.message).toMatch(/the request for page 4 is the same as for page 2/)
    // Guards issue 8 item 17: page 4 was never fetched, so no status (it showed page 3's).
    expect(error.status).toBeUndefined()
    expect(error.message).toContain(`GET ${server.url}/?cursor=a (page 4): `)
    expect(server.calls).toHaveLength(3)
  })

  it('detects an API that ignores the page parameter (same body again) with HTTP_LOOP', async () => {
    server = await serve((_raw, response) => sendJson(response, records(1, 5)))
    const { outputs: items, errors } = await runNode(
      httpSource({ url: server.url, pagination: { type: 'page', param: 'pg' } }),
    )
    expect(items).toEqual([records(1, 5)])
    expect((errors[0] as HttpError).code).toBe('HTTP_LOOP')
    expect(errors[0]?.message).toMatch(/page 2 has the same body as page 1/)
    expect(errors[0]?.message).toContain(`${server.url}/?pg=2`)
  })

  // Guards issue 8 item 16: an API that ignores ?page= but varies a request id in the body
  // was fetched forever (728 requests in one second).
  it('detects the same records again under a body that changes (a request id) with HTTP_LOOP', async () => {
    let requestId = 0
    server = await serve((_raw, response) =>
      sendJson(response, { requestId: ++requestId, data: records(1, 5) }),
    )
    const { outputs: items, errors } = await runNode(
      httpSource({ url: server.url, records: 'data', pagination: { type: 'page' } }),
    )
    expect(items).toEqual([records(1, 5)])
    const error = errors[0] as HttpError
    expect(error.code).toBe('HTTP_LOOP')
    expect(error.message).toContain(
      `GET ${server.url}/?page=2 (page 2, status 200): page 2 has the same records as page 1`,
    )
    expect(server.calls).toHaveLength(2)
  })

  it('detectLoops: false lets an API repeat its records', async () => {
    server = await serve((_raw, response) =>
      sendJson(response, { id: Math.random(), data: records(1, 2) }),
    )
    const { outputs: items, errors } = await runNode(
      httpSource({
        url: server.url,
        records: 'data',
        pagination: { type: 'page' },
        detectLoops: false,
        maxPages: 3,
      }),
    )
    expect(errors).toEqual([])
    expect(items).toHaveLength(3)
  })

  // Guards issue 11 item 6: a wrong cursor path stopped after page 1 without a word.
  it('a cursor path missing from the first page fails with HTTP_BAD_SHAPE naming the path and the keys', async () => {
    server = await serve((_raw, response) =>
      sendJson(response, { data: records(1, 3), next_cursor: 'c2', meta: {} }),
    )
    const { outputs: items, errors } = await runNode(
      httpSource({
        url: `${server.url}/items?api_key=hidden`,
        records: 'data',
        pagination: { type: 'cursor', cursor: 'next' },
      }),
    )
    expect(items).toEqual([records(1, 3)])
    const error = errors[0] as HttpError
    expect(error.code).toBe('HTTP_BAD_SHAPE')
    expect(error.message).toContain(
      `GET ${server.url}/items?api_key=*** (page 1, status 200): cursor path "next" is missing from the body of page 1 (its top-level keys: data, next_cursor, meta)`,
    )
    expect(server.calls).toHaveLength(1)
  })

  it('a cursor that is null or empty still ends; a missing one ends after page 1 or on an empty first page', async () => {
    const bodies: Record<string, unknown> = {
      start: { data: [1], next: 'b' },
      b: { data: [2], next: '' },
      nullStart: { data: [1], next: null },
      emptyStart: { data: [] },
      laterStart: { data: [1], next: 'l2' },
      l2: { data: [2] },
    }
    server = await serve((_raw, response, request) =>
      sendJson(
        response,
        bodies[request.url.searchParams.get('cursor') ?? request.url.pathname.slice(1)],
      ),
    )
    const run = (path: string) =>
      runNode(
        httpSource({
          url: `${server?.url}/${path}`,
          records: 'data',
          pagination: { type: 'cursor', cursor: 'next' },
          yield: 'records',
        }),
      )
    for (const [path, expected] of [
      ['start', [1, 2]],
      ['nullStart', [1]],
      ['emptyStart', []],
      ['laterStart', [1, 2]],
    ] as const) {
      const { outputs: items, errors } = await run(path)
      expect(errors).toEqual([])
      expect(items).toEqual(expected)
    }
  })

  it('a throwing pagination function is an HTTP_PAGINATION error', async () => {
    server = await serve((_raw, response) => sendJson(response, [1]))
    const { errors } = await runNode(
      httpSource({
        url: server.url,
        pagination: {
          type: 'custom',
          next: () => {
            throw new Error('boom')
          },
        },
      }),
    )
    expect((errors[0] as HttpError).code).toBe('HTTP_PAGINATION')
    expect(errors[0]?.message).toMatch(/pagination threw: Error: boom/)
  })
})
