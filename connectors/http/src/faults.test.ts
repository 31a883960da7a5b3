import { createServer } from 'node:net'
import { runNode, sendJson, type TestServer, useTestServer } from '@graphflow/testkit'
import { describe, expect, it } from 'vitest'
import { records } from '../test/fixtures.js'
import type { HttpRetryInfo } from './fetch-page.js'
import type { HttpError } from './http-error.js'
import { httpSource } from './http-source.js'

const serve = useTestServer()
let server: TestServer | undefined

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Sends headers and half of a JSON body, then resets the connection. */
function resetMidBody(response: import('node:http').ServerResponse): void {
  const text = JSON.stringify(records(1, 100))
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': text.length })
  response.write(text.slice(0, text.length / 2), () => {
    setTimeout(() => response.socket?.resetAndDestroy(), 5)
  })
}

describe('faults', () => {
  it('retries a connection reset mid-body, then succeeds', async () => {
    let calls = 0
    server = await serve((_raw, response) => {
      if (calls++ === 0) resetMidBody(response)
      else sendJson(response, records(1, 100))
    })
    const retries: HttpRetryInfo[] = []
    const { outputs: items, errors } = await runNode(
      httpSource({
        url: server.url,
        retry: { baseDelay: 5 },
        onRetry: (info) => retries.push(info),
      }),
    )
    expect(errors).toEqual([])
    expect(items).toEqual([records(1, 100)])
    expect(retries.map((info) => [info.reason, info.status])).toEqual([['network', undefined]])
  })

  it('gives up on repeated resets with HTTP_NETWORK', async () => {
    server = await serve((_raw, response) => resetMidBody(response))
    const { errors } = await runNode(
      httpSource({ url: server.url, retry: { attempts: 2, baseDelay: 5 } }),
    )
    const error = errors[0] as HttpError
    expect(error.code).toBe('HTTP_NETWORK')
    expect(error.message).toMatch(/\(page 1, 2 attempts\): gave up: /)
    expect(error.cause).toBeInstanceOf(Error)
  })

  it('gives up on a refused connection with HTTP_NETWORK', async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const { port } = probe.address() as import('node:net').AddressInfo
    await new Promise((resolve) => probe.close(resolve))
    const { errors } = await runNode(
      httpSource({ url: `http://127.0.0.1:${port}/`, retry: { attempts: 2, baseDelay: 1 } }),
    )
    expect((errors[0] as HttpError).code).toBe('HTTP_NETWORK')
    expect(errors[0]?.message).toMatch(/ECONNREFUSED/)
  })

  it('times out a server slow to send headers, retries, then succeeds', async () => {
    let calls = 0
    server = await serve(async (_raw, response) => {
      if (calls++ === 0) await sleep(500)
      sendJson(response, [1])
    })
    const retries: HttpRetryInfo[] = []
    const { outputs: items, errors } = await runNode(
      httpSource({
        url: server.url,
        timeout: 100,
        retry: { baseDelay: 5 },
        onRetry: (info) => retries.push(info),
      }),
    )
    expect(errors).toEqual([])
    expect(items).toEqual([[1]])
    expect(retries.map((info) => info.reason)).toEqual(['timeout'])
  })

  it('times out a body that trickles in slower than the timeout (HTTP_TIMEOUT)', async () => {
    server = await serve(async (_raw, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      for (const chunk of ['[1', ',2', ',3', ',4', ',5', ',6', ']']) {
        if (response.destroyed) return
        response.write(chunk)
        await sleep(40)
      }
      response.end()
    })
    const { errors } = await runNode(
      httpSource({ url: server.url, timeout: 100, retry: { attempts: 2, baseDelay: 5 } }),
    )
    const error = errors[0] as HttpError
    expect(error.code).toBe('HTTP_TIMEOUT')
    expect(error.status).toBeUndefined()
    expect(error.message).toMatch(/gave up: no complete response within 100 ms/)
  })

  it('a non-JSON body is an HTTP_BAD_JSON error quoting it, not retried', async () => {
    server = await serve((_raw, response) => {
      response.writeHead(200, { 'content-type': 'text/html' })
      response.end('<html>maintenance</html>')
    })
    const { errors } = await runNode(httpSource({ url: server.url }))
    const error = errors[0] as HttpError
    expect(error.code).toBe('HTTP_BAD_JSON')
    expect(error.message).toMatch(
      /\(page 1, status 200\): the body is not JSON \(text\/html\): <html>maintenance<\/html>$/,
    )
    expect(error.cause).toBeInstanceOf(SyntaxError)
    expect(server.calls).toHaveLength(1)
  })

  it('a body of the wrong shape is an HTTP_BAD_SHAPE error', async () => {
    server = await serve((_raw, response, request) => {
      if (request.url.pathname === '/object') sendJson(response, { data: { items: 'none' } })
      else sendJson(response, { result: [] })
    })
    const missing = await runNode(
      httpSource({ url: `${server.url}/missing`, records: 'data.items' }),
    )
    expect((missing.errors[0] as HttpError).code).toBe('HTTP_BAD_SHAPE')
    expect(missing.errors[0]?.message).toMatch(
      /records path "data.items" is missing from the body \(\{"result":\[\]\}\)/,
    )
    const wrong = await runNode(httpSource({ url: `${server.url}/object`, records: 'data.items' }))
    expect(wrong.errors[0]?.message).toMatch(
      /records path "data.items" is "none", expected an array/,
    )
    const whole = await runNode(httpSource({ url: `${server.url}/object` }))
    expect(whole.errors[0]?.message).toMatch(/the body is an object, expected an array/)
    const byFunction = await runNode(
      httpSource({ url: `${server.url}/object`, records: () => null as unknown as [] }),
    )
    expect(byFunction.errors[0]?.message).toMatch(
      /the records function returned null, expected an array/,
    )
  })

  // Guards issue 8 item 17: a body over the string limit was a retried HTTP_NETWORK error,
  // downloaded five times.
  it('a body over maxBodyBytes fails at once with HTTP_BODY_TOO_LARGE, declared or streamed', async () => {
    const big = JSON.stringify(records(1, 200))
    server = await serve((_raw, response, request) => {
      if (request.url.pathname === '/declared') return sendJson(response, records(1, 200))
      // Chunked: no content-length, the size is only known while reading.
      response.writeHead(200, { 'content-type': 'application/json' })
      response.write(big.slice(0, 1000))
      response.end(big.slice(1000))
    })
    for (const [path, detail] of [
      ['/declared', `content-length ${big.length}`],
      ['/streamed', 'more than 1000 bytes received'],
    ] as const) {
      const before = server.calls.length
      const { errors } = await runNode(
        httpSource({ url: `${server.url}${path}`, maxBodyBytes: 1000 }),
      )
      const error = errors[0] as HttpError
      expect(error.code).toBe('HTTP_BODY_TOO_LARGE')
      expect(error.message).toContain(
        `(page 1, status 200): the body is larger than maxBodyBytes (1000 bytes): ${detail}`,
      )
      expect(server.calls.length - before).toBe(1)
    }
    const fits = await runNode(
      httpSource({ url: `${server.url}/streamed`, maxBodyBytes: big.length }),
    )
    expect(fits.errors).toEqual([])
  })

  it('maxBodyBytes defaults to 64 MiB', async () => {
    server = await serve((_raw, response) => {
      response.writeHead(200, { 'content-length': 64 * 1024 * 1024 + 1 })
      response.write('[')
    })
    const { errors } = await runNode(httpSource({ url: server.url }))
    expect((errors[0] as HttpError).code).toBe('HTTP_BODY_TOO_LARGE')
    expect(errors[0]?.message).toContain('maxBodyBytes (67108864 bytes)')
    expect(server.calls).toHaveLength(1)
  })
})
