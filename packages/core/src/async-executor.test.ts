import { execFile } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it, vi } from 'vitest'
import { BatchQueue } from '../test/fixtures/batch-queue.js'
import { addCostJump, busy } from '../test/fixtures/cost-jump.js'
import { liveTicker } from '../test/fixtures/live-ticker.js'
import { args } from './args.js'
import { AsyncExecutor } from './async-executor.js'
import { AsyncGraph } from './async-graph.js'
import { AsyncQueue } from './async-queue.js'
import { defineNode, defineSink, defineSource } from './define.js'
import { ExecutionFailedError, InvalidAsyncGraphError } from './errors.js'
import type { DataFlowStats } from './executor-types.js'
import type { Logger, NodeContext } from './node-spec.js'
import { type StartNode, startNode } from './start-node.js'

function memoryLogger(): Logger & { infos: string[]; errors: string[] } {
  const infos: string[] = []
  const errors: string[] = []
  return { infos, errors, info: (line) => infos.push(line), error: (line) => errors.push(line) }
}

const execFileAsync = promisify(execFile)
const within = <T>(promise: Promise<T>, ms = 5000) =>
  Promise.race([
    promise,
    sleep(ms).then(() => {
      throw new Error(`no result within ${ms} ms`)
    }),
  ])

function run(graph: AsyncGraph, options: ConstructorParameters<typeof AsyncExecutor>[1] = {}) {
  const logger = memoryLogger()
  const executor = new AsyncExecutor(graph, { logger, ...options })
  return { executor, logger }
}

/** `source` yields 'sent' to `destination`, whose queue a test pre-loads; `received` is what it got. */
function preloadable() {
  const received: string[] = []
  const queue = new AsyncQueue<string>()
  const graph = new AsyncGraph()
  graph.addNode(async function* source() {
    yield 'sent'
  })
  graph.addNode(
    async function* destination(text: string) {
      received.push(text)
    },
    { queue },
  )
  graph.addEdge('source', 'destination')
  return { received, queue, executor: run(graph).executor }
}

describe('AsyncExecutor: data flow', () => {
  it('sends every item to every destination and counts in/out', async () => {
    const seen: string[] = []
    const graph = new AsyncGraph()
    const source = graph.addNode(async function* source() {
      yield* [1, 2, 3]
    })
    const left = graph.addNode(async function* left(value: number) {
      seen.push(`left ${value}`)
      yield value
    })
    const right = graph.addNode(async function* right(value: number) {
      seen.push(`right ${value}`)
    })
    graph.addEdge(source, left).addEdge(source, right)
    const { executor } = run(graph)
    expect(executor.dataFlowStats).toBeNull()
    expect(executor.exceptions).toBeNull()
    const report = await executor.execute()
    expect(seen.sort()).toEqual(['left 1', 'left 2', 'left 3', 'right 1', 'right 2', 'right 3'])
    expect(report.dataFlowStats).toEqual({
      source: { in: 0, out: 3, err: 0 },
      left: { in: 3, out: 3, err: 0 },
      right: { in: 3, out: 0, err: 0 },
    })
    expect(report).toMatchObject({ halted: false, aborted: false, haltedBy: undefined })
    expect(report.durationMs).toBeGreaterThanOrEqual(0)
  })

  it('spreads args(...), passes arrays, objects and undefined as one argument', async () => {
    const calls: unknown[][] = []
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      yield args(1, 'a')
      yield [2, 'b']
      yield { id: 3 }
      yield undefined
    })
    graph.addNode(async function* spread(...values: unknown[]) {
      calls.push(values)
    })
    graph.addEdge('source', 'spread')
    await run(graph).executor.execute()
    expect(calls).toEqual([[1, 'a'], [[2, 'b']], [{ id: 3 }], [undefined]])
  })

  it('passes args(...) as one array with unpackInput: false, and nothing to a no-parameter node', async () => {
    const whole: unknown[][] = []
    let bare = 0
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      yield args(1, 2)
    })
    graph.addNode(
      async function* whole_(...values: unknown[]) {
        whole.push(values)
      },
      { name: 'whole', unpackInput: false },
    )
    graph.addNode(async function* bareNode() {
      bare++
    })
    graph.addEdge('source', 'whole').addEdge('source', 'bareNode')
    await run(graph).executor.execute()
    expect(whole).toEqual([[[1, 2]]])
    expect(bare).toBe(1)
  })

  // Guards: a wrapper that declares no parameters but forwards `arguments` gets the item.
  it('calls a no-parameter wrapper that reads arguments with the item (checkAsyncGen: false)', async () => {
    const got: unknown[][] = []
    async function* inner(...values: unknown[]) {
      got.push(values)
    }
    function traced(this: unknown) {
      // biome-ignore lint/complexity/noArguments: the wrapper style users port
      return inner.apply(this, arguments as unknown as unknown[])
    }
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      yield 'a'
      yield args(1, 2)
    })
    graph.addNode(traced, { checkAsyncGen: false })
    graph.addEdge('source', 'traced')
    await run(graph).executor.execute()
    expect(got).toEqual([['a'], [1, 2]])
  })

  // Guards: a function that only looks like an async function* (a Proxy) is called as before.
  it('takes what a Proxy around an async function* returns, like any node function', async () => {
    const got: unknown[] = []
    async function* measure(word: string) {
      yield word.length
    }
    // Tracing wrappers hand back an async iterable of their own, not the generator.
    const traced = new Proxy(measure, {
      apply: (target, self, input: [string]) => ({
        [Symbol.asyncIterator]: () => Reflect.apply(target, self, input),
      }),
    })
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      yield 'one'
      yield 'three'
    })
    graph.addNode(traced, { name: 'traced' })
    graph.addNode(async function* sink(length: number) {
      got.push(length)
    })
    graph.addEdge('source', 'traced').addEdge('traced', 'sink')
    const report = await run(graph).executor.execute()
    expect(report.exceptions?.traced).toEqual([])
    expect(got).toEqual([3, 5])
  })

  it('runs a node that never yields and a graph with no edges', async () => {
    const graph = new AsyncGraph()
    let calls = 0
    graph.addNode(async function* quiet() {
      calls++
    })
    graph.addNode(async function* alsoQuiet() {
      calls++
    })
    const report = await run(graph).executor.execute()
    expect(calls).toBe(2)
    expect(report.dataFlowStats).toEqual({
      quiet: { in: 0, out: 0, err: 0 },
      alsoQuiet: { in: 0, out: 0, err: 0 },
    })
  })
})

describe('AsyncExecutor: start nodes', () => {
  it('defaults to nodes without incoming edges, called with no args', async () => {
    const graph = new AsyncGraph()
    graph.addNode(async function* first() {
      yield 1
    })
    graph.addNode(async function* second(_value: number) {})
    graph.addEdge('first', 'second')
    const { executor } = run(graph)
    expect(executor.startNodes).toEqual({ first: [] })
    await executor.execute()
    expect(executor.startNodes).toEqual({ first: [] })
  })

  it('calls custom start nodes with their args spread, skipping what is upstream', async () => {
    const received: unknown[] = []
    const graph = new AsyncGraph()
    graph.addNode(async function* upstream() {
      received.push('upstream ran')
      yield 'x'
    })
    graph.addNode(async function* middle(word: string, times: number) {
      yield word.repeat(times)
    })
    graph.addNode(async function* last(text: string) {
      received.push(text)
    })
    graph.addEdge('upstream', 'middle').addEdge('middle', 'last')
    const { executor } = run(graph)
    const report = await executor.execute({ startNodes: { middle: ['ab', 3] } })
    expect(received).toEqual(['ababab'])
    expect(executor.startNodes).toEqual({ middle: ['ab', 3] })
    expect(report.dataFlowStats.middle).toEqual({ in: 0, out: 1, err: 0 })
  })

  it('takes start nodes as startNode(ref, ...args) entries', async () => {
    const calls: string[] = []
    const graph = new AsyncGraph()
    const greet = graph.addNode(async function* greet(name: string, times: number) {
      calls.push(name.repeat(times))
    })
    graph.addNode(async function* other() {
      calls.push('other')
    })
    const { executor } = run(graph)
    const report = await executor.execute({ startNodes: [startNode(greet, 'ab', 2)] })
    expect(calls).toEqual(['abab'])
    expect(report.ok).toBe(true)
    expect(executor.startNodes).toEqual({ greet: ['ab', 2] })
    await expect(
      executor.execute({ startNodes: [startNode(greet, 'a', 1), startNode(greet, 'b', 1)] }),
    ).rejects.toMatchObject({ code: 'DUPLICATE_START_NODE' })
    const foreign = new AsyncGraph().addNode(async function* greet(_name: string) {})
    await expect(executor.execute({ startNodes: [startNode(foreign, 'x')] })).rejects.toThrow(
      /start node ref 'greet' was made by another graph/,
    )
    await expect(
      executor.execute({ startNodes: [{ greet: [] }] as unknown as StartNode[] }),
    ).rejects.toThrow(/expected startNode\(ref, \.\.\.args\) entries/)
  })

  it('rejects unknown start nodes, non-array args, and a graph without start nodes', async () => {
    const graph = new AsyncGraph()
    graph.addNode(async function* only() {})
    const { executor } = run(graph)
    await expect(executor.execute({ startNodes: { ghost: [] } })).rejects.toThrow(
      /start node 'ghost' is not in the graph/,
    )
    await expect(executor.execute({ startNodes: { only: 'x' as never } })).rejects.toThrow(
      TypeError,
    )
    await expect(executor.execute({ startNodes: {} })).rejects.toThrow(InvalidAsyncGraphError)
    expect(() => new AsyncExecutor({} as AsyncGraph)).toThrow(/expected an AsyncGraph instance/)
  })

  // Guards: a node named like an Object method ('constructor') was taken for a start node.
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
    const report = await run(graph).executor.execute()
    expect(report.dataFlowStats.constructor).toEqual({ in: 1, out: 0, err: 0 })
    expect(got).toEqual([1])
  })

  // Guards: a node nothing feeds hung when its pre-loaded queue's end() pushed into it while full.
  it('a node nothing feeds drains a pre-loaded queue whose end() flushes into it while it is full', async () => {
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
    const report = await within(run(graph).executor.execute({ startNodes: { other: [] } }))
    expect(report).toMatchObject({ halted: false })
    expect(got).toEqual([1, 2, 99])
  })
})

describe('AsyncExecutor: errors', () => {
  it('counts, logs and keeps errors from a call, mid-iteration and yielded Errors, and goes on', async () => {
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      yield* [1, 2, 3, 4]
    })
    graph.addNode(
      (value: number) => {
        if (value === 1) throw new Error('sync throw')
        return (async function* () {
          if (value === 2) throw new Error('mid-iteration')
          if (value === 3) yield new Error('yielded error')
          yield value
        })()
      },
      { name: 'work', checkAsyncGen: false },
    )
    graph.addNode(async function* sink(_value: number) {})
    graph.addEdge('source', 'work').addEdge('work', 'sink')
    const { executor, logger } = run(graph)
    const report = await executor.execute()
    expect(report.exceptions.work?.map((error) => error.message)).toEqual([
      'sync throw',
      'mid-iteration',
      'yielded error',
    ])
    expect(report.dataFlowStats.work).toEqual({ in: 4, out: 2, err: 3 })
    expect(report.dataFlowStats.sink).toEqual({ in: 2, out: 0, err: 0 })
    expect(logger.errors[0]).toMatch(/node 'work' raised: Error: sync throw\n\s+at /)
    expect(report.halted).toBe(false)
  })

  it('keeps only the newest maxExceptions errors per node', async () => {
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      for (let index = 0; index < 25; index++) yield index
    })
    graph.addNode(async function* failing(value: number) {
      throw new Error(`error ${value}`)
    })
    graph.addEdge('source', 'failing')
    const report = await run(graph, { maxExceptions: 3 }).executor.execute()
    expect(report.exceptions.failing?.map((error) => error.message)).toEqual([
      'error 22',
      'error 23',
      'error 24',
    ])
    expect(report.dataFlowStats.failing?.err).toBe(25)
  })

  it.each([
    ['graph-wide', { graph: true, node: false }],
    ['at one node', { graph: false, node: true }],
  ])('haltOnException %s stops sources and drops queued items', async (_title, where) => {
    const graph = new AsyncGraph({ haltOnException: where.graph })
    let produced = 0
    graph.addNode(async function* source() {
      for (let index = 0; index < 1_000_000; index++) {
        produced++
        yield index
      }
    })
    graph.addNode(
      async function* fragile(value: number) {
        if (value === 5) throw new Error('five')
        yield value
      },
      { haltOnException: where.node },
    )
    graph.addNode(async function* sink(_value: number) {})
    graph.addEdge('source', 'fragile').addEdge('fragile', 'sink')
    const { executor, logger } = run(graph)
    const report = await executor.execute()
    expect(report.halted).toBe(true)
    expect(report.haltedBy).toBe('fragile')
    expect(produced).toBeLessThan(1_000_000)
    expect(report.dataFlowStats.fragile?.err).toBe(1)
    expect(report.dataFlowStats.sink?.in).toBeLessThanOrEqual(5)
    expect(logger.errors.join('\n')).toMatch(/run halted due to an exception in node 'fragile'/)
  })

  // Guards: a run that failed while being prepared left the executor marked as running.
  it('a run that cannot be prepared leaves the executor usable', async () => {
    const graph = new AsyncGraph()
    graph.addNode(
      async function* source() {
        yield 1
      },
      { queue: () => ({}) as never },
    )
    const { executor } = run(graph)
    await expect(executor.execute()).rejects.toThrow(/must be an AsyncQueue/)
    await expect(executor.execute()).rejects.toThrow(/must be an AsyncQueue/)
  })
})

describe('AsyncExecutor: lifecycle of node specs', () => {
  function lifecycleSink(log: string[], name = 'sink') {
    let signal: AbortSignal | undefined
    const spec = defineSink({
      name,
      open: (context: NodeContext) => {
        signal = context.signal
        log.push(`open ${context.name}`)
      },
      write: async (value: number) => {
        await sleep(1)
        log.push(`write ${value}`)
      },
      close: () => {
        log.push('close')
      },
    })
    return { spec, signal: () => signal }
  }

  it('opens before the first call and closes once after the node is done', async () => {
    const log: string[] = []
    const graph = new AsyncGraph()
    graph.addNode(defineSource({ name: 'numbers', read: () => [1, 2] }))
    graph.addNode(lifecycleSink(log).spec)
    graph.addEdge('numbers', 'sink')
    const { executor } = run(graph)
    await executor.execute()
    expect(log).toEqual(['open sink', 'write 1', 'write 2', 'close'])
    await executor.execute()
    expect(log.filter((line) => line === 'close')).toHaveLength(2)
  })

  it('closes once on halt and aborts the context signal', async () => {
    const log: string[] = []
    const sink = lifecycleSink(log)
    const graph = new AsyncGraph()
    graph.addNode(
      async function* source() {
        yield 1
        yield 2
        throw new Error('source broke')
      },
      { haltOnException: true },
    )
    graph.addNode(sink.spec)
    graph.addEdge('source', 'sink')
    const report = await run(graph).executor.execute()
    expect(report.halted).toBe(true)
    expect(log.filter((line) => line === 'close')).toHaveLength(1)
    expect(sink.signal()?.aborted).toBe(true)
  })

  it('stops on abort: report.aborted, close once, nothing after', async () => {
    const log: string[] = []
    const controller = new AbortController()
    const graph = new AsyncGraph()
    graph.addNode(async function* endless() {
      for (let index = 0; ; index++) {
        if (index === 3) controller.abort()
        yield index
        await sleep(1)
      }
    })
    graph.addNode(lifecycleSink(log).spec)
    graph.addEdge('endless', 'sink')
    const report = await run(graph).executor.execute({ signal: controller.signal })
    expect(report.aborted).toBe(true)
    expect(report.halted).toBe(false)
    expect(log.at(-1)).toBe('close')
    expect(log.filter((line) => line === 'close')).toHaveLength(1)
  })

  it('runs nothing when the signal is already aborted', async () => {
    const log: string[] = []
    const graph = new AsyncGraph()
    graph.addNode(lifecycleSink(log).spec)
    const report = await run(graph).executor.execute({ signal: AbortSignal.abort() })
    expect(report.aborted).toBe(true)
    expect(log).toEqual([])
  })

  it('halts when open() fails, still closes every node once, and names the node', async () => {
    const closed: string[] = []
    let calls = 0
    const graph = new AsyncGraph()
    graph.addNode(
      defineSource({
        name: 'source',
        read: () => {
          calls++
          return [1]
        },
        close: () => {
          closed.push('source')
        },
      }),
    )
    graph.addNode(
      defineSink({
        name: 'broken',
        open: () => {
          throw new Error('EACCES')
        },
        write: () => {},
        close: () => {
          closed.push('broken')
        },
      }),
    )
    graph.addEdge('source', 'broken')
    const { executor, logger } = run(graph)
    const report = await executor.execute()
    expect(report).toMatchObject({ halted: true, haltedBy: 'broken' })
    expect(calls).toBe(0)
    expect(closed.sort()).toEqual(['broken', 'source'])
    expect(logger.errors[0]).toMatch(/node 'broken' open\(\) failed: Error: EACCES/)
  })

  it('records a failing close() as an error of the node', async () => {
    const graph = new AsyncGraph()
    graph.addNode(
      defineSink({
        name: 'sink',
        write: () => {},
        close: () => {
          throw new Error('flush failed')
        },
      }),
    )
    const report = await run(graph).executor.execute({ startNodes: { sink: [1] } })
    expect(report.exceptions.sink?.[0]?.message).toBe('flush failed')
    expect(report.dataFlowStats.sink?.err).toBe(1)
  })

  // Guards: an open() that rejected because the run was aborted was counted as a node error.
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
    const report = await run(graph).executor.execute({ signal: controller.signal })
    expect(report.aborted).toBe(true)
    expect(report.dataFlowStats['slow-open']?.err).toBe(0)
  })
})

describe('AsyncExecutor: queues and concurrency', () => {
  it('calls end() once when every upstream finished, so the last partial batch arrives', async () => {
    const ends = vi.fn()
    class CountedEnds extends BatchQueue<number> {
      override async end() {
        ends()
        return super.end()
      }
    }
    const batches: number[][] = []
    const graph = new AsyncGraph()
    graph.addNode(async function* left() {
      yield* [1, 2, 3, 4, 5]
    })
    graph.addNode(async function* right() {
      yield* [6, 7, 8, 9, 10]
    })
    graph.addNode(
      async function* batches_(batch: number[]) {
        batches.push(batch)
      },
      { name: 'batches', queue: () => new CountedEnds(4) },
    )
    graph.addEdge('left', 'batches').addEdge('right', 'batches')
    await run(graph).executor.execute()
    expect(ends).toHaveBeenCalledTimes(1)
    expect(batches.flat().sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(batches.map((batch) => batch.length)).toEqual([4, 4, 2])
  })

  it('delivers what a fresh queue holds first, and empties a reused queue on a later run', async () => {
    const { received, queue, executor } = preloadable()
    await queue.put('preloaded')
    await executor.execute()
    expect(received).toEqual(['preloaded', 'sent'])
    await executor.execute()
    expect(received).toEqual(['preloaded', 'sent', 'sent'])
  })

  it('runs at most maxTasks calls of a node at once', async () => {
    let running = 0
    let peak = 0
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      for (let index = 0; index < 40; index++) yield index
    })
    graph.addNode(
      async function* slow(_value: number) {
        running++
        peak = Math.max(peak, running)
        await sleep(2)
        running--
      },
      { maxTasks: 5 },
    )
    graph.addEdge('source', 'slow')
    const report = await run(graph).executor.execute()
    expect(peak).toBe(5)
    expect(report.dataFlowStats.slow?.in).toBe(40)
  })

  it('holds a fast producer back while the queue of a slow consumer is full', async () => {
    let produced = 0
    let consumed = 0
    let maxAhead = 0
    const graph = new AsyncGraph()
    graph.addNode(async function* fast() {
      for (let index = 0; index < 30; index++) {
        produced++
        maxAhead = Math.max(maxAhead, produced - consumed)
        yield index
      }
    })
    graph.addNode(
      async function* slow(_value: number) {
        await sleep(1)
        consumed++
      },
      { queueSize: 3 },
    )
    graph.addEdge('fast', 'slow')
    await run(graph).executor.execute()
    expect(consumed).toBe(30)
    expect(maxAhead).toBeLessThanOrEqual(3 + 2)
  })

  // Guards: one queue instance given to two nodes silently mixed their items.
  it('refuses one queue instance shared by two nodes, naming both', async () => {
    const shared = new AsyncQueue<number>()
    const graph = new AsyncGraph()
    graph.addNode(async function* first(_value: number) {}, { queue: shared })
    graph.addNode(async function* second(_value: number) {}, { queue: shared })
    await expect(run(graph).executor.execute({ startNodes: { first: [1] } })).rejects.toThrow(
      /nodes 'first' and 'second' share one queue instance/,
    )
  })
})

describe('AsyncExecutor: observing a run', () => {
  it('emits run, node, error and progress events', async () => {
    const events: string[] = []
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      for (let index = 0; index < 5; index++) {
        await sleep(10)
        yield index
      }
      throw new Error('last')
    })
    const { executor } = run(graph, { progressInterval: 5 })
    executor.on('run-start', ({ startNodes }) =>
      events.push(`run-start ${Object.keys(startNodes)}`),
    )
    executor.on('node-start', ({ node }) => events.push(`node-start ${node}`))
    executor.on('node-error', ({ node, error }) =>
      events.push(`node-error ${node} ${error.message}`),
    )
    executor.on('node-end', ({ node, stats }) => events.push(`node-end ${node} out=${stats.out}`))
    executor.on('run-end', (report) => events.push(`run-end halted=${report.halted}`))
    const progress: number[] = []
    const off = executor.on('progress', ({ dataFlowStats }) =>
      progress.push(dataFlowStats.source?.out ?? -1),
    )
    await executor.execute()
    off()
    expect(events).toEqual([
      'run-start source',
      'node-start source',
      'node-error source last',
      'node-end source out=5',
      'run-end halted=false',
    ])
    expect(progress.length).toBeGreaterThan(2)
    expect(progress).toEqual([...progress].sort((x, y) => x - y))
  })

  it('lets timers fire during a long run of synchronous-looking items', async () => {
    const graph = new AsyncGraph()
    graph.addNode(async function* many() {
      for (let index = 0; index < 300_000; index++) yield index
    })
    graph.addNode(async function* sink(_value: number) {})
    graph.addEdge('many', 'sink')
    let fired = 0
    const timer = setInterval(() => fired++, 5)
    await run(graph).executor.execute()
    clearInterval(timer)
    expect(fired).toBeGreaterThan(0)
  })

  it('logs data flow per node with format, filter, interval and a final line', async () => {
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      for (let index = 0; index < 4; index++) {
        await sleep(15)
        yield index
      }
    })
    graph.addNode(async function* sink(_value: number) {})
    graph.addEdge('source', 'sink')
    const { executor } = run(graph)
    const lines = memoryLogger()
    executor.turnOnDataFlowLogging({
      nodeFormat: '{node}: {in}/{out}/{err}',
      nodeFilter: ['sink'],
      timeInterval: 0.02,
      logger: lines,
    })
    await executor.execute()
    expect(lines.infos.length).toBeGreaterThan(1)
    expect(lines.infos.every((line) => line.startsWith('sink: '))).toBe(true)
    expect(lines.infos.at(-1)).toBe('sink: 4/0/0')
    executor.turnOffDataFlowLogging()
    await executor.execute()
    expect(lines.infos.at(-1)).toBe('sink: 4/0/0')
    expect(() => executor.turnOnDataFlowLogging({ timeInterval: -1 })).toThrow(/timeInterval/)
  })

  // Guards: the executor's own option errors use the one format (option, expected, value given).
  it('names the option, what it expected and the value given in its option errors', () => {
    const { executor } = run(new AsyncGraph())
    expect(() => new AsyncExecutor(new AsyncGraph(), { maxExceptions: 1.5 })).toThrow(
      new TypeError('AsyncExecutor option "maxExceptions": expected an integer >= 0, got 1.5'),
    )
    expect(() => executor.turnOnDataFlowLogging({ nodeFilter: 'sink' })).toThrow(
      new TypeError(
        'turnOnDataFlowLogging option "nodeFilter": expected an iterable of node names, got "sink"',
      ),
    )
    expect(() => executor.turnOnDataFlowLogging({ nodeFormat: 3 as unknown as string })).toThrow(
      new TypeError('turnOnDataFlowLogging option "nodeFormat": expected a string, got 3'),
    )
  })

  it('starts a second run from clean stats and refuses a concurrent run', async () => {
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      await sleep(5)
      yield 1
    })
    graph.addNode(async function* sink(_value: number) {
      throw new Error('nope')
    })
    graph.addEdge('source', 'sink')
    const { executor } = run(graph)
    const first = executor.execute()
    await expect(executor.execute()).rejects.toThrow(/already running/)
    await first
    const second = await executor.execute()
    expect(second.dataFlowStats.sink).toEqual({ in: 1, out: 0, err: 1 })
    expect(second.exceptions.sink).toHaveLength(1)
  })

  // Guards: an interval too long for a timer fired every millisecond instead of being refused.
  it('rejects timer intervals a timer cannot wait, instead of firing every millisecond', () => {
    const { executor } = run(new AsyncGraph())
    expect(() => executor.turnOnDataFlowLogging({ timeInterval: 3_000_000 })).toThrow(
      /timeInterval/,
    )
    expect(() => new AsyncExecutor(new AsyncGraph(), { progressInterval: 2 ** 31 })).toThrow(
      /progressInterval/,
    )
  })

  // Guards: a node name holding a format placeholder ('{err}') was expanded in the log line.
  it('logs a node name holding a placeholder as it is', async () => {
    const graph = new AsyncGraph()
    graph.addNode(async function* odd() {}, { name: 'x{err}' })
    const { executor } = run(graph)
    const lines: string[] = []
    executor.turnOnDataFlowLogging({ logger: { info: (line) => lines.push(line), error() {} } })
    await executor.execute()
    expect(lines).toEqual([' x{err} - in=0, out=0, err=0'])
  })
})

describe('AsyncExecutor: memory', () => {
  const fixture = fileURLToPath(new URL('../test/fixtures/heap-after-run.ts', import.meta.url))
  // Guards: every blocked put left a reaction on a promise that settles only on a stop (160-315 MB per 1M items).
  it.each(['queue-size-1', 'async-put'])(
    'keeps the heap flat after 1,000,000 items with %s',
    async (kind) => {
      const { stdout } = await execFileAsync(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', fixture, kind, '1000000'],
        { cwd: fileURLToPath(new URL('..', import.meta.url)) },
      )
      const { before, after, delivered } = JSON.parse(stdout)
      expect(delivered).toBe(1_000_000)
      expect(after - before).toBeLessThan(5)
    },
    120_000,
  )

  // Guards: a put that drops push()'s promise left blocked pushes piling up (~44 MB at 200,000 items).
  it('bounds the heap during a run whose custom put drops the promise of push', async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', fixture, 'dropped-put', '200000'],
      { cwd: fileURLToPath(new URL('..', import.meta.url)) },
    )
    const { before, peak, delivered } = JSON.parse(stdout)
    expect(delivered).toBe(200_000)
    expect(peak - before).toBeLessThan(10)
  }, 120_000)
})

describe('AsyncExecutor: a responsive event loop', () => {
  // Guards: a sink that takes items and yields nothing never let a timer (the abort) in.
  it('lets an abort in while a sink does synchronous work per item it takes', async () => {
    let due = Number.POSITIVE_INFINITY
    let afterDue = 0
    let processed = 0
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      for (let index = 0; index < 5000; index++) yield index
    })
    graph.addNode(async function* sink(_value: number) {
      busy(0.4)
      processed++
      if (performance.now() > due) afterDue++
    })
    graph.addEdge('source', 'sink')
    const controller = new AbortController()
    setTimeout(() => {
      due = performance.now()
      controller.abort()
    }, 100)
    due = performance.now() + 100
    const report = await run(graph).executor.execute({ signal: controller.signal })
    expect(report.aborted).toBe(true)
    // About 40 items fit in the 16 ms between two turns of the event loop; before: all ~4750.
    expect(afterDue).toBeLessThan(500)
    expect(processed).toBeLessThan(5000)
  })

  // Guards: with the clock read every 8 steps, 40 ms steps after fast ones held timers ~200 ms.
  it('lets timers fire after each slow step once the ticker thread runs', async () => {
    await liveTicker()
    const graph = new AsyncGraph()
    const { gaps } = addCostJump(graph, 12, 40)
    await run(graph).executor.execute()
    expect(gaps.length).toBeGreaterThan(6)
    // One 40 ms step (plus a tick of the thread) between two timers; reading the clock every
    // 8 steps (several per item) gives ~200 ms.
    expect(Math.max(...gaps)).toBeLessThan(130)
  })

  // Guards: after 50,000 fast ticks the clock was read every 64 ticks, then 16, then 4: 10 ms
  // steps blocked timers 160-640 ms. A refused worker thread must not crash the run either.
  it('lets timers fire within a few steps where worker threads are refused', async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('../test/fixtures/threads-refused.ts', import.meta.url)),
      ],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 60_000 },
    )
    const { ok, live, maxGap } = JSON.parse(stdout)
    expect({ ok, live }).toEqual({ ok: true, live: false })
    // The bound: at most 8 steps of 10 ms, then ~16 ms of work, between two timers (~100 ms).
    expect(maxGap).toBeLessThan(145)
  }, 90_000)

  // Guards: a node that yields only Error values never let a timer in.
  it('lets timers fire while a node yields Error values', async () => {
    let yielded = 0
    let atTimer = -1
    const graph = new AsyncGraph()
    graph.addNode(async function* errors() {
      for (let index = 0; index < 5000; index++) {
        yielded++
        yield new Error(`bad ${index}`)
      }
    })
    setTimeout(() => {
      atTimer = yielded
    }, 5)
    const report = await run(graph, { maxExceptions: 1 }).executor.execute()
    expect(report.dataFlowStats.errors?.err).toBe(5000)
    expect(atTimer).toBeGreaterThanOrEqual(0)
    expect(atTimer).toBeLessThan(5000)
  })
})

describe('AsyncExecutor: the queue seam', () => {
  // Guards: the start call's worker awaited end(), which waited for room only that worker could make.
  it('ends the queue of a start node fed by an upstream without deadlock', async () => {
    const batches: unknown[] = []
    const graph = new AsyncGraph()
    graph.addNode(async function* src() {
      for (let value = 1; value <= 8; value++) yield value
    })
    graph.addNode(
      async function* batcher(input: number[] | string) {
        if (input === 'seed') await sleep(50)
        else batches.push(input)
      },
      { queue: () => new BatchQueue<number>(3, 2) },
    )
    graph.addEdge('src', 'batcher')
    const report = await within(
      run(graph).executor.execute({ startNodes: { src: [], batcher: ['seed'] } }),
    )
    expect(report).toMatchObject({ ok: true })
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8],
    ])
  })

  // Guards: an overridden get() was silently ignored (the executor reads with tryGet()/next()).
  it('refuses a queue that overrides get(), saying what to override instead', async () => {
    class UpperCase extends AsyncQueue<string> {
      override async get() {
        return (await super.get()).toUpperCase()
      }
    }
    const graph = new AsyncGraph()
    const node = async function* node(_text: string) {}
    expect(() => graph.addNode(node, { queue: new UpperCase() })).toThrow(
      /node 'node': its queue overrides get\(\), which the executor never calls .*put\(\).*tryGet\(\)/,
    )
    graph.addNode(node, { queue: () => new UpperCase() })
    await expect(run(graph).executor.execute()).rejects.toThrow(TypeError)
  })

  it('honours an overridden tryGet() on every path', async () => {
    class UpperCase extends AsyncQueue<string> {
      override tryGet() {
        const item = super.tryGet()
        return typeof item === 'string' ? item.toUpperCase() : item
      }
    }
    const got: string[] = []
    const graph = new AsyncGraph()
    graph.addNode(async function* words() {
      yield* ['a', 'b']
      await sleep(5) // the destination now waits in next()
      yield 'c'
    })
    graph.addNode(
      async function* upper(text: string) {
        got.push(text)
      },
      { queue: () => new UpperCase() },
    )
    graph.addEdge('words', 'upper')
    await run(graph).executor.execute()
    expect(got).toEqual(['A', 'B', 'C'])
  })

  // Guards: an end() that forgot super.end() hung the run forever, silently.
  it('ends a queue whose end() forgot super.end(), with a warning', async () => {
    class Forgetful extends AsyncQueue<number> {
      override async end() {}
    }
    const got: number[] = []
    const warnings: string[] = []
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      yield* [1, 2]
    })
    graph.addNode(
      async function* forgetful(value: number) {
        got.push(value)
      },
      { queue: () => new Forgetful() },
    )
    graph.addEdge('source', 'forgetful')
    const logger = { ...memoryLogger(), warn: (line: string) => warnings.push(line) }
    const report = await within(new AsyncExecutor(graph, { logger }).execute())
    expect(report).toMatchObject({ ok: true })
    expect(got).toEqual([1, 2])
    expect(warnings).toEqual([expect.stringMatching(/node 'forgetful'.*super\.end\(\)/)])
  })

  // Guards: two runs sharing one queue instance reset it under each other and lost items.
  // Guards: a bad signal thrown after the queues were claimed left them claimed for good.
  it('refuses a bad signal before claiming queue instances', async () => {
    const queue = new AsyncQueue<number>()
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      yield 1
    })
    graph.addNode(async function* sink(_value: number) {}, { queue })
    graph.addEdge('source', 'sink')
    const { executor } = run(graph)
    await expect(executor.execute({ signal: 'stop' as unknown as AbortSignal })).rejects.toThrow(
      'execute option "signal": expected an AbortSignal, got "stop"',
    )
    expect((await executor.execute()).dataFlowStats.sink?.in).toBe(1)
  })

  it('refuses a concurrent run that would share a queue instance, and runs factories side by side', async () => {
    const build = (queue: AsyncQueue<number> | (() => AsyncQueue<number>)) => {
      const graph = new AsyncGraph()
      graph.addNode(async function* source() {
        for (let value = 0; value < 100; value++) {
          if (value % 10 === 0) await sleep(1)
          yield value
        }
      })
      graph.addNode(async function* sink(_value: number) {}, { queue })
      return graph.addEdge('source', 'sink')
    }
    const shared = build(new AsyncQueue<number>(5))
    const first = run(shared).executor.execute()
    await expect(run(shared).executor.execute()).rejects.toMatchObject({
      code: 'QUEUE_IN_USE',
      message: expect.stringMatching(/node 'sink': its queue instance is in use by another run/),
    })
    expect((await first).dataFlowStats.sink).toEqual({ in: 100, out: 0, err: 0 })
    expect((await run(shared).executor.execute()).dataFlowStats.sink?.in).toBe(100)

    const separate = build(() => new AsyncQueue<number>(5))
    const reports = await Promise.all([
      run(separate).executor.execute(),
      run(separate).executor.execute(),
    ])
    expect(reports.map((report) => report.dataFlowStats.sink?.in)).toEqual([100, 100])
  })

  // Guards: a queue pre-loaded before a second run was reset at its start: the items were lost.
  it('delivers what was pre-loaded before every run', async () => {
    const { received, queue, executor } = preloadable()
    await queue.put('first')
    await executor.execute()
    await queue.put('second')
    await executor.execute()
    expect(received).toEqual(['first', 'sent', 'second', 'sent'])
  })

  // Guards: a custom put() that threw on one item cost the other nodes that item too.
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
    const report = await run(graph).executor.execute()
    expect(got).toEqual([1, 2, 3])
    expect(report.dataFlowStats.picky).toEqual({ in: 2, out: 0, err: 1 })
    expect(report.exceptions.picky?.[0]?.message).toBe('no 2')
  })

  // Guards: an abort could not end a run whose custom put() or end() never settled.
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
      const report = await within(run(graph).executor.execute({ signal: controller.signal }))
      expect(report).toMatchObject({ aborted: true })
    },
  )
})

describe('AsyncExecutor: after a stop', () => {
  // Guards: after a halting yielded Error, the generator was resumed once more (one extra fetch).
  it('resumes no generator after a halt', async () => {
    let fetches = 0
    const graph = new AsyncGraph()
    graph.addNode(
      async function* fetcher() {
        for (;;) {
          fetches++
          yield new Error('page failed')
        }
      },
      { haltOnException: true },
    )
    const report = await run(graph).executor.execute()
    expect(report).toMatchObject({ halted: true, haltedBy: 'fetcher', ok: false })
    expect(fetches).toBe(1)
  })

  // Guards: an abort during the periodic yield to the event loop was followed by one more resume.
  it('resumes no generator after an abort that came in during a yield to the event loop', async () => {
    const controller = new AbortController()
    let resumedAfterAbort = 0
    let closed = false
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      try {
        for (let index = 0; ; index++) {
          if (controller.signal.aborted) resumedAfterAbort++
          yield index
        }
      } finally {
        closed = true
      }
    })
    graph.addNode(async function* sink(_value: number) {}, { queueSize: 0 })
    graph.addEdge('source', 'sink')
    setTimeout(() => controller.abort(), 30)
    const report = await run(graph).executor.execute({ signal: controller.signal })
    expect(report.aborted).toBe(true)
    expect(resumedAfterAbort).toBe(0)
    expect(closed).toBe(true)
  })

  // Guards: close() got the run's aborted signal, so a flush that passed it on failed.
  it.each(['halt', 'abort'] as const)(
    'gives close() a signal that is not aborted after a %s',
    async (how) => {
      const signals: { open?: AbortSignal; close?: AbortSignal } = {}
      const controller = new AbortController()
      const graph = new AsyncGraph({ haltOnException: how === 'halt' })
      graph.addNode(async function* source() {
        yield 1
        if (how === 'abort') controller.abort()
        else throw new Error('boom')
        yield 2
      })
      graph.addNode(
        defineSink({
          name: 'sink',
          open: (context: NodeContext) => {
            signals.open = context.signal
          },
          write: (_value: number) => {},
          close: (context: NodeContext) => {
            signals.close = context.signal
            context.signal.throwIfAborted()
          },
        }),
      )
      graph.addEdge('source', 'sink')
      const report = await run(graph).executor.execute({ signal: controller.signal })
      expect(report.dataFlowStats.sink?.err).toBe(0)
      expect(signals.open?.aborted).toBe(true)
      expect(signals.close?.aborted).toBe(false)
    },
  )

  // Guards: a logger whose error() threw made execute() reject while nodes still wrote and closed.
  it('never lets a throwing logger escape the run', async () => {
    const events: string[] = []
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      yield 1
      yield new Error('logged')
      yield 2
    })
    graph.addNode(
      defineSink({
        name: 'sink',
        write: (value: number) => {
          events.push(`write ${value}`)
        },
        close: () => {
          events.push('close')
        },
      }),
    )
    graph.addEdge('source', 'sink')
    const broken = {
      info() {
        throw new Error('logger down')
      },
      error() {
        throw new Error('logger down')
      },
    }
    const executor = new AsyncExecutor(graph, { logger: broken })
    executor.turnOnDataFlowLogging()
    executor.on('node-end', () => {
      throw new Error('listener down')
    })
    const report = await executor.execute()
    events.push('resolved')
    expect(report.dataFlowStats.source?.err).toBe(1)
    expect(events).toEqual(['write 1', 'write 2', 'close', 'resolved'])
  })
})

describe('AsyncExecutor: report.ok and rejectOnError', () => {
  const graphWith = (fail: boolean) => {
    const closed: string[] = []
    const graph = new AsyncGraph()
    graph.addNode(async function* source() {
      yield 1
      if (fail) throw new Error('source broke')
      yield 2
    })
    graph.addNode(
      defineSink({ name: 'sink', write: () => {}, close: () => void closed.push('sink') }),
    )
    graph.addEdge('source', 'sink')
    return { graph, closed }
  }

  it('says ok when no node failed and the run was not stopped', async () => {
    expect((await run(graphWith(false).graph).executor.execute()).ok).toBe(true)
    expect((await run(graphWith(true).graph).executor.execute()).ok).toBe(false)
    const controller = new AbortController()
    controller.abort()
    const aborted = await run(graphWith(false).graph).executor.execute({
      signal: controller.signal,
    })
    expect(aborted).toMatchObject({ ok: false, aborted: true })
  })

  it('rejects with an AggregateError of the kept exceptions after every node closed', async () => {
    const { graph, closed } = graphWith(true)
    const failure = await run(graph)
      .executor.execute({ rejectOnError: true })
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(AggregateError)
    expect(failure).toBeInstanceOf(ExecutionFailedError)
    const error = failure as ExecutionFailedError
    expect(error.message).toMatch(/node errors: 'source' \(1\)/)
    expect(error.errors.map((each: Error) => each.message)).toEqual(['source broke'])
    expect(error.report).toMatchObject({ ok: false, dataFlowStats: { sink: { in: 1 } } })
    expect(closed).toEqual(['sink'])
    await expect(
      run(graphWith(false).graph).executor.execute({ rejectOnError: true }),
    ).resolves.toMatchObject({ ok: true })
    await expect(
      run(graph).executor.execute({ rejectOnError: 'yes' as unknown as boolean }),
    ).rejects.toThrow('execute option "rejectOnError": expected a boolean, got "yes"')
  })

  // Guards: a recorded history of progress events read the same (final) numbers every time.
  it('keeps the numbers of each moment in recorded progress events', async () => {
    const graph = new AsyncGraph()
    graph.addNode(async function* slow() {
      for (let index = 0; index < 4; index++) {
        await sleep(40)
        yield index
      }
    })
    const { executor } = run(graph, { progressInterval: 10 })
    const history: DataFlowStats[] = []
    executor.on('progress', (event) => history.push(event.dataFlowStats))
    await executor.execute()
    const outs = history.map((stats) => stats.slow?.out)
    expect(outs[0]).toBeLessThan(4)
    expect(outs.at(-1)).toBeGreaterThan(outs[0] as number)
  })

  // Guards: progress events and the report carried the executor's live counter objects.
  it('gives every event and the report snapshots of the counts', async () => {
    const { graph } = graphWith(false)
    const { executor } = run(graph)
    const ends: unknown[] = []
    executor.on('run-end', (report) => ends.push(report.dataFlowStats))
    const report = await executor.execute()
    report.dataFlowStats.sink = { in: 99, out: 99, err: 99 }
    ;(report.dataFlowStats.source as { out: number }).out = 42
    expect(executor.dataFlowStats?.source?.out).toBe(2)
    expect(executor.dataFlowStats?.sink?.in).toBe(2)
    expect(ends).toEqual([{ source: { in: 0, out: 2, err: 0 }, sink: { in: 2, out: 0, err: 0 } }])
  })
})
