import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AsyncExecutor } from './async-executor.js'
import { AsyncGraph } from './async-graph.js'
import { type CheckpointStore, memoryCheckpointStore } from './checkpoint-store.js'
import type { NodeContext } from './node-spec.js'
import { checkpoint } from './work-tracking.js'

/** An item: the unit it derives from (`source:unit`, units numbered from 1) and its value. */
interface Item {
  readonly tag: string
  readonly value: string
}

interface Plan {
  /** Per source: the sizes of its units. */
  sources: number[][]
  /** Per transform: yields per input, concurrency, whether it awaits a macrotask. */
  transforms: { fanOut: number; maxTasks: number; slow: boolean }[]
  /** Per sink: commit every this many calls (0: stored when the call returns). */
  sinks: { commitEvery: number; slow: boolean }[]
  /** Edges as [from, to] over the node list sources ++ transforms ++ sinks (from < to). */
  edges: [number, number][]
  /** Abort the first run after this many items were stored (over all sinks). */
  abortAfter: number
  /** The first run: a transform fails once on this item value (none: -1). */
  failAt: number
}

const plan: fc.Arbitrary<Plan> = fc
  .record({
    sources: fc.array(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 6 }), {
      minLength: 1,
      maxLength: 2,
    }),
    transforms: fc.array(
      fc.record({
        fanOut: fc.integer({ min: 1, max: 2 }),
        maxTasks: fc.constantFrom(1, 4),
        slow: fc.boolean(),
      }),
      { maxLength: 3 },
    ),
    sinks: fc.array(
      fc.record({ commitEvery: fc.integer({ min: 0, max: 4 }), slow: fc.boolean() }),
      { minLength: 1, maxLength: 3 },
    ),
    extra: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 6 }),
    abortAfter: fc.nat(60),
    failAt: fc.integer({ min: -1, max: 10 }),
  })
  .map(({ sources, transforms, sinks, extra, abortAfter, failAt }) => {
    const upstream = sources.length
    const total = sources.length + transforms.length + sinks.length
    const edges = new Set<string>()
    // Every non-source node gets an input from an earlier non-sink node; every non-sink an output.
    for (let to = upstream; to < total; to++) {
      const from = (to * 7 + 3) % Math.min(to, upstream + transforms.length)
      edges.add(`${from}>${to}`)
    }
    for (let from = 0; from < upstream + transforms.length; from++) {
      if (![...edges].some((edge) => edge.startsWith(`${from}>`))) {
        edges.add(`${from}>${total - 1 - (from % sinks.length)}`)
      }
    }
    for (const [a, b] of extra) {
      const from = a % (upstream + transforms.length)
      const to =
        Math.max(from + 1, upstream) + (b % Math.max(1, total - Math.max(from + 1, upstream)))
      if (to < total) edges.add(`${from}>${to}`)
    }
    return {
      sources,
      transforms,
      sinks,
      edges: [...edges].map((edge) => edge.split('>').map(Number) as [number, number]),
      abortAfter,
      failAt,
    }
  })

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))
const quiet = { info() {}, error() {} }

interface Run {
  /** Per sink: what it durably stored, in order. */
  stored: Map<string, Item[]>
  aborted: boolean
}

/** Builds the plan's graph and runs it once. */
async function run(
  p: Plan,
  options: { store?: CheckpointStore; abortAfter?: number; failAt?: number },
  stored = new Map<string, Item[]>(),
): Promise<Run> {
  const graph = new AsyncGraph()
  const names: string[] = []
  const controller = new AbortController()
  let count = 0
  const storedOne = (sink: string, items: Item[]) => {
    const list = stored.get(sink) ?? []
    stored.set(sink, list)
    for (const item of items) {
      list.push(item)
      if (options.abortAfter !== undefined && ++count === options.abortAfter) controller.abort()
    }
  }
  p.sources.forEach((units, index) => {
    const name = `source${index}`
    names.push(name)
    let from = 0
    graph.addNode({
      name,
      open(context: NodeContext) {
        from = (context.resumeFrom as { unit: number } | undefined)?.unit ?? 0
      },
      async *fn() {
        for (let unit = from + 1; unit <= units.length; unit++) {
          for (let at = 0; at < (units[unit - 1] as number); at++) {
            yield { tag: `${name}:${unit}`, value: `${name}.${unit}.${at}` }
          }
          yield checkpoint({ unit })
        }
      },
    })
  })
  let failed = false
  let seen = 0
  p.transforms.forEach((transform, index) => {
    const name = `transform${index}`
    names.push(name)
    graph.addNode(
      {
        name,
        async *fn(item: Item) {
          if (transform.slow) await tick()
          if (index === 0 && !failed && options.failAt !== undefined && seen++ === options.failAt) {
            failed = true
            throw new Error(`refused ${item.value}`)
          }
          for (let k = 0; k < transform.fanOut; k++) {
            yield { tag: item.tag, value: `${item.value}>${name}#${k}` }
          }
        },
      },
      { maxTasks: transform.maxTasks },
    )
  })
  p.sinks.forEach((sink, index) => {
    const name = `sink${index}`
    names.push(name)
    let context: NodeContext | undefined
    let buffer: Item[] = []
    let calls = 0
    const commit = async () => {
      const done = (context as NodeContext).beginCommit()
      const batch = buffer
      buffer = []
      if (sink.slow) await tick()
      storedOne(name, batch)
      done()
    }
    graph.addNode({
      name,
      commits: sink.commitEvery > 0,
      open(given: NodeContext) {
        context = given
      },
      async *fn(item: Item) {
        if (sink.commitEvery === 0) {
          if (sink.slow) await tick()
          storedOne(name, [item])
          return
        }
        if (calls++ % sink.commitEvery === 0 && buffer.length > 0) await commit()
        buffer.push(item)
      },
      async close() {
        // A sink's close() commits what it accepted, in every outcome.
        if (buffer.length > 0) await commit()
      },
    })
  })
  for (const [from, to] of p.edges) graph.addEdge(names[from] as string, names[to] as string)
  const report = await new AsyncExecutor(graph, { logger: quiet }).execute({
    signal: controller.signal,
    ...(options.store ? { checkpoints: { store: options.store } } : {}),
  })
  return { stored, aborted: report.aborted }
}

const unitOf = (tag: string) => {
  const [source, unit] = tag.split(':')
  return { source: source as string, unit: Number(unit) }
}
const sorted = (items: Item[] | undefined) => (items ?? []).map((item) => item.value).sort()

describe('resumable loads (property)', () => {
  it('stopped at a random point and resumed, every sink gets every item exactly once once it drops what lies past its saved position', async () => {
    await fc.assert(
      fc.asyncProperty(plan, async (p) => {
        const clean = await run(p, {})
        const store = memoryCheckpointStore()
        const first = await run(p, { store, abortAfter: p.abortAfter, failAt: p.failAt })
        const state = (await store.get('graphflow')) as
          | { sources: Record<string, Record<string, { seq: number }>> }
          | undefined
        // What a sink keeps: the units at or before its saved position (a CSV sink truncates
        // to it, a SQLite sink commits the position with the rows).
        const kept = new Map<string, Item[]>()
        for (const [sink, items] of first.stored) {
          kept.set(
            sink,
            items.filter((item) => {
              const { source, unit } = unitOf(item.tag)
              return unit <= (state?.sources[source]?.[sink]?.seq ?? 0)
            }),
          )
        }
        // The saved position never runs ahead: every item of a saved unit is there, once.
        for (const [sink, items] of clean.stored) {
          const saved = items.filter((item) => {
            const { source, unit } = unitOf(item.tag)
            return unit <= (state?.sources[source]?.[sink]?.seq ?? 0)
          })
          expect(sorted(kept.get(sink))).toEqual(sorted(saved))
        }
        const second = await run(p, { store }, kept)
        expect(second.aborted).toBe(false)
        for (const sink of new Set([...clean.stored.keys(), ...second.stored.keys()])) {
          expect(sorted(second.stored.get(sink))).toEqual(sorted(clean.stored.get(sink)))
        }
      }),
      { numRuns: 60 },
    )
  }, 120_000)
})
