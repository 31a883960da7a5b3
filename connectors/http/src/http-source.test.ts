import { memoryLogger, runNode, sendJson, type TestServer, useTestServer } from '@graphflow/testkit'
import { Agent } from 'undici'
import { describe, expect, it } from 'vitest'
import { records } from '../test/fixtures.js'
import { HttpError } from './http-error.js'
import { httpSource } from './http-source.js'
import type { HttpPageInfo } from './http-source-options.js'

const serve = useTestServer()
let server: TestServer | undefined

describe('httpSource: one request', () => {
  it('yields the body as one page when it is an array, and does no I/O before open()', async () => {
    server = await serve((_raw, response) => sendJson(response, records(1, 3)))
    const spec = httpSource({ url: `${server.url}/items` })
    expect(server.calls).toHaveLength(0)
    expect(spec.name).toBe('httpSource')
    expect(spec.fn.name).toBe('httpSource')
    const { outputs: items, errors } = await runNode(spec)
    expect(errors).toEqual([])
    expect(items).toEqual([records(1, 3)])
    expect(server.calls).toHaveLength(1)
    expect(server.calls[0]?.headers.accept).toBe('application/json')
  })

  it('extracts records by path or function and yields single records on request', async () => {
    server = await serve((_raw, response) =>
      sendJson(response, { data: { items: records(1, 3) }, meta: {} }),
    )
    const byPath = await runNode(
      httpSource<{ id: number }>({ url: server.url, records: 'data.items', yield: 'records' }),
    )
    expect(byPath.outputs).toEqual(records(1, 3))
    const byFunction = await runNode(
      httpSource({
        url: server.url,
        records: (body) => (body as { data: { items: Array<{ id: number }> } }).data.items.slice(1),
      }),
    )
    expect(byFunction.outputs).toEqual([records(2, 2)])
  })

  it('sends query, headers, bearer auth and a POST JSON body', async () => {
    server = await serve((_raw, response) => sendJson(response, []))
    await runNode(
      httpSource({
        url: `${server.url}/search?fixed=1`,
        method: 'POST',
        query: { q: 'beer', tags: ['a', 'b'], skip: undefined },
        headers: { 'x-api-key': 'k' },
        auth: { bearer: 'secret' },
        body: { filter: { country: 'IE' } },
      }),
    )
    const seen = server.calls[0]
    expect(seen?.method).toBe('POST')
    expect(seen?.url.search).toBe('?fixed=1&q=beer&tags=a&tags=b')
    expect(seen?.headers['x-api-key']).toBe('k')
    expect(seen?.headers.authorization).toBe('Bearer secret')
    expect(seen?.headers['content-type']).toBe('application/json')
    expect(JSON.parse(seen?.body ?? '')).toEqual({ filter: { country: 'IE' } })
  })

  it('sends basic auth', async () => {
    server = await serve((_raw, response) => sendJson(response, []))
    await runNode(httpSource({ url: server.url, auth: { username: 'ada', password: 'pw' } }))
    expect(server.calls[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('ada:pw').toString('base64')}`,
    )
  })

  it('takes a URL or an override object as its start argument', async () => {
    server = await serve((_raw, response, request) =>
      sendJson(response, [{ path: request.url.pathname, search: request.url.search }]),
    )
    const spec = httpSource({ url: `${server.url}/default`, query: { a: 1 }, yield: 'records' })
    const plain = await runNode(spec)
    expect(plain.outputs).toEqual([{ path: '/default', search: '?a=1' }])
    const byUrl = await runNode(spec, { startArgs: [`${server.url}/other`] })
    expect(byUrl.outputs).toEqual([{ path: '/other', search: '?a=1' }])
    const byObject = await runNode(spec, { startArgs: [{ url: 'relative', query: { b: 2 } }] })
    expect(byObject.outputs).toEqual([{ path: '/relative', search: '?a=1&b=2' }])
  })

  it('can be fed start overrides by an upstream node, one paginated run per item', async () => {
    server = await serve((_raw, response, request) =>
      sendJson(response, [request.url.searchParams.get('country')]),
    )
    const { AsyncGraph, AsyncExecutor } = await import('@graphflow/core')
    const graph = new AsyncGraph()
    const countries = graph.addNode(async function* countries() {
      yield { query: { country: 'IE' } }
      yield { query: { country: 'FR' } }
    })
    const fetched = graph.addNode(httpSource<string>({ url: server.url, yield: 'records' }))
    const seen: string[] = []
    const sink = graph.addNode(async function* sink(country: string) {
      seen.push(country)
    })
    graph.addEdge(countries, fetched)
    graph.addEdge(fetched, sink)
    await new AsyncExecutor(graph, { logger: memoryLogger() }).execute()
    expect(seen).toEqual(['IE', 'FR'])
  })

  // Guards the naming convention: the default node name (the report key) is the factory's name.
  it("is named 'httpSource' in the report by default, 'http-source' only when asked", async () => {
    server = await serve((_raw, response) => sendJson(response, records(1, 2)))
    const { AsyncGraph, AsyncExecutor } = await import('@graphflow/core')
    const graph = new AsyncGraph()
    graph.addNode(httpSource({ url: server.url }))
    graph.addNode(httpSource({ url: server.url, name: 'http-source' }))
    const report = await new AsyncExecutor(graph, { logger: memoryLogger() }).execute()
    expect(Object.keys(report.dataFlowStats).sort()).toEqual(['http-source', 'httpSource'])
    expect(report.dataFlowStats.httpSource).toMatchObject({ out: 1, err: 0 })
    expect(report.dataFlowStats['http-source']).toMatchObject({ out: 1, err: 0 })
  })

  it('counts pages and records in stats and onPage', async () => {
    server = await serve((_raw, response, request) => {
      const page = Number(request.url.searchParams.get('page'))
      sendJson(response, page <= 2 ? records(page * 10, 2) : [])
    })
    const infos: HttpPageInfo[] = []
    const spec = httpSource({
      url: server.url,
      pagination: { type: 'page' },
      onPage: (info) => infos.push(info),
    })
    await runNode(spec)
    expect(spec.stats).toEqual({ pages: 3, records: 4, retries: 0 })
    expect(infos.map((info) => [info.page, info.records, info.status, info.attempts])).toEqual([
      [1, 2, 200, 1],
      [2, 2, 200, 1],
      [3, 0, 200, 1],
    ])
    expect(infos[2]?.stats).toEqual({ pages: 3, records: 4, retries: 0 })
    expect(infos[0]?.url).toBe(`${server.url}/?page=1`)
  })

  it('uses a given dispatcher and leaves it open', async () => {
    server = await serve((_raw, response) => sendJson(response, [1]))
    const dispatcher = new Agent()
    let dispatched = 0
    const counting = dispatcher.compose((dispatch) => (options, handler) => {
      dispatched++
      return dispatch(options, handler)
    })
    const { outputs: items } = await runNode(httpSource({ url: server.url, dispatcher: counting }))
    expect(items).toEqual([[1]])
    expect(dispatched).toBe(1)
    expect(dispatcher.closed).toBe(false)
    await dispatcher.close()
  })

  it('follows redirects', async () => {
    server = await serve((_raw, response, request) => {
      if (request.url.pathname === '/old') {
        response.writeHead(301, { location: '/new' })
        response.end()
      } else sendJson(response, [request.url.pathname])
    })
    const { outputs: items } = await runNode(
      httpSource({ url: `${server.url}/old`, yield: 'records' }),
    )
    expect(items).toEqual(['/new'])
  })

  it('works when fn is called without open(), closing its own agent', async () => {
    server = await serve((_raw, response) => sendJson(response, [1, 2]))
    const spec = httpSource<number>({ url: server.url, yield: 'records' })
    const out: number[] = []
    for await (const item of spec.fn()) out.push(item)
    expect(out).toEqual([1, 2])
  })

  it('gives a 404 as an HTTP_STATUS error naming URL, page and status, without retrying', async () => {
    server = await serve((_raw, response) => sendJson(response, { error: 'nope' }, 404))
    const { errors, outputs: items } = await runNode(httpSource({ url: `${server.url}/missing` }))
    expect(items).toEqual([])
    const error = errors[0] as HttpError
    expect(error).toBeInstanceOf(HttpError)
    expect(error.code).toBe('HTTP_STATUS')
    expect(error.status).toBe(404)
    expect(error.page).toBe(1)
    expect(error.message).toBe(
      `[graphflow] [http] GET ${server.url}/missing (page 1, status 404): HTTP 404: {"error":"nope"}`,
    )
    expect(server.calls).toHaveLength(1)
  })
})

describe('httpSource: option validation', () => {
  const url = 'http://127.0.0.1:1/'
  it.each([
    [{}, /"url": expected a URL string or URL, got undefined/],
    [{ url: 'ftp://x' }, /"url": expected an http\(s\) URL, got ftp:\/\/x/],
    [{ url: 'not a url' }, /expected an absolute http\(s\) URL, got not a url/],
    [{ url, method: 'PUT' }, /"method": expected one of "GET", "POST", got "PUT"/],
    [{ url, concurrency: 0 }, /"concurrency": expected an integer >= 1, got 0/],
    [
      { url, concurrency: 4, pagination: { type: 'cursor', cursor: 'next' } },
      /"concurrency": expected 1 unless/,
    ],
    [
      { url, pagination: { type: 'pages' } },
      /"pagination.type": expected one of "page", "offset", "cursor", "link", "custom", got "pages"/,
    ],
    [
      { url, pagination: { type: 'offset' } },
      /"pagination.limit": expected an integer >= 1, got undefined/,
    ],
    [
      { url, pagination: { type: 'cursor' } },
      /"pagination.cursor": expected a path string or a function, got undefined/,
    ],
    [
      { url, stopOnShortPage: true, pagination: { type: 'page' } },
      /"stopOnShortPage": expected a known page size/,
    ],
    [{ url, retry: { attempts: 0 } }, /"retry.attempts": expected an integer >= 1, got 0/],
    [{ url, retry: { baseDelay: -1 } }, /"retry.baseDelay": expected milliseconds >= 0, got -1/],
    [{ url, timeout: 0 }, /"timeout": expected milliseconds > 0, got 0/],
    [{ url, requestsPerSecond: 0 }, /"requestsPerSecond": expected a number > 0, got 0/],
    [{ url, maxPages: 0 }, /"maxPages": expected an integer >= 1 or Infinity, got 0/],
    [{ url, yield: 'items' }, /"yield": expected one of "pages", "records", got "items"/],
    [{ url, records: 3 }, /"records": expected a path string or a function, got 3/],
    [{ url, auth: { token: 'x' } }, /"auth": expected \{ bearer \} or \{ username, password \}/],
    [{ url, onPage: 'log' }, /"onPage": expected a function, got "log"/],
    [{ url, maxBodyBytes: 0 }, /"maxBodyBytes": expected an integer >= 1 or Infinity, got 0/],
    [{ url, trustedOrigins: 'x' }, /"trustedOrigins": expected an array of origins, got "x"/],
    [{ url, trustedOrigins: ['ftp://x'] }, /"trustedOrigins": expected http\(s\) origins/],
    [{ url, redact: ['token', ''] }, /"redact": expected an array of parameter and header names/],
    [{ url, auth: { username: 'a:b', password: 'c' } }, /"auth": expected a username without ":"/],
  ])('rejects %j with a TypeError naming the option', (options, message) => {
    expect(() => httpSource(options as never)).toThrow(TypeError)
    expect(() => httpSource(options as never)).toThrow(message)
  })
})

describe('httpSource: start argument errors', () => {
  it('a start argument that is neither a URL nor an object is a TypeError in the run', async () => {
    const { errors } = await runNode(httpSource({ url: 'http://127.0.0.1:1/' }), {
      startArgs: [42],
    })
    expect(errors[0]).toBeInstanceOf(TypeError)
    expect(errors[0]?.message).toBe(
      'httpSource start argument: expected a URL or an object, got 42',
    )
  })
})
