// Bugs found in review, each kept as a test.
import { describe, expect, it } from 'vitest'
import { AsyncExecutor } from './async-executor.js'
import { AsyncGraph } from './async-graph.js'
import { AsyncQueue, QUEUE_EMPTY } from './async-queue.js'
import { defineNode } from './define.js'

const quiet = { info() {}, error() {} }
const within = <T>(promise: Promise<T>, ms = 2000) =>
  Promise.race([
    promise,
    new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), ms)),
  ])

describe('regressions', () => {
  it('a run that cannot be prepared leaves the executor usable', async () => {
    const graph = new AsyncGraph()
    graph.addNode(
      async function* source() {
        yield 1
      },
      { queue: () => ({}) as never },
    )
    const executor = new AsyncExecutor(graph, { logger: quiet })
    await expect(executor.execute()).rejects.toThrow(/must be an AsyncQueue/)
    await expect(executor.execute()).rejects.toThrow(/must be an AsyncQueue/)
  })

  it('a node named like an Object method is no start node', async () => {
    const got: number[] = []
    const graph = new AsyncGraph()
    const source = graph.addNode(async function* source() {
      yield 1
    })
    const named = graph.addNode(
      async function* named(value: number) {
        got.push(value)
      },
      { name: 'constructor' },
    )
    graph.addEdge(source, named)
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute()
    expect(report.dataFlowStats.constructor).toEqual({ in: 1, out: 0, err: 0 })
    expect(got).toEqual([1])
  })

  it('a queue that rejects an item costs only its own node the item', async () => {
    class Picky extends AsyncQueue<number> {
      override put(item: number) {
        if (item === 2) throw new Error('no 2')
        return super.put(item)
      }
    }
    const got: number[] = []
    const graph = new AsyncGraph()
    const source = graph.addNode(async function* source() {
      yield* [1, 2, 3]
    })
    graph.addEdge(
      source,
      graph.addNode(async function* picky(_value: number) {}, { queue: () => new Picky() }),
    )
    graph.addEdge(
      source,
      graph.addNode(async function* other(value: number) {
        got.push(value)
      }),
    )
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute()
    expect(got).toEqual([1, 2, 3])
    expect(report.dataFlowStats.picky).toEqual({ in: 2, out: 0, err: 1 })
    expect(report.exceptions.picky?.[0]?.message).toBe('no 2')
  })

  it.each(['put', 'end'] as const)(
    'an abort ends a run whose custom %s() never settles',
    async (method) => {
      class Stuck extends AsyncQueue<number> {
        override put(item: number) {
          return method === 'put' ? new Promise<void>(() => {}) : super.put(item)
        }
        override end() {
          return method === 'end' ? new Promise<void>(() => {}) : super.end()
        }
      }
      const graph = new AsyncGraph()
      const source = graph.addNode(async function* source() {
        yield 1
      })
      graph.addEdge(
        source,
        graph.addNode(async function* stuck(_value: number) {}, { queue: () => new Stuck() }),
      )
      const controller = new AbortController()
      setTimeout(() => controller.abort(), 50)
      const report = await within(
        new AsyncExecutor(graph, { logger: quiet }).execute({ signal: controller.signal }),
      )
      expect(report).toMatchObject({ aborted: true })
    },
  )

  it('refuses one queue instance shared by two nodes, naming both', async () => {
    const shared = new AsyncQueue<number>()
    const graph = new AsyncGraph()
    graph.addNode(async function* first(_value: number) {}, { queue: shared })
    graph.addNode(async function* second(_value: number) {}, { queue: shared })
    await expect(
      new AsyncExecutor(graph, { logger: quiet }).execute({ startNodes: { first: [1] } }),
    ).rejects.toThrow(/nodes 'first' and 'second' share one queue instance/)
  })

  it('rejects timer intervals a timer cannot wait, instead of firing every millisecond', () => {
    const executor = new AsyncExecutor(new AsyncGraph(), { logger: quiet })
    expect(() => executor.turnOnDataFlowLogging({ timeInterval: 3_000_000 })).toThrow(
      /timeInterval/,
    )
    expect(() => new AsyncExecutor(new AsyncGraph(), { progressInterval: 2 ** 31 })).toThrow(
      /progressInterval/,
    )
  })

  it('logs a node name holding a placeholder as it is', async () => {
    const graph = new AsyncGraph()
    graph.addNode(async function* odd() {}, { name: 'x{err}' })
    const executor = new AsyncExecutor(graph, { logger: quiet })
    const lines: string[] = []
    executor.turnOnDataFlowLogging({ logger: { info: (line) => lines.push(line), error() {} } })
    await executor.execute()
    expect(lines).toEqual([' x{err} - in=0, out=0, err=0'])
  })

  it('lists a node named __proto__ in nodesToEdges', () => {
    const graph = new AsyncGraph()
    graph.addNode(async function* odd() {}, { name: '__proto__' })
    expect(Object.keys(graph.nodesToEdges)).toEqual(['__proto__'])
  })

  it('keeps FIFO order when puts are not awaited', () => {
    const queue = new AsyncQueue<number>(4)
    for (let item = 1; item <= 5; item++) void queue.put(item)
    queue.tryGet()
    void queue.put(6)
    const out: number[] = []
    for (let item = queue.tryGet(); item !== QUEUE_EMPTY; item = queue.tryGet()) out.push(item)
    expect(out).toEqual([2, 3, 4, 5, 6])
  })

  it('does not count an open() that gave up on an abort as an error', async () => {
    const graph = new AsyncGraph()
    graph.addNode(
      defineNode({
        name: 'slow-open',
        fn: async function* slowOpen() {
          yield 1
        },
        open: ({ signal }) =>
          new Promise<void>((_, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason)),
          ),
      }),
    )
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 20)
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute({
      signal: controller.signal,
    })
    expect(report.aborted).toBe(true)
    expect(report.dataFlowStats['slow-open']?.err).toBe(0)
  })
})

describe('a node nothing feeds', () => {
  it('drains a pre-loaded queue whose end() flushes into it while it is full', async () => {
    class FlushOnEnd extends AsyncQueue<number> {
      constructor() {
        super(2)
      }
      override async end() {
        await this.push(99)
        return super.end()
      }
    }
    const queue = new FlushOnEnd()
    await queue.put(1)
    await queue.put(2)
    const got: number[] = []
    const graph = new AsyncGraph()
    graph.addNode(
      async function* unfed(value: number) {
        got.push(value)
      },
      { queue },
    )
    graph.addNode(async function* other() {})
    const report = await within(
      new AsyncExecutor(graph, { logger: quiet }).execute({ startNodes: { other: [] } }),
    )
    expect(report).toMatchObject({ halted: false })
    expect(got).toEqual([1, 2, 99])
  })
})
