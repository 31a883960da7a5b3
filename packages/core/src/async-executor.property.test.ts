import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BatchQueue } from '../test/fixtures/batch-queue.js'
import { AsyncExecutor } from './async-executor.js'
import { AsyncGraph } from './async-graph.js'
import { defineNode } from './define.js'

interface NodePlan {
  maxTasks: number
  queueSize: number
  /** Items a source yields; ignored for nodes with inputs. */
  items: number
  /** Throws on items whose number is divisible by this (0: never). */
  throwEvery: number
  /** Throw before or after yielding. */
  throwAfterYield: boolean
  /** Awaits a macrotask now and then, to shuffle interleavings. */
  slow: boolean
  halts: boolean
  /** Items per batch of a batching queue in front of the node (0: the default queue). */
  batch: number
}

const nodePlan = fc.record({
  maxTasks: fc.integer({ min: 1, max: 8 }),
  queueSize: fc.integer({ min: 1, max: 100 }),
  items: fc.integer({ min: 0, max: 20 }),
  throwEvery: fc.oneof(fc.constant(0), fc.integer({ min: 2, max: 7 })),
  throwAfterYield: fc.boolean(),
  slow: fc.boolean(),
  halts: fc.constant(false),
  batch: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 5 })),
})

/** A random DAG: edges only go from a lower to a higher index, so there is never a cycle. */
const dagPlan = fc.integer({ min: 1, max: 12 }).chain((size) =>
  fc.record({
    nodes: fc.array(nodePlan, { minLength: size, maxLength: size }),
    edges: fc.uniqueArray(
      fc
        .tuple(fc.integer({ min: 0, max: size - 1 }), fc.integer({ min: 0, max: size - 1 }))
        .filter(([from, to]) => from < to),
      {
        maxLength: Math.min(18, (size * (size - 1)) / 2),
        selector: ([from, to]) => `${from}-${to}`,
      },
    ),
  }),
)

const hash = (text: string) => {
  let value = 7
  for (let index = 0; index < text.length; index++)
    value = (value * 31 + text.charCodeAt(index)) >>> 0
  return value
}

async function runPlan(
  plan: { nodes: NodePlan[]; edges: [number, number][] },
  haltOnException = false,
) {
  const graph = new AsyncGraph({ haltOnException })
  const names = plan.nodes.map((_, index) => `n${index}`)
  const received = names.map(() => [] as string[])
  const yielded = names.map(() => [] as string[])
  const throws = names.map(() => 0)
  const opens = names.map(() => 0)
  const closes = names.map(() => 0)
  const hasInputs = names.map((_, index) => plan.edges.some(([, to]) => to === index))
  plan.nodes.forEach((node, index) => {
    const name = names[index] as string
    const fail = (token: string) => node.throwEvery > 0 && hash(token) % node.throwEvery === 0
    const emit = (token: string) => {
      yielded[index]?.push(token)
      return token
    }
    graph.addNode(
      defineNode({
        name,
        fn: async function* step(token?: string | string[]) {
          if (node.slow) await new Promise((resolve) => setImmediate(resolve))
          if (!hasInputs[index]) {
            for (let item = 0; item < node.items; item++) yield emit(`${name}.${item}`)
            return
          }
          if (Array.isArray(token)) {
            for (const each of token) {
              received[index]?.push(each)
              yield emit(`${each}>${name}`)
            }
            return
          }
          received[index]?.push(token as string)
          const out = `${token}>${name}`
          if (fail(out) && !node.throwAfterYield) {
            throws[index] = (throws[index] ?? 0) + 1
            throw new Error(`${name} failed on ${token}`)
          }
          yield emit(out)
          if (fail(out)) {
            throws[index] = (throws[index] ?? 0) + 1
            throw new Error(`${name} failed after ${token}`)
          }
        },
        open: () => {
          opens[index] = (opens[index] ?? 0) + 1
        },
        close: () => {
          closes[index] = (closes[index] ?? 0) + 1
        },
        options: {
          maxTasks: node.maxTasks,
          haltOnException: node.halts,
          ...(node.batch > 0 && hasInputs[index]
            ? { queue: () => new BatchQueue<string>(node.batch, 3) }
            : { queueSize: node.queueSize }),
        },
      }),
    )
  })
  for (const [from, to] of plan.edges) graph.addEdge(names[from] as string, names[to] as string)
  const report = await new AsyncExecutor(graph, {
    logger: { info: () => {}, error: () => {} },
  }).execute()
  return { names, received, yielded, throws, opens, closes, report }
}

const sorted = (items: string[]) => [...items].sort()

describe('AsyncExecutor over random DAGs (property-based)', () => {
  it('delivers every yielded item to every destination exactly once, with consistent stats', async () => {
    await fc.assert(
      fc.asyncProperty(dagPlan, async (plan) => {
        const { names, received, yielded, throws, opens, closes, report } = await runPlan(plan)
        expect(report.halted).toBe(false)
        names.forEach((name, index) => {
          const sources = plan.edges.filter(([, to]) => to === index).map(([from]) => from)
          if (sources.length > 0) {
            const expected = sources.flatMap((source) => yielded[source] ?? [])
            expect(sorted(received[index] ?? [])).toEqual(sorted(expected))
          }
          expect(report.dataFlowStats[name], name).toEqual({
            in: received[index]?.length ?? 0,
            out: yielded[index]?.length ?? 0,
            err: throws[index],
          })
          expect(report.exceptions[name]).toHaveLength(throws[index] ?? 0)
          expect(opens[index]).toBe(1)
          expect(closes[index]).toBe(1)
        })
      }),
      { numRuns: 120 },
    )
  })

  it('ends every halted run, closes every node once and never delivers twice', async () => {
    await fc.assert(
      fc.asyncProperty(dagPlan, async (plan) => {
        const { names, received, yielded, throws, closes, report } = await runPlan(plan, true)
        const anyThrow = throws.some((count) => count > 0)
        expect(report.halted).toBe(anyThrow)
        names.forEach((_, index) => {
          expect(closes[index]).toBe(1)
          const sources = plan.edges.filter(([, to]) => to === index).map(([from]) => from)
          const available = new Map<string, number>()
          for (const token of sources.flatMap((source) => yielded[source] ?? [])) {
            available.set(token, (available.get(token) ?? 0) + 1)
          }
          for (const token of received[index] ?? []) {
            const left = available.get(token) ?? 0
            expect(left).toBeGreaterThan(0)
            available.set(token, left - 1)
          }
        })
      }),
      { numRuns: 80 },
    )
  })
})
