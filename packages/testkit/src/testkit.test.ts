import { defineSink, defineSource } from '@graphflow/core'
import { describe, expect, it } from 'vitest'
import { describeSinkConformance, describeSourceConformance } from './index.js'
import { memoryLogger } from './memory-logger.js'
import { probe } from './probe.js'
import { runNode } from './run-node.js'
import { sendJson, startTestServer, type TestServer, useTestServer } from './test-server.js'

function memorySink() {
  const stored: number[] = []
  let buffer: number[] = []
  const spec = defineSink({
    name: 'memory-sink',
    open: () => {
      buffer = []
    },
    write: (item: number) => {
      buffer.push(item)
    },
    close: () => {
      stored.push(...buffer)
      buffer = []
    },
  })
  return { spec, stored }
}

describeSourceConformance({
  name: 'an in-memory source',
  make: () => ({ spec: defineSource({ name: 'numbers', read: () => [1, 2, 3, 4] }), expected: 4 }),
})

describeSinkConformance({
  name: 'a buffering in-memory sink',
  make: () => {
    const { spec, stored } = memorySink()
    return { spec, read: () => stored }
  },
  items: () => [1, 2, 3, 4, 5, 6],
})

describe('runNode', () => {
  it('feeds inputs one per call and collects outputs', async () => {
    const { outputs, report } = await runNode(
      async function* double(value: number) {
        yield value * 2
      },
      { inputs: [1, 2, 3] },
    )
    expect(outputs).toEqual([2, 4, 6])
    expect(report.dataFlowStats.double).toEqual({ in: 3, out: 3, err: 0 })
  })

  it('calls a source once with its start args and keeps its errors', async () => {
    const { outputs, errors, logs } = await runNode(
      async function* greet(name: string) {
        yield `hello ${name}`
        throw new Error('boom')
      },
      { startArgs: ['ada'] },
    )
    expect(outputs).toEqual(['hello ada'])
    expect(errors.map((error) => error.message)).toEqual(['boom'])
    expect(logs.join('\n')).toMatch(/node 'greet' raised: Error: boom/)
  })
})

describe('probe', () => {
  it('counts opens, closes, accepted calls and outputs', async () => {
    const { spec, counts } = probe(defineSource({ name: 'letters', read: () => ['a', 'b'] }))
    await runNode(spec)
    expect(counts).toMatchObject({
      opens: 1,
      closes: 1,
      accepted: 1,
      outputs: 2,
      outputsAfterClose: 0,
    })
  })
})

describe('startTestServer', () => {
  it('serves on 127.0.0.1 and counts requests; a throwing handler answers 500', async () => {
    const server = await startTestServer((request, response) => {
      if (request.url === '/fail') throw new Error('handler failed')
      response.end('ok')
    })
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(await (await fetch(server.url)).text()).toBe('ok')
      expect((await fetch(`${server.url}/fail`)).status).toBe(500)
      expect(server.requests).toBe(2)
    } finally {
      await server.close()
    }
  })
})

describe('startTestServer records the calls', () => {
  it('keeps method, URL, headers and body of every request, and answers JSON with sendJson', async () => {
    const server = await startTestServer((_request, response, call) => {
      sendJson(response, { page: call.url.searchParams.get('page'), body: call.body })
    })
    try {
      const answer = await fetch(`${server.url}/items?page=2`, {
        method: 'POST',
        headers: { 'x-token': 'abc' },
        body: '{"q":1}',
      })
      expect(answer.headers.get('content-type')).toBe('application/json')
      expect(await answer.json()).toEqual({ page: '2', body: '{"q":1}' })
      expect(server.calls).toHaveLength(1)
      const [call] = server.calls
      expect(call?.method).toBe('POST')
      expect(call?.url.href).toBe(`${server.url}/items?page=2`)
      expect(call?.headers['x-token']).toBe('abc')
      expect(call?.body).toBe('{"q":1}')
      expect(server.requests).toBe(1)
    } finally {
      await server.close()
    }
  })
})

describe('memoryLogger and runNode', () => {
  it('keeps the lines logged, and runNode calls onOutput as outputs arrive', async () => {
    const logger = memoryLogger()
    logger.info('a')
    logger.error('b')
    expect(logger.lines).toEqual(['a', 'b'])
    expect(logger.infos).toEqual(['a'])
    expect(logger.errors).toEqual(['b'])
    const seen: number[] = []
    const { outputs, logs } = await runNode(
      defineSource({
        name: 'numbers',
        read: () => [1, 2, 3],
      }),
      { onOutput: (value: number) => seen.push(value) },
    )
    expect(outputs).toEqual([1, 2, 3])
    expect(seen).toEqual([1, 2, 3])
    expect(logs).toEqual([])
  })
})

describe('useTestServer', () => {
  const serve = useTestServer()
  let first: TestServer | undefined

  // Guards: a server started through useTestServer is closed after its test, not left listening.
  it('starts a server that answers during the test', async () => {
    first = await serve((_request, response) => sendJson(response, ['up']))
    expect(await (await fetch(first.url)).json()).toEqual(['up'])
  })

  it('has closed the server of the test before', async () => {
    await expect(fetch((first as TestServer).url)).rejects.toThrow()
  })
})
