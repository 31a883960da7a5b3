import { describe, expect, expectTypeOf, it } from 'vitest'
import { AsyncExecutor } from './async-executor.js'
import { AsyncGraph } from './async-graph.js'
import { defineSink, defineSource } from './define.js'
import type { ExecuteOptions } from './executor-types.js'
import type { NodeContext, NodeSpec } from './node-spec.js'
import type { SinkSpec, SourceSpec } from './spec-types.js'
import { checkpoint } from './work-tracking.js'

const quiet = { info: () => {}, error: () => {} }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs `items` (one per call) through `sink` behind a feeder; a halt or abort as asked. */
async function feed(
  sink: NodeSpec<never, unknown>,
  items: unknown[],
  options: { haltAfter?: number; signal?: AbortSignal; maxTasks?: number } = {},
) {
  const graph = new AsyncGraph()
  graph.addNode(
    async function* feeder() {
      let index = 0
      for (const item of items) {
        if (options.haltAfter !== undefined && index++ === options.haltAfter) {
          throw new Error('feeder broke')
        }
        yield item
      }
    },
    { haltOnException: true },
  )
  graph.addNode(sink, { maxTasks: options.maxTasks ?? 1 })
  graph.addEdge('feeder', sink.name)
  const execute: ExecuteOptions = { signal: options.signal }
  return new AsyncExecutor(graph, { logger: quiet }).execute(execute)
}

function batchSink(batchSize = 3) {
  const batches: number[][] = []
  const closes: boolean[] = []
  let stats = { records: 0 }
  const spec = defineSink({
    name: 'batches',
    stats: () => ({ records: 0 }),
    batchSize,
    open(context) {
      stats = context.stats
    },
    writeBatch(items: number[]) {
      batches.push(items)
      stats.records += items.length
    },
    close(info) {
      closes.push(info.writeFailed)
    },
  })
  return { spec, batches, closes }
}

describe('defineSink with writeBatch', () => {
  it('buffers batchSize items, flattens arrays and writes the rest before close', async () => {
    const { spec, batches, closes } = batchSink(3)
    const report = await feed(spec, [1, [2, 3, 4], [], 5, [6, 7]])
    expect(report.exceptions.batches).toEqual([])
    expect(batches).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7],
    ])
    expect(closes).toEqual([false])
    expect(spec.stats.records).toBe(7)
  })

  it('writes what it accepted before close after a halt and after an abort', async () => {
    // guards "everything accepted is stored": the buffered rest is flushed on every outcome
    for (const stop of ['halt', 'abort'] as const) {
      const { spec, batches, closes } = batchSink(100)
      const controller = new AbortController()
      const graph = new AsyncGraph()
      graph.addNode(
        async function* feeder() {
          for (const item of [1, 2, 3]) {
            yield item
            await sleep(5) // the sink takes each item before the next comes
          }
          if (stop === 'abort') controller.abort()
          else throw new Error('feeder broke')
          await sleep(100)
          yield 4
        },
        { haltOnException: true },
      )
      graph.addNode(spec)
      graph.addEdge('feeder', 'batches')
      const report = await new AsyncExecutor(graph, { logger: quiet }).execute({
        signal: controller.signal,
      })
      expect(stop === 'halt' ? report.halted : report.aborted).toBe(true)
      expect(batches).toEqual([[1, 2, 3]])
      expect(closes).toEqual([false])
    }
  })

  it('gives every run fresh stats in the same spec.stats object', async () => {
    const { spec } = batchSink(2)
    const stats = spec.stats
    await feed(spec, [1, 2, 3])
    expect(stats.records).toBe(3)
    await feed(spec, [1])
    expect(spec.stats).toBe(stats)
    expect(stats.records).toBe(1)
  })

  it('checks and prepares every item of a call at call time: a call is stored all or nothing', async () => {
    const stored: string[][] = []
    const seen: string[] = []
    const spec = defineSink({
      name: 'checked',
      check(item: number, number, callSize) {
        seen.push(`${item}#${number}/${callSize}`)
        if (item < 0) throw new TypeError(`item ${number} is negative`)
      },
      prepare: (item: number) => `<${item}>`,
      writeBatch(items: string[]) {
        stored.push(items)
      },
    })
    const report = await feed(spec, [1, [2, -3, 4], 5])
    expect(stored).toEqual([['<1>', '<5>']])
    expect(report.exceptions.checked?.map((error) => error.message)).toEqual(['item 3 is negative'])
    expect(seen).toEqual(['1#1/1', '2#2/3', '-3#3/3', '5#5/1'])
  })

  it('tells close() that a batch failed, and reports the failure to the call that flushed', async () => {
    const closes: boolean[] = []
    const spec = defineSink({
      name: 'failing',
      batchSize: 2,
      async writeBatch(items: number[]) {
        if (items.includes(3)) throw new Error('disk full')
      },
      close(info) {
        closes.push(info.writeFailed)
      },
    })
    const report = await feed(spec, [1, 2, 3, 4, 5])
    expect(report.exceptions.failing?.map((error) => error.message)).toEqual(['disk full'])
    expect(closes).toEqual([true])
  })

  it('fails close() with the last batch failure, and still calls the definition close()', async () => {
    const closes: boolean[] = []
    const spec = defineSink({
      name: 'last-fails',
      writeBatch() {
        throw new Error('cannot flush')
      },
      close(info) {
        closes.push(info.writeFailed)
      },
    })
    const report = await feed(spec, [1])
    expect(report.exceptions['last-fails']?.map((error) => error.message)).toEqual(['cannot flush'])
    expect(closes).toEqual([true])
  })

  it('writes batches one after the other with concurrent calls', async () => {
    let writing = 0
    let overlaps = 0
    const batches: number[][] = []
    const spec = defineSink({
      name: 'serial',
      batchSize: 1,
      async writeBatch(items: number[]) {
        if (writing++ > 0) overlaps++
        await sleep(2)
        batches.push(items)
        writing--
      },
    })
    await feed(spec, [1, 2, 3, 4, 5, 6], { maxTasks: 3 })
    expect(overlaps).toBe(0)
    expect(batches.flat().sort()).toEqual([1, 2, 3, 4, 5, 6])
  })
  // Guards the rule a position is stored by: with maxTasks above 1 and an async writeBatch, a
  // batch queued behind another begins its commit late, covering calls whose items are still
  // buffered; no position may pass them before their batch is written.
  it('stores a position only after every item of it was written (async writeBatch, maxTasks 4)', async () => {
    const written = new Set<number>()
    const early: unknown[] = []
    const graph = new AsyncGraph()
    graph.addNode({
      name: 'numbers',
      async *fn() {
        for (let value = 1; value <= 300; value++) {
          yield value
          yield checkpoint(value)
          if (value % 7 === 0) await new Promise((resolve) => setImmediate(resolve))
        }
      },
    })
    let context: NodeContext | undefined
    const sink = defineSink({
      name: 'slow',
      batchSize: 3,
      open(opened) {
        context = opened
      },
      // Like csvSink and sqliteSink: a commit begins as the batch's write starts.
      async writeBatch(batch: number[]) {
        const done = (context as NodeContext).beginCommit()
        await new Promise((resolve) => setTimeout(resolve, 1))
        for (const value of batch) written.add(value)
        done()
      },
    })
    graph.addNode(sink, { maxTasks: 4 })
    graph.addEdge('numbers', 'slow')
    const executor = new AsyncExecutor(graph, { logger: quiet })
    let stored = 0
    executor.on('position-stored', ({ position }) => {
      stored++
      for (let value = 1; value <= (position as number); value++) {
        if (!written.has(value)) early.push({ position, missing: value })
      }
    })
    await executor.execute({ tracking: true })
    expect(written.size).toBe(300)
    expect(stored).toBeGreaterThan(0)
    expect(early.slice(0, 3)).toEqual([])
  })
})

describe('defineSink with write', () => {
  it('writes each item at call time, arrays flattened', async () => {
    const written: string[] = []
    const spec = defineSink({ name: 'each', write: (line: string) => void written.push(line) })
    await feed(spec, ['a', ['b', 'c']])
    expect(written).toEqual(['a', 'b', 'c'])
    expect(spec.stats).toEqual({})
  })

  it('refuses a definition without write or writeBatch, and batchSize without writeBatch', () => {
    expect(() => defineSink({ name: 'nothing' } as never)).toThrow(
      `defineSink 'nothing' option "write": expected a function (or "writeBatch"), got undefined`,
    )
    expect(() => defineSink({ name: 'x', write: () => {}, batchSize: 5 } as never)).toThrow(
      /"batchSize": expected no batch size without "writeBatch", got 5/,
    )
    expect(() => defineSink({ name: 'x', writeBatch: () => {}, batchSize: 0 })).toThrow(
      `defineSink 'x' option "batchSize": expected an integer >= 1, got 0`,
    )
  })

  it('names the node function after the sink, and a source after its read function', () => {
    expect(defineSink({ name: 'csvSink', write: () => {} }).fn.name).toBe('csvSink')
    expect(defineSource({ name: 'x', read: function* csvSource() {} }).fn.name).toBe('csvSource')
  })

  it('types the spec: it takes an item or an array of items', () => {
    const spec = defineSink({ name: 'typed', write: (_line: string) => {} })
    expectTypeOf(spec).toExtend<SinkSpec<string>>()
    expectTypeOf(spec).toExtend<NodeSpec<[string], never>>()
  })
})

describe('defineSource', () => {
  it('yields arrays of batchSize items, the rest last, with stats per run', async () => {
    const batches: number[][] = []
    let stats = { read: 0 }
    const spec = defineSource({
      name: 'numbers',
      batchSize: 2,
      stats: () => ({ read: 0 }),
      open(context) {
        stats = context.stats
      },
      async *read() {
        for (const number of [1, 2, 3, 4, 5]) {
          stats.read++
          yield number
        }
      },
    })
    expectTypeOf(spec).toExtend<SourceSpec<number[], { read: number }>>()
    const graph = new AsyncGraph()
    graph.addNode(spec)
    graph.addNode(async function* collect(batch: number[]) {
      batches.push(batch)
    })
    graph.addEdge('numbers', 'collect')
    await new AsyncExecutor(graph, { logger: quiet }).execute()
    expect(batches).toEqual([[1, 2], [3, 4], [5]])
    expect(spec.stats.read).toBe(5)
  })

  it('yields the items read before a failure, then fails', async () => {
    const batches: number[][] = []
    const spec = defineSource({
      name: 'broken',
      batchSize: 10,
      async *read() {
        yield 1
        yield 2
        throw new Error('read failed')
      },
    })
    const graph = new AsyncGraph()
    graph.addNode(spec)
    graph.addNode(async function* collect(batch: number[]) {
      batches.push(batch)
    })
    graph.addEdge('broken', 'collect')
    const report = await new AsyncExecutor(graph, { logger: quiet }).execute()
    expect(batches).toEqual([[1, 2]])
    expect(report.exceptions.broken?.map((error) => error.message)).toEqual(['read failed'])
  })

  // Guards that a checkpoint() read yields ends a batch instead of landing in it as an item.
  it('ends a batch at a checkpoint() that read yields, and yields the marker after it', async () => {
    const spec = defineSource({
      name: 'numbers',
      batchSize: 3,
      async *read() {
        yield* [1, 2]
        yield checkpoint({ after: 2 })
        yield* [3, 4, 5, 6]
        yield checkpoint({ after: 6 })
        yield 7
      },
    })
    expectTypeOf(spec).toExtend<SourceSpec<number[]>>()
    const batches: unknown[] = []
    const positions: unknown[] = []
    const graph = new AsyncGraph()
    graph.addNode(spec)
    graph.addNode(async function* collect(batch: number[]) {
      batches.push(batch)
    })
    graph.addEdge('numbers', 'collect')
    const executor = new AsyncExecutor(graph, { logger: quiet })
    executor.on('position-stored', ({ position }) => positions.push(position))
    await executor.execute()
    expect(batches).toEqual([[1, 2], [3, 4, 5], [6], [7]])
    expect(positions).toEqual([{ after: 2 }, { after: 6 }])
  })

  it('yields items one by one without batchSize, and checks batchSize', () => {
    const spec = defineSource({ name: 'letters', read: () => ['a', 'b'] })
    expectTypeOf(spec).toExtend<SourceSpec<string>>()
    expect(() => defineSource({ name: 'x', read: () => [], batchSize: 0 })).toThrow(
      `defineSource 'x' option "batchSize": expected an integer >= 1, got 0`,
    )
  })
})
