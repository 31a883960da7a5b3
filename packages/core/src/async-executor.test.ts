import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it, vi } from 'vitest'
import { args } from './args.js'
import { AsyncExecutor } from './async-executor.js'
import { AsyncGraph } from './async-graph.js'
import { AsyncQueue } from './async-queue.js'
import { defineSink, defineSource } from './define.js'
import { InvalidAsyncGraphError } from './errors.js'
import type { Logger, NodeContext } from './node-spec.js'

function memoryLogger(): Logger & { infos: string[]; errors: string[] } {
  const infos: string[] = []
  const errors: string[] = []
  return { infos, errors, info: (line) => infos.push(line), error: (line) => errors.push(line) }
}

function run(graph: AsyncGraph, options: ConstructorParameters<typeof AsyncExecutor>[1] = {}) {
  const logger = memoryLogger()
  const executor = new AsyncExecutor(graph, { logger, ...options })
  return { executor, logger }
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
      // biome-ignore lint/complexity/noArguments: checks that the node got no arguments at all
      bare += arguments.length === 0 ? 1 : 100
    })
    graph.addEdge('source', 'whole').addEdge('source', 'bareNode')
    await run(graph).executor.execute()
    expect(whole).toEqual([[[1, 2]]])
    expect(bare).toBe(1)
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
})

describe('AsyncExecutor: queues and concurrency', () => {
  it('calls end() once when every upstream finished, so the last partial batch arrives', async () => {
    const ends = vi.fn()
    class BatchQueue extends AsyncQueue<number, number[]> {
      #batch: number[] = []
      override put(item: number) {
        this.#batch.push(item)
        if (this.#batch.length < 4) return
        const batch = this.#batch
        this.#batch = []
        return this.push(batch)
      }
      override async end() {
        ends()
        if (this.#batch.length > 0) await this.push(this.#batch)
        this.#batch = []
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
      { name: 'batches', queue: () => new BatchQueue() },
    )
    graph.addEdge('left', 'batches').addEdge('right', 'batches')
    await run(graph).executor.execute()
    expect(ends).toHaveBeenCalledTimes(1)
    expect(batches.flat().sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(batches.map((batch) => batch.length)).toEqual([4, 4, 2])
  })

  it('delivers what a fresh queue holds first, and empties a reused queue on a later run', async () => {
    const received: string[] = []
    const queue = new AsyncQueue<string>()
    await queue.put('preloaded')
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
    const { executor } = run(graph)
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
})
