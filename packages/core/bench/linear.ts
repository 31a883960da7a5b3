import { Readable, Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { AsyncExecutor, AsyncGraph, checkpoint } from '../dist/index.js'

/** The three node functions every linear case runs: a source, a map, a sink. */
export function linearFunctions(count: number) {
  const state = { total: 0 }
  async function* source() {
    for (let index = 0; index < count; index++) yield index
  }
  async function* map(value: number) {
    yield value + 1
  }
  async function* sink(value: number) {
    state.total += value
  }
  return { source, map, sink, state }
}

/** Floor: the same three generators called directly nested, no queues, no executor. */
export async function nested(count: number): Promise<number> {
  const { source, map, sink, state } = linearFunctions(count)
  for await (const value of source()) {
    for await (const mapped of map(value)) {
      for await (const _ of sink(mapped)) {
      }
    }
  }
  return state.total
}

/** Baseline: the same three generators in a node:stream pipeline. */
export async function streamPipeline(count: number): Promise<number> {
  const { source, map, sink, state } = linearFunctions(count)
  await pipeline(
    Readable.from(source()),
    new Transform({
      objectMode: true,
      transform(value: number, _encoding, callback) {
        ;(async () => {
          for await (const mapped of map(value)) this.push(mapped)
        })().then(() => callback(), callback)
      },
    }),
    new Writable({
      objectMode: true,
      write(value: number, _encoding, callback) {
        ;(async () => {
          for await (const _ of sink(value)) {
          }
        })().then(() => callback(), callback)
      },
    }),
  )
  return state.total
}

/** For reference only: one long-lived generator per stage, chained (not the same functions). */
export async function chainedGenerators(count: number): Promise<number> {
  let total = 0
  async function* source() {
    for (let index = 0; index < count; index++) yield index
  }
  async function* map(input: AsyncIterable<number>) {
    for await (const value of input) yield value + 1
  }
  for await (const value of map(source())) total += value
  return total
}

const silent = { info: () => {}, error: () => {} }

/** graphflow: source -> map -> sink with default options. */
export async function graphflowLinear(count: number): Promise<number> {
  const { source, map, sink, state } = linearFunctions(count)
  const graph = new AsyncGraph()
  graph.addEdge(graph.addNode(source), graph.addNode(map)).addEdge('map', graph.addNode(sink))
  await new AsyncExecutor(graph, { logger: silent }).execute()
  return state.total
}

/**
 * graphflow source -> map -> sink with work tracking on: the source closes a unit every
 * `unit` items with `checkpoint()`, and each stored position is counted.
 */
export async function graphflowLinearTracked(count: number, unit = 1000): Promise<number> {
  const { map, sink, state } = linearFunctions(count)
  async function* source() {
    for (let index = 0; index < count; index++) {
      yield index
      if ((index + 1) % unit === 0) yield checkpoint(index + 1)
    }
  }
  const graph = new AsyncGraph()
  graph.addEdge(graph.addNode(source), graph.addNode(map)).addEdge('map', graph.addNode(sink))
  const executor = new AsyncExecutor(graph, { logger: silent })
  let positions = 0
  executor.on('position-stored', () => {
    positions++
  })
  await executor.execute()
  if (positions !== Math.floor(count / unit)) throw new Error(`${positions} positions stored`)
  return state.total
}

/** graphflow fan-out: one source, three sinks; each of `count` items reaches every sink. */
export async function graphflowFanOutSinks(count: number): Promise<number> {
  const { source, sink, state } = linearFunctions(count)
  const graph = new AsyncGraph()
  graph.addNode(source)
  for (let index = 0; index < 3; index++) {
    graph.addNode(sink, { name: `sink${index}` })
    graph.addEdge('source', `sink${index}`)
  }
  await new AsyncExecutor(graph, { logger: silent }).execute()
  return state.total
}

/** graphflow fan-out 1 -> 4 -> 1: each of `count` items reaches the sink four times. */
export async function graphflowFanOut(count: number): Promise<number> {
  const { source, map, sink, state } = linearFunctions(count)
  const graph = new AsyncGraph()
  graph.addNode(source)
  graph.addNode(sink)
  for (let index = 0; index < 4; index++) {
    graph.addNode(map, { name: `map${index}` })
    graph.addEdge('source', `map${index}`).addEdge(`map${index}`, 'sink')
  }
  await new AsyncExecutor(graph, { logger: silent }).execute()
  return state.total
}

/** `count` items through a node that awaits `delayMs` per item, with `maxTasks` workers. */
export async function graphflowDelayed(
  count: number,
  maxTasks: number,
  delayMs: number,
): Promise<number> {
  const graph = new AsyncGraph()
  let done = 0
  graph.addNode(async function* source() {
    for (let index = 0; index < count; index++) yield index
  })
  graph.addNode(
    async function* delayed(_value: number) {
      await new Promise((resolve) => setTimeout(resolve, delayMs))
      done++
    },
    { maxTasks },
  )
  graph.addEdge('source', 'delayed')
  await new AsyncExecutor(graph, { logger: silent }).execute()
  return done
}
