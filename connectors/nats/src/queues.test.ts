import { AsyncExecutor, AsyncGraph, checkpoint } from '@graphflow/core'
import { jetstreamManager } from '@nats-io/jetstream'
import { describe, expect, it } from 'vitest'
import { js, streamMessages } from '../test/helpers.js'
import { skipReason, uniqueRun, useNats } from '../test/nats-server.js'
import { provisionNode } from './layout.js'
import { JetStreamInboundQueue, JetStreamOutboundQueue } from './queues.js'
import { RunState } from './run-state.js'

const quiet = { info() {}, error() {}, warn() {} }

/** source -> check -> save; `check` refuses the values in `refuse`. */
function graphOf(count: number, saved: number[], refuse: ReadonlySet<number> = new Set()) {
  const graph = new AsyncGraph()
  const source = graph.addNode(async function* source() {
    for (let value = 1; value <= count; value++) {
      yield value
      if (value % 10 === 0) yield checkpoint(value)
    }
  })
  const check = graph.addNode(async function* check(value: number) {
    if (refuse.has(value)) throw new Error(`refused ${value}`)
    await new Promise((resolve) => setTimeout(resolve, 1))
    yield value * 2
  })
  const save = graph.addNode(async function* save(value: number) {
    saved.push(value)
  })
  graph.addEdge(source, check).addEdge(check, save)
  return graph
}

describe.skipIf(skipReason)('JetStreamInboundQueue and JetStreamOutboundQueue', () => {
  const nats = useNats()

  async function setUp(options: { ackWaitMs?: number } = {}) {
    const run = uniqueRun()
    const layout = await provisionNode(await jetstreamManager(nats.nc), {
      run,
      node: 'check',
      producers: ['fetch-0'],
      ...options,
    })
    const state = await RunState.open(nats.nc, run)
    await state.registerNode(layout)
    return { run, layout, state }
  }

  it('joins two executors: every item arrives once, each input acked once its work is done', async () => {
    const { layout, state } = await setUp()
    const saved: number[] = []
    const graph = graphOf(250, saved)
    const positions: unknown[] = []
    const producer = new AsyncExecutor(graph, { logger: quiet })
    producer.on('position-stored', (event) => positions.push(event.position))
    let outbound: JetStreamOutboundQueue | undefined
    let inbound: JetStreamInboundQueue | undefined
    const [one, two] = await Promise.all([
      producer.execute({
        placement: {
          local: ['source'],
          outboundQueue: () => {
            outbound = new JetStreamOutboundQueue({
              js: js(nats.nc),
              layout,
              state,
              worker: 'fetch-0',
              maxItems: 7,
            })
            return outbound
          },
        },
      }),
      new AsyncExecutor(graph, { logger: quiet }).execute({
        placement: {
          local: ['check', 'save'],
          inboundQueue: () => {
            inbound = new JetStreamInboundQueue({ js: js(nats.nc), layout, state, prefetch: 4 })
            return inbound
          },
        },
      }),
    ])
    expect(one.ok && two.ok).toBe(true)
    expect(saved.sort((a, b) => a - b)).toEqual(Array.from({ length: 250 }, (_, i) => 2 * i + 2))
    expect(two.dataFlowStats.check).toMatchObject({ out: 250, err: 0 })
    // 250 items in messages of at most 7: every message acked, none left in the stream.
    expect(outbound?.publisher.published).toEqual({ messages: 36, items: 250 })
    expect(inbound?.settlements).toEqual({ ack: 36, nak: 0, term: 0 })
    expect(inbound?.received).toBe(250)
    expect(await streamMessages(nats.nc, layout)).toBe(0)
    // Positions are stored for the remote sink once the publishes of their unit were acked.
    expect(positions).toEqual(Array.from({ length: 25 }, (_, i) => 10 * (i + 1)))
    const [status] = await state.status()
    expect(status?.ended['fetch-0']).toMatchObject({ messages: 36, items: 250 })
    expect(status?.done).toBe(true)
  })

  it('with retries, a message with a failed item is nak’d, redelivered, then terminated', async () => {
    const { layout, state } = await setUp()
    const saved: number[] = []
    const graph = graphOf(4, saved, new Set([3]))
    let inbound: JetStreamInboundQueue | undefined
    const [, two] = await Promise.all([
      new AsyncExecutor(graph, { logger: quiet }).execute({
        placement: {
          local: ['source'],
          outboundQueue: () =>
            new JetStreamOutboundQueue({
              js: js(nats.nc),
              layout,
              state,
              worker: 'fetch-0',
              maxItems: 2,
            }),
        },
      }),
      new AsyncExecutor(graph, { logger: quiet }).execute({
        placement: {
          local: ['check', 'save'],
          inboundQueue: () => {
            inbound = new JetStreamInboundQueue({
              js: js(nats.nc),
              layout,
              state,
              retries: 1,
              backoffMs: [50],
            })
            return inbound
          },
        },
      }),
    ])
    // [1, 2] acked; [3, 4] failed twice (first delivery and one retry), then terminated: the
    // input did not end while the message waited for its redelivery.
    expect(inbound?.settlements).toEqual({ ack: 1, nak: 1, term: 1 })
    expect(two.dataFlowStats.check?.err).toBe(2)
    expect(saved.sort((a, b) => a - b)).toEqual([2, 4, 8, 8])
    expect(await streamMessages(nats.nc, layout)).toBe(0)
  })

  it('without retries a failed item is counted and its message acked, as in one process', async () => {
    const { layout, state } = await setUp()
    const saved: number[] = []
    const graph = graphOf(4, saved, new Set([3]))
    let inbound: JetStreamInboundQueue | undefined
    const [, two] = await Promise.all([
      new AsyncExecutor(graph, { logger: quiet }).execute({
        placement: {
          local: ['source'],
          outboundQueue: () =>
            new JetStreamOutboundQueue({ js: js(nats.nc), layout, state, worker: 'fetch-0' }),
        },
      }),
      new AsyncExecutor(graph, { logger: quiet }).execute({
        placement: {
          local: ['check', 'save'],
          inboundQueue: () => {
            inbound = new JetStreamInboundQueue({ js: js(nats.nc), layout, state })
            return inbound
          },
        },
      }),
    ])
    expect(two.ok).toBe(false)
    expect(two.exceptions.check?.map((error) => error.message)).toEqual(['refused 3'])
    expect(inbound?.settlements).toEqual({ ack: 1, nak: 0, term: 0 })
    expect(saved.sort((a, b) => a - b)).toEqual([2, 4, 8])
  })

  // Guards against bad consumer options surfacing only once the run reaches the queue's end().
  it('refuses bad consumer options when the inbound queue is made', async () => {
    const { layout, state } = await setUp()
    expect(
      () => new JetStreamInboundQueue({ js: js(nats.nc), layout, state, prefetch: 0 }),
    ).toThrow('InboundConsumer option "prefetch": expected an integer >= 1, got 0')
    expect(
      () => new JetStreamInboundQueue({ js: js(nats.nc), layout, state, maxSize: -1 }),
    ).toThrow(TypeError)
  })

  it('a halt on the consuming side stops pulling and leaves what it held unacknowledged', async () => {
    const { layout, state } = await setUp({ ackWaitMs: 60_000 })
    const graph = new AsyncGraph()
    const source = graph.addNode(async function* source() {
      for (let value = 1; value <= 20; value++) yield value
    })
    const check = graph.addNode(
      async function* check(value: number) {
        if (value === 5) throw new Error('stop here')
        await new Promise((resolve) => setTimeout(resolve, 5))
        yield value
      },
      { haltOnException: true },
    )
    graph.addEdge(source, check)
    const [, two] = await Promise.all([
      new AsyncExecutor(graph, { logger: quiet }).execute({
        placement: {
          local: ['source'],
          outboundQueue: () =>
            new JetStreamOutboundQueue({
              js: js(nats.nc),
              layout,
              state,
              worker: 'fetch-0',
              maxItems: 1,
            }),
        },
      }),
      new AsyncExecutor(graph, { logger: quiet }).execute({
        placement: {
          local: ['check'],
          inboundQueue: () =>
            new JetStreamInboundQueue({ js: js(nats.nc), layout, state, prefetch: 2 }),
        },
      }),
    ])
    expect(two.halted).toBe(true)
    // Message 5 (and whatever came after it) is still in the stream for a rerun.
    expect(await streamMessages(nats.nc, layout)).toBeGreaterThanOrEqual(16)
    expect((await state.status())[0]?.done).toBe(false)
  })
})
