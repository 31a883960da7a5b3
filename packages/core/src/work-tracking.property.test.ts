import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AsyncExecutor } from './async-executor.js'
import { AsyncGraph } from './async-graph.js'
import { AsyncQueue } from './async-queue.js'
import type { NodeContext } from './node-spec.js'
import { checkpoint } from './work-tracking.js'

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
  /** 0: the default queue; 1 to 3: a batching queue of that size; -1: a queue dropping every third item, whose async puts overtake each other. */
  queue: number
  /** For a sink: commit every this many calls (0: store on return, no `commits`). */
  commitEvery: number
  /** For a source: the sizes of its units. */
  units: number[]
}

const nodePlan = fc.record({
  maxTasks: fc.integer({ min: 1, max: 4 }),
  fanOut: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 2 })),
  slow: fc.boolean(),
  queue: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: -1, max: 3 })),
  commitEvery: fc.integer({ min: 0, max: 3 }),
  units: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 5 }),
})

const graphPlan = fc.integer({ min: 2, max: 7 }).chain((size) =>
  fc.record({
    nodes: fc.array(nodePlan, { minLength: size, maxLength: size }),
    edges: fc.array(fc.tuple(fc.nat(size - 1), fc.nat(size - 1)), { maxLength: 16 }),
  }),
)

class Batch extends AsyncQueue<Item, Item[]> {
  #batch: Item[] = []
  constructor(readonly batchSize: number) {
    super(2)
  }
  override put(item: Item) {
    this.#batch.push(item)
    if (this.#batch.length < this.batchSize) return
    const batch = this.#batch
    this.#batch = []
    return this.push(batch)
  }
  override async end() {
    if (this.#batch.length > 0) await this.push(this.#batch)
    this.#batch = []
    return super.end()
  }
}

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

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('work tracking over random DAGs', () => {
  it('a position is stored for a sink only after it committed everything derived from it and every earlier unit, and always eventually, in order', async () => {
    await fc.assert(
      fc.asyncProperty(graphPlan, async (plan) => {
        const size = plan.nodes.length
        // Edges from lower to higher indexes only: a DAG.
        const edges = new Set<string>()
        for (const [a, b] of plan.edges) if (a < b) edges.add(`${a}>${b}`)
        const destinations = (index: number) =>
          [...edges]
            .filter((edge) => edge.startsWith(`${index}>`))
            .map((e) => Number(e.split('>')[1]))
        const hasInput = (index: number) => [...edges].some((edge) => edge.endsWith(`>${index}`))

        let clock = 0
        /** Per sink: the time each received item was committed (undefined until then). */
        const received = new Map<string, Map<Item, number | undefined>>()
        const graph = new AsyncGraph()
        for (let index = 0; index < size; index++) {
          const node = plan.nodes[index] as NodePlan
          const name = `n${index}`
          const isSink = destinations(index).length === 0
          const derive = (input: Item | Item[]): Item => {
            const items = Array.isArray(input) ? input : [input]
            return { tags: [...new Set(items.flatMap((item) => item.tags))] }
          }
          if (!hasInput(index)) {
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
              ? () => new Batch(node.queue)
              : node.queue < 0
                ? () => new Dropping()
                : undefined
          if (!isSink) {
            graph.addNode(
              async function* transform(input: Item | Item[]) {
                if (node.slow) await tick()
                for (let copy = 0; copy < node.fanOut; copy++) yield derive(input)
              },
              { name, maxTasks: node.maxTasks, queueSize: 3, ...(queue ? { queue } : {}) },
            )
            continue
          }
          const stored = new Map<Item, number | undefined>()
          received.set(name, stored)
          if (node.commitEvery === 0) {
            graph.addNode(
              async function* sink(input: Item | Item[]) {
                if (node.slow) await tick()
                stored.set(derive(input), clock++)
              },
              { name, maxTasks: node.maxTasks, queueSize: 3, ...(queue ? { queue } : {}) },
            )
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
            { maxTasks: node.maxTasks, queueSize: 3, ...(queue ? { queue } : {}) },
          )
        }
        for (const edge of edges) {
          const [a, b] = edge.split('>')
          graph.addEdge(`n${a}`, `n${b}`)
        }

        const events: { node: string; position: number; sink: string; at: number }[] = []
        const executor = new AsyncExecutor(graph, { logger: { info() {}, error() {} } })
        executor.on('position-stored', (event) => {
          events.push({ ...event, position: event.position as number, at: clock++ })
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
        for (const event of events) {
          const stored = received.get(event.sink) as Map<Item, number | undefined>
          for (const [item, at] of stored) {
            const derived = item.tags.some((tag) => {
              const [node, unit] = tag.split(':')
              return node === event.node && Number(unit) <= event.position
            })
            // Never before: everything the sink got from this unit or an earlier one is committed.
            if (derived) expect(at !== undefined && at < event.at).toBe(true)
          }
        }
      }),
      { numRuns: 400 },
    )
  }, 60_000)
})
