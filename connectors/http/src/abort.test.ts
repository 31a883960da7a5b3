import { runNode, sendJson, type TestServer, useTestServer } from '@graphflow/testkit'
import { describe, expect, it } from 'vitest'
import type { HttpError } from './http-error.js'
import { httpSource } from './http-source.js'

const serve = useTestServer()
let server: TestServer | undefined

/** An endless page-number API: page n holds `[n]`; from `hangFrom` on, it never answers. */
async function endlessServer(hangFrom = Number.POSITIVE_INFINITY) {
  return serve((_raw, response, request) => {
    const page = Number(request.url.searchParams.get('page'))
    if (page >= hangFrom) return
    sendJson(response, [page])
  })
}

describe('abort', () => {
  it('stops quietly mid-run when the executor signal aborts', async () => {
    server = await endlessServer()
    const controller = new AbortController()
    const {
      outputs: items,
      report,
      errors,
    } = await runNode(
      httpSource<number>({ url: server.url, pagination: { type: 'page' }, yield: 'records' }),
      { signal: controller.signal, onOutput: (item) => item === 3 && controller.abort() },
    )
    expect(report.aborted).toBe(true)
    expect(errors).toEqual([])
    expect(items.slice(0, 3)).toEqual([1, 2, 3])
    expect(server.calls.length).toBeLessThan(50)
  })

  it('aborts a request in flight when the executor signal aborts', { timeout: 5000 }, async () => {
    server = await endlessServer(3)
    const controller = new AbortController()
    const spec = httpSource({ url: server.url, pagination: { type: 'page' }, timeout: 60_000 })
    const run = runNode(spec, { signal: controller.signal })
    while (server.calls.length < 3) await new Promise((resolve) => setTimeout(resolve, 5))
    controller.abort()
    const { outputs: items, report, errors } = await run
    expect(report.aborted).toBe(true)
    expect(errors).toEqual([])
    expect(items).toEqual([[1], [2]])
  })

  it('aborts a retry wait when the executor signal aborts', { timeout: 5000 }, async () => {
    server = await serve((_raw, response) => sendJson(response, {}, 503, { 'retry-after': '30' }))
    const controller = new AbortController()
    const spec = httpSource({
      url: server.url,
      onRetry: () => setTimeout(() => controller.abort(), 10),
    })
    const { report, errors } = await runNode(spec, { signal: controller.signal })
    expect(report.aborted).toBe(true)
    expect(errors).toEqual([])
    expect(server.calls).toHaveLength(1)
  })

  it('the signal option stops the source with an HTTP_ABORTED error naming the page', {
    timeout: 5000,
  }, async () => {
    server = await endlessServer(3)
    const controller = new AbortController()
    const spec = httpSource({
      url: server.url,
      pagination: { type: 'page' },
      signal: controller.signal,
      onPage: (info) => info.page === 2 && setTimeout(() => controller.abort(), 20),
    })
    const { outputs: items, report, errors } = await runNode(spec)
    expect(report.aborted).toBe(false)
    expect(items).toEqual([[1], [2]])
    const error = errors[0] as HttpError
    expect(error.code).toBe('HTTP_ABORTED')
    expect(error.page).toBe(3)
    expect(error.message).toContain(`${server.url}/?page=3`)
  })

  it('an already aborted signal option makes no request', async () => {
    server = await endlessServer()
    const { errors } = await runNode(httpSource({ url: server.url, signal: AbortSignal.abort() }))
    expect((errors[0] as HttpError).code).toBe('HTTP_ABORTED')
    expect(server.calls).toHaveLength(0)
  })
})
