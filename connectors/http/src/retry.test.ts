import { runNode, sendJson, type TestServer, useTestServer } from '@graphflow/testkit'
import { describe, expect, it } from 'vitest'
import { records } from '../test/fixtures.js'
import { resolveRetry } from './check-options.js'
import type { HttpRetryInfo } from './fetch-page.js'
import type { HttpError } from './http-error.js'
import { httpSource } from './http-source.js'

import { backoffDelay, parseRetryAfter, retryDelay } from './retry.js'

const serve = useTestServer()
let server: TestServer | undefined

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z')
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter(['7', '9'], now)).toBe(7000)
  })

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
    expect(parseRetryAfter('-1', now)).toBeUndefined()
    expect(parseRetryAfter('1.5', now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
  })

  // Guards issue 8 item 17: Date.parse read "2, 3" as 2001 (0 ms) and "x 2030" as 2030 (years).
  it('reads only integers and RFC 9110 HTTP dates: anything else falls back to backoff', () => {
    for (const value of ['2, 3', 'soon 5', 'x 2030', '1e3', '2025-01-01T00:00:05Z']) {
      expect(parseRetryAfter(value, now), value).toBeUndefined()
    }
    expect(parseRetryAfter('Wednesday, 01-Jan-25 00:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Wed Jan  1 00:00:05 2025', now)).toBe(5000)
  })
})

describe('backoff', () => {
  it('is exponential with full jitter from the injected random source, capped by maxDelay', () => {
    const retry = resolveRetry({ baseDelay: 100, maxDelay: 1000, random: () => 0.5 })
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, retry))).toEqual([
      50, 100, 200, 400, 500, 500,
    ])
    const zero = resolveRetry({ baseDelay: 100, random: () => 0 })
    expect(backoffDelay(3, zero)).toBe(0)
    const high = resolveRetry({ baseDelay: 100, random: () => 0.999 })
    expect(backoffDelay(0, high)).toBe(99)
  })

  it('two clients with different random sources do not retry in lockstep', () => {
    let seed = 1
    const lcg = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const a = resolveRetry({ baseDelay: 1000, random: lcg })
    const b = resolveRetry({ baseDelay: 1000, random: lcg })
    const delaysA = [0, 1, 2, 3].map((n) => backoffDelay(n, a))
    const delaysB = [0, 1, 2, 3].map((n) => backoffDelay(n, b))
    expect(delaysA).not.toEqual(delaysB)
  })

  it('honours Retry-After, adding a jitter of at most baseDelay', () => {
    const retry = resolveRetry({ baseDelay: 100, random: () => 0.5 })
    expect(retryDelay(0, 2000, retry)).toBe(2050)
    expect(retryDelay(2, undefined, retry)).toBe(200)
  })
})

function flaky(failures: Array<(response: import('node:http').ServerResponse) => void>) {
  let calls = 0
  return (_request: unknown, response: import('node:http').ServerResponse) => {
    const fail = failures[calls++]
    if (fail) fail(response)
    else sendJson(response, { data: records(1, 3) })
  }
}

describe('retries', () => {
  it('retries a 503 then succeeds, reporting the retry to onRetry, stats and the logger', async () => {
    server = await serve(flaky([(response) => sendJson(response, { error: 'busy' }, 503)]))
    const retries: HttpRetryInfo[] = []
    const spec = httpSource({
      url: server.url,
      records: 'data',
      retry: { baseDelay: 5, random: () => 0.5 },
      onRetry: (info) => retries.push(info),
    })
    const { outputs: items, errors, logs } = await runNode(spec)
    expect(errors).toEqual([])
    expect(items).toEqual([records(1, 3)])
    expect(server.calls).toHaveLength(2)
    expect(retries).toEqual([
      {
        method: 'GET',
        url: `${server.url}/`,
        page: 1,
        attempt: 1,
        attempts: 5,
        reason: 'status',
        status: 503,
        error: 'HTTP 503: {"error":"busy"}',
        delay: 2,
        retryAfter: undefined,
      },
    ])
    expect(spec.stats.retries).toBe(1)
    expect(logs.filter((line) => line.includes('retrying in 2 ms'))).toHaveLength(1)
  })

  it('honours a 429 Retry-After in seconds', async () => {
    server = await serve(flaky([(response) => sendJson(response, {}, 429, { 'retry-after': '1' })]))
    const retries: HttpRetryInfo[] = []
    const { outputs: items } = await runNode(
      httpSource({
        url: server.url,
        records: 'data',
        retry: { baseDelay: 5, random: () => 0 },
        onRetry: (info) => retries.push(info),
      }),
    )
    expect(items).toEqual([records(1, 3)])
    expect(retries[0]?.retryAfter).toBe(1000)
    expect(retries[0]?.delay).toBe(1000)
    const [first, second] = server.calls
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950)
  })

  it('honours a 429 Retry-After given as an HTTP date', async () => {
    server = await serve(
      flaky([
        (response) =>
          sendJson(response, {}, 429, { 'retry-after': new Date(Date.now() + 2000).toUTCString() }),
      ]),
    )
    const retries: HttpRetryInfo[] = []
    const { outputs: items } = await runNode(
      httpSource({
        url: server.url,
        records: 'data',
        retry: { baseDelay: 5, random: () => 0 },
        onRetry: (info) => retries.push(info),
      }),
    )
    expect(items).toEqual([records(1, 3)])
    // An HTTP date has whole seconds: 2 s from now is 1 to 2 s away.
    expect(retries[0]?.retryAfter).toBeGreaterThan(900)
    expect(retries[0]?.retryAfter).toBeLessThanOrEqual(2000)
  })

  it('a malformed Retry-After falls back to the backoff', async () => {
    server = await serve(
      flaky([
        (response) => sendJson(response, {}, 503, { 'retry-after': 'x 2030' }),
        (response) => sendJson(response, {}, 429, { 'retry-after': '2, 3' }),
      ]),
    )
    const retries: HttpRetryInfo[] = []
    const { errors, outputs: items } = await runNode(
      httpSource({
        url: server.url,
        records: 'data',
        retry: { baseDelay: 40, random: () => 0.5 },
        onRetry: (info) => retries.push(info),
      }),
    )
    expect(errors).toEqual([])
    expect(items).toEqual([records(1, 3)])
    expect(retries.map((info) => [info.retryAfter, info.delay])).toEqual([
      [undefined, 20],
      [undefined, 40],
    ])
  })

  it('fails loudly with HTTP_RETRY_AFTER_TOO_LONG instead of shortening a long Retry-After', {
    timeout: 5000,
  }, async () => {
    server = await serve((_raw, response) => sendJson(response, {}, 503, { 'retry-after': '3600' }))
    const { errors } = await runNode(
      httpSource({ url: server.url, retry: { baseDelay: 5, maxRetryAfter: 10_000 } }),
    )
    const error = errors[0] as HttpError
    expect(error.code).toBe('HTTP_RETRY_AFTER_TOO_LONG')
    expect(error.status).toBe(503)
    expect(error.message).toMatch(
      /\(page 1, status 503\): the server asked to retry after 3600000 ms, more than retry.maxRetryAfter \(10000 ms\)/,
    )
    expect(server.calls).toHaveLength(1)
  })

  it('gives up after the attempts with an error naming URL, page, status and attempts', async () => {
    server = await serve((_raw, response, request) => {
      if (request.url.searchParams.get('page') === '1') sendJson(response, [1])
      else sendJson(response, { error: 'down' }, 502)
    })
    const retries: number[] = []
    const { outputs: items, errors } = await runNode(
      httpSource({
        url: `${server.url}/things`,
        pagination: { type: 'page' },
        retry: { attempts: 3, baseDelay: 5 },
        onRetry: (info) => retries.push(info.attempt),
      }),
    )
    expect(items).toEqual([[1]])
    expect(retries).toEqual([1, 2])
    const error = errors[0] as HttpError
    expect(error.code).toBe('HTTP_STATUS')
    expect(error.page).toBe(2)
    expect(error.attempts).toBe(3)
    expect(error.message).toBe(
      `[graphflow] [http] GET ${server.url}/things?page=2 (page 2, status 502, 3 attempts): gave up: HTTP 502: {"error":"down"}`,
    )
  })

  it('retry: false makes a single attempt; statuses narrows what is retried', async () => {
    server = await serve((_raw, response) => sendJson(response, {}, 500))
    await runNode(httpSource({ url: server.url, retry: false }))
    expect(server.calls).toHaveLength(1)
    await runNode(httpSource({ url: server.url, retry: { statuses: [503], baseDelay: 1 } }))
    expect(server.calls).toHaveLength(2)
  })
})
