import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AsyncBatchQueue, BatchQueue } from '../test/fixtures/batch-queue.js'
import { AsyncExecutor } from './async-executor.js'
import { AsyncGraph } from './async-graph.js'
import { AsyncQueue } from './async-queue.js'
import type { NodeContext } from './node-spec.js'
import { checkpoint, type WorkResult } from './work-tracking.js'

/** An item: the units (`source:unit`) it derives from. */
interface Item {
  readonly tags: readonly string[]
}

interface NodePlan {
  maxTasks: number
  /** Items yielded per input (0: the node drops everything). */
  fanOut: number
  /** Awaits a macrotask now and then, to shuffle interleavings. */
  slow: boolean
  /** 0: the default queue; 1 to 3: a batching queue of that size; -1: a queue dropping every third item, whose async puts overtake each other; -2: a batching queue (of 3) whose puts are async and run concurrently. */
  queue: number
  /** For a sink: commit every this many calls (0: store on return, no `commits`). */
  commitEvery: number
  /** For a source: the sizes of its units. */
  units: number[]
  /** Inbound mode, a node with destinations: throws on inputs derived from every third message. */
  fails: boolean
}

const nodePlan = fc.record({
  maxTasks: fc.integer({ min: 1, max: 4 }),
  fanOut: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 2 })),
  slow: fc.boolean(),
  queue: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: -2, max: 3 })),
  commitEvery: fc.integer({ min: 0, max: 3 }),
  units: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 5 }),
  fails: fc.boolean(),
})

const graphPlan = fc.integer({ min: 2, max: 7 }).chain((size) =>
  fc.record({
    nodes: fc.array(nodePlan, { minLength: size, maxLength: size }),
    edges: fc.array(fc.tuple(fc.nat(size - 1), fc.nat(size - 1)), { maxLength: 16 }),
  }),
)

/** Drops every third item; its puts are async and overtake each other. */
class Dropping extends AsyncQueue<Item, Item> {
  #count = 0
  override async put(item: Item) {
    const count = this.#count++
    if (count % 3 === 2) return
    for (let wait = count % 2 === 0 ? 2 : 0; wait > 0; wait--) await tick()
    return this.push(item)
  }
}

/** Batches of 3; each put awaits first, so puts run concurrently and a push carries puts in flight. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/** An inbound edge fed with `count` messages once its upstream is done, each with an `onDone`. */
class Inbound extends AsyncQueue<never, Item> {
  constructor(
    readonly count: number,
    readonly onDone: (message: string, result: WorkResult) => void,
  ) {
    super(2)
  }
  override get tracksWork(): boolean {
    return true
  }
  override async end(): Promise<void> {
    for (let index = 0; index < this.count; index++) {
      const tag = `m${index}`
      await this.push({ tags: [tag] }, (result) => this.onDone(tag, result))
    }
    return super.end()
  }
}

interface Built {
  graph: AsyncGraph
  /** Per sink: the time each received item was committed (undefined until then). */
  received: Map<string, Map<Item, number | undefined>>
  /** The tags of inputs of calls that threw. */
  failed: Set<string>
  destinations(index: number): number[]
  hasInput(index: number): boolean
  now(): number
}

/**
 * The plan's DAG (edges from lower to higher indexes only). Without `inbound`, nodes without
 * inputs are sources closing units with `checkpoint()`; with it, they are transforms fed by
 * node `in`, whose inbound queue pushes `inbound.count` messages.
 */
function build(plan: { nodes: NodePlan[]; edges: [number, number][] }, inbound?: Inbound): Built {
  const size = plan.nodes.length
  const edges = new Set<string>()
  for (const [a, b] of plan.edges) if (a < b) edges.add(`${a}>${b}`)
  const destinations = (index: number) =>
    [...edges].filter((edge) => edge.startsWith(`${index}>`)).map((e) => Number(e.split('>')[1]))
  const hasInput = (index: number) => [...edges].some((edge) => edge.endsWith(`>${index}`))
  let clock = 0
  const received = new Map<string, Map<Item, number | undefined>>()
  const failed = new Set<string>()
  const graph = new AsyncGraph()
  const derive = (input: Item | Item[]): Item => {
    const items = Array.isArray(input) ? input : [input]
    return { tags: [...new Set(items.flatMap((item) => item.tags))] }
  }
  if (inbound) {
    graph.addNode(async function* trigger() {})
    graph.addNode(
      async function* relay(item: Item) {
        yield item
      },
      { name: 'in', queue: inbound },
    )
    graph.addEdge('trigger', 'in')
  }
  for (let index = 0; index < size; index++) {
    const node = plan.nodes[index] as NodePlan
    const name = `n${index}`
    const isSink = destinations(index).length === 0
    if (!hasInput(index) && !inbound) {
      graph.addNode(
        async function* source() {
          for (let unit = 0; unit < node.units.length; unit++) {
            for (let row = 0; row < (node.units[unit] as number); row++) {
              if (node.slow && row % 2 === 0) await tick()
              yield { tags: [`${name}:${unit}`] } satisfies Item
            }
            yield checkpoint(unit)
          }
        },
        { name },
      )
      if (isSink) received.set(name, new Map())
      continue
    }
    const queue =
      node.queue > 0
        ? () => new BatchQueue<Item>(node.queue, 2)
        : node.queue === -1
          ? () => new Dropping()
          : node.queue === -2
            ? () => new AsyncBatchQueue<Item>(3, 2, tick)
            : undefined
    // queueSize bounds the default queue only (with a custom queue it is refused).
    const bound: { queue?: NonNullable<typeof queue>; queueSize?: number } = queue
      ? { queue }
      : { queueSize: 3 }
    const options = { name, maxTasks: node.maxTasks, ...bound }
    if (!isSink) {
      graph.addNode(async function* transform(input: Item | Item[]) {
        if (node.slow) await tick()
        const item = derive(input)
        if (inbound && node.fails && item.tags.some((tag) => Number(tag.slice(1)) % 3 === 0)) {
          for (const tag of item.tags) failed.add(tag)
          throw new Error(`refused ${item.tags.join(',')}`)
        }
        for (let copy = 0; copy < node.fanOut; copy++) yield derive(input)
      }, options)
      continue
    }
    const stored = new Map<Item, number | undefined>()
    received.set(name, stored)
    if (node.commitEvery === 0) {
      graph.addNode(async function* sink(input: Item | Item[]) {
        if (node.slow) await tick()
        stored.set(derive(input), clock++)
      }, options)
      continue
    }
    let context: NodeContext | undefined
    let buffer: Item[] = []
    let calls = 0
    const commit = async (items: Item[]) => {
      await tick()
      for (const item of items) stored.set(item, clock++)
    }
    graph.addNode(
      {
        name,
        commits: true,
        open(given) {
          context = given
        },
        async *fn(input: Item | Item[]) {
          if (++calls % node.commitEvery === 0) {
            const done = (context as NodeContext).beginCommit()
            const batch = buffer
            buffer = []
            await commit(batch)
            done()
          }
          const item = derive(input)
          stored.set(item, undefined)
          buffer.push(item)
        },
        async close() {
          await commit(buffer)
          buffer = []
        },
      },
      { maxTasks: node.maxTasks, ...bound },
    )
  }
  for (const edge of edges) {
    const [a, b] = edge.split('>')
    graph.addEdge(`n${a}`, `n${b}`)
  }
  if (inbound)
    for (let index = 0; index < size; index++)
      if (!hasInput(index)) graph.addEdge('in', `n${index}`)
  return { graph, received, failed, destinations, hasInput, now: () => clock++ }
}

/** Every item a sink got that derives from one of `tags` was committed before `at`. */
function committedBefore(
  built: Built,
  sink: string,
  at: number,
  derived: (tag: string) => boolean,
) {
  const stored = built.received.get(sink) as Map<Item, number | undefined>
  for (const [item, committed] of stored) {
    if (item.tags.some(derived)) expect(committed !== undefined && committed < at).toBe(true)
  }
}

describe('work tracking over random DAGs', () => {
  it('a position is stored for a sink only after it committed everything derived from it and every earlier unit, and always eventually, in order', async () => {
    await fc.assert(
      fc.asyncProperty(graphPlan, async (plan) => {
        const built = build(plan)
        const { destinations, hasInput, received } = built
        const size = plan.nodes.length
        const events: { node: string; position: number; sink: string; at: number }[] = []
        const executor = new AsyncExecutor(built.graph, { logger: { info() {}, error() {} } })
        executor.on('position-stored', (event) => {
          events.push({ ...event, position: event.position as number, at: built.now() })
        })
        const report = await executor.execute()
        expect(report.ok).toBe(true)

        const reaches = (from: number, sink: number): boolean =>
          from === sink || destinations(from).some((next) => reaches(next, sink))
        for (let source = 0; source < size; source++) {
          if (hasInput(source)) continue
          const units = (plan.nodes[source] as NodePlan).units.length
          for (const sinkName of received.keys()) {
            const sink = Number(sinkName.slice(1))
            const positions = events
              .filter((event) => event.node === `n${source}` && event.sink === sinkName)
              .map((event) => event.position)
            // Contiguous, in order, each once; every unit eventually; none for an unreached sink.
            expect(positions).toEqual(
              reaches(source, sink) ? Array.from({ length: units }, (_, unit) => unit) : [],
            )
          }
        }
        // Never before: everything the sink got from this unit or an earlier one is committed.
        for (const event of events) {
          committedBefore(built, event.sink, event.at, (tag) => {
            const [node, unit] = tag.split(':')
            return node === event.node && Number(unit) <= event.position
          })
        }
      }),
      { numRuns: 400 },
    )
  }, 60_000)

  it('onDone of an inbound item comes once, after every sink committed what derives from it, and reports the failures', async () => {
    await fc.assert(
      fc.asyncProperty(graphPlan, fc.integer({ min: 0, max: 12 }), async (plan, count) => {
        const results = new Map<string, { result: WorkResult; at: number }[]>()
        let built: Built | undefined
        const inbound = new Inbound(count, (message, result) => {
          const list = results.get(message) ?? []
          list.push({ result, at: (built as Built).now() })
          results.set(message, list)
        })
        built = build(plan, inbound)
        await new AsyncExecutor(built.graph, { logger: { info() {}, error() {} } }).execute()
        for (let index = 0; index < count; index++) {
          const message = `m${index}`
          const done = results.get(message) ?? []
          // Always, exactly once (a failure does not halt this run).
          expect(done).toHaveLength(1)
          const { result, at } = done[0] as { result: WorkResult; at: number }
          for (const sink of built.received.keys()) {
            committedBefore(built, sink, at, (tag) => tag === message)
          }
          // A call that failed on something derived from it makes it fail.
          if (built.failed.has(message)) expect(result.ok).toBe(false)
          if (result.ok) expect(result.errors).toEqual([])
        }
      }),
      { numRuns: 300 },
    )
  }, 60_000)
})
