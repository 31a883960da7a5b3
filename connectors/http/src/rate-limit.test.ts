import { runNode, sendJson, type TestServer, useTestServer } from '@graphflow/testkit'
import { Agent } from 'undici'
import { describe, expect, it } from 'vitest'
import { httpSource } from './http-source.js'
import { RateLimiter } from './rate-limit.js'

const serve = useTestServer()
let server: TestServer | undefined

describe('requestsPerSecond', () => {
  it('gives request starts slots 1000 / rate ms apart', async () => {
    server = await serve((_raw, response, request) => {
      const page = Number(request.url.searchParams.get('page'))
      sendJson(response, page <= 4 ? [page] : [])
    })
    const agent = new Agent()
    const times: number[] = []
    const dispatcher = agent.compose((dispatch) => (options, handler) => {
      times.push(performance.now())
      return dispatch(options, handler)
    })
    const started = performance.now()
    const { outputs: items } = await runNode(
      httpSource({
        url: server.url,
        pagination: { type: 'page' },
        requestsPerSecond: 20,
        concurrency: 3,
        dispatcher,
      }),
    )
    await agent.close()
    expect(items).toEqual([[1], [2], [3], [4]])
    expect(times).toHaveLength(5)
    // Slots are 50 ms apart from the first one, which is not before the run started: start n
    // is never earlier than started + n * 50 ms (minus timer granularity). Measured from the
    // run's start, not from the first dispatch, which a loaded machine may delay.
    for (let index = 1; index < times.length; index++) {
      expect((times[index] ?? 0) - started).toBeGreaterThanOrEqual(index * 50 - 2)
    }
  })

  it('a waiting caller is released when its signal aborts', async () => {
    const limiter = new RateLimiter(0.1)
    const controller = new AbortController()
    await limiter.wait(controller.signal)
    const waiting = limiter.wait(controller.signal)
    controller.abort(new Error('stop'))
    await expect(waiting).rejects.toThrow('stop')
  })
})
