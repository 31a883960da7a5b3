import { runNode, sendJson, type TestServer, useTestServer } from '@graphflow/testkit'
import { describe, expect, it } from 'vitest'
import { records } from '../test/fixtures.js'

import { httpSource } from './http-source.js'

const serve = useTestServer()
let server: TestServer | undefined

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Pages 1..5 hold records, page 6 is empty, pages 7+ hold records again (they must never be
 * yielded). Later pages answer sooner, so responses arrive out of order.
 */
async function gappyServer() {
  let inFlight = 0
  let maxInFlight = 0
  const test = await serve(async (_raw, response, request) => {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    const page = Number(request.url.searchParams.get('page'))
    await sleep(Math.max(0, 12 - page) * 8)
    inFlight--
    if (response.destroyed) return
    sendJson(response, page === 6 ? [] : records(page * 100, 3))
  })
  return { test, maxInFlight: () => maxInFlight }
}

describe('concurrency prefetch', () => {
  it('keeps up to n pages in flight, yields them in page order, stops at the first empty page', async () => {
    const { test, maxInFlight } = await gappyServer()
    server = test
    const { outputs: items, errors } = await runNode(
      httpSource({ url: server.url, pagination: { type: 'page' }, concurrency: 4 }),
    )
    expect(errors).toEqual([])
    expect(items).toEqual([1, 2, 3, 4, 5].map((page) => records(page * 100, 3)))
    expect(maxInFlight()).toBe(4)
    const asked = server.calls.map((request) => Number(request.url.searchParams.get('page')))
    expect(Math.max(...asked)).toBeLessThanOrEqual(9)
  })

  it('works with offset pagination and single records', async () => {
    server = await serve((_raw, response, request) => {
      const offset = Number(request.url.searchParams.get('offset'))
      sendJson(response, offset < 50 ? records(offset, 10) : [])
    })
    const { outputs: items } = await runNode(
      httpSource({
        url: server.url,
        pagination: { type: 'offset', limit: 10 },
        concurrency: 3,
        yield: 'records',
      }),
    )
    expect(items).toEqual(records(0, 50))
  })

  it('respects maxPages (never asks for more) and a total', async () => {
    server = await serve((_raw, response, request) => {
      const page = Number(request.url.searchParams.get('page'))
      sendJson(response, { total: 12, data: records(page * 10, 5) })
    })
    const bounded = await runNode(
      httpSource({
        url: server.url,
        records: 'data',
        pagination: { type: 'page' },
        concurrency: 8,
        maxPages: 3,
      }),
    )
    expect(bounded.outputs).toHaveLength(3)
    expect(server.calls).toHaveLength(3)
    const totalled = await runNode(
      httpSource({
        url: server.url,
        records: 'data',
        total: 'total',
        pagination: { type: 'page' },
        concurrency: 2,
        yield: 'records',
      }),
    )
    expect(totalled.outputs).toHaveLength(15)
  })

  it('an error on a page after the last one is discarded with it', async () => {
    server = await serve((_raw, response, request) => {
      const page = Number(request.url.searchParams.get('page'))
      if (page === 1) setTimeout(() => sendJson(response, []), 30)
      else sendJson(response, { error: 'gone' }, 404)
    })
    const { outputs: items, errors } = await runNode(
      httpSource({ url: server.url, pagination: { type: 'page' }, concurrency: 4 }),
    )
    expect(items).toEqual([])
    expect(errors).toEqual([])
  })

  it('an error on a page before the last one fails the source after the pages before it', async () => {
    server = await serve((_raw, response, request) => {
      const page = Number(request.url.searchParams.get('page'))
      if (page === 3) sendJson(response, { error: 'gone' }, 404)
      else sendJson(response, page > 5 ? [] : [page])
    })
    const { outputs: items, errors } = await runNode(
      httpSource({
        url: server.url,
        pagination: { type: 'page' },
        concurrency: 4,
        yield: 'records',
      }),
    )
    expect(items).toEqual([1, 2])
    expect(errors[0]?.message).toMatch(/\?page=3 \(page 3, status 404\)/)
  })
})
