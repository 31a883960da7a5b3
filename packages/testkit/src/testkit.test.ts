import { defineSink, defineSource } from '@graphflow/core'
import { describe, expect, it } from 'vitest'
import { describeSinkConformance, describeSourceConformance } from './conformance.js'
import { probe } from './probe.js'
import { runNode } from './run-node.js'
import { startTestServer } from './test-server.js'

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
