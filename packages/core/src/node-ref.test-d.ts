import { describe, expectTypeOf, it } from 'vitest'
import { type Args, args } from './args.js'
import { AsyncExecutor } from './async-executor.js'
import { AsyncGraph } from './async-graph.js'
import { AsyncQueue } from './async-queue.js'
import { defineSink, defineSource } from './define.js'
import type { NodeRef, OutputOf } from './node-ref.js'
import type { NodeOptions } from './node-spec.js'
import { startNode } from './start-node.js'
import { checkpoint } from './work-tracking.js'

class BatchQueue<T> extends AsyncQueue<T, T[]> {}

async function* numbers() {
  yield 1
}
async function* pairs() {
  yield args(1, 'one')
}
async function* double(value: number) {
  yield value * 2
}
async function* describePair(count: number, label: string) {
  yield `${count} ${label}`
}
async function* takesString(text: string) {
  yield text.length
}
async function* takesNothing() {}
async function* takesBatch(batch: number[]) {
  yield batch.length
}
async function* takesBatchOfStrings(batch: string[]) {
  yield batch.join()
}
async function* takesTuple(values: [number, string]) {
  yield values[0]
}
async function* takesRecord({ id }: { id: number; name?: string }) {
  yield id
}
async function* records() {
  yield { id: 1, name: 'a' }
}

describe('typed wiring', () => {
  it('carries parameter and yield types on refs', () => {
    const graph = new AsyncGraph()
    expectTypeOf(graph.addNode(numbers)).toEqualTypeOf<NodeRef<[], number, 'unpack'>>()
    expectTypeOf(graph.addNode(double)).toEqualTypeOf<NodeRef<[value: number], number, 'unpack'>>()
    expectTypeOf(graph.addNode(pairs)).toEqualTypeOf<
      NodeRef<[], Args<[number, string]>, 'unpack'>
    >()
    expectTypeOf(graph.addNode(takesTuple, { unpackInput: false })).toEqualTypeOf<
      NodeRef<[values: [number, string]], number, 'whole'>
    >()
    expectTypeOf(graph.addNode(takesBatch, { queue: new BatchQueue<number>() })).toEqualTypeOf<
      NodeRef<[number], number, 'queue'>
    >()
  })

  it('accepts edges whose types fit', () => {
    const graph = new AsyncGraph()
    const source = graph.addNode(numbers)
    graph.addEdge(source, graph.addNode(double))
    graph.addEdge(graph.addNode(pairs), graph.addNode(describePair))
    graph.addEdge(source, graph.addNode(takesNothing))
    graph.addEdge(
      graph.addNode(pairs, { name: 'p2' }),
      graph.addNode(takesTuple, { unpackInput: false }),
    )
    graph.addEdge(graph.addNode(records), graph.addNode(takesRecord))
    graph.addEdge(source, graph.addNode(takesBatch, { queue: () => new BatchQueue<number>() }))
    graph.addEdge('numbers', 'double')
    graph.addEdge(numbers, double)
    graph.addEdge(source, 'double')
  })

  it('rejects edges whose types do not fit, at compile time', () => {
    const graph = new AsyncGraph()
    const source = graph.addNode(numbers)
    // @ts-expect-error a number is not a string
    graph.addEdge(source, graph.addNode(takesString))
    // @ts-expect-error args(number, string) does not fit (value: number)
    graph.addEdge(graph.addNode(pairs), graph.addNode(double))
    // @ts-expect-error a plain number is not spread into (count, label)
    graph.addEdge(source, graph.addNode(describePair))
    // @ts-expect-error with unpackInput: false, args(...) arrives as one array, not spread
    graph.addEdge(
      graph.addNode(pairs, { name: 'p3' }),
      graph.addNode(describePair, { name: 'd3', unpackInput: false }),
    )
    // @ts-expect-error the batch queue takes numbers, not strings
    graph.addEdge(
      graph.addNode(async function* words() {
        yield 'w'
      }),
      graph.addNode(takesBatch, { name: 'b2', queue: new BatchQueue<number>() }),
    )
    // @ts-expect-error args(...) goes whole into a custom queue's put: a tuple queue gets an Args
    graph.addEdge(
      graph.addNode(pairs, { name: 'p4' }),
      graph.addNode(takesBatch, {
        name: 'b3',
        queue: new AsyncQueue<[number, string], number[]>(),
      }),
    )
    const options: NodeOptions = { name: 'd4', unpackInput: false }
    // @ts-expect-error unpackInput only known as a boolean: the edge must fit both ways
    graph.addEdge(graph.addNode(pairs, { name: 'p5' }), graph.addNode(describePair, options))
    // @ts-expect-error a record without id
    graph.addEdge(
      graph.addNode(async function* names() {
        yield { name: 'x' }
      }),
      graph.addNode(takesRecord, { name: 'r2' }),
    )
  })

  it('types connector specs through addNode', () => {
    const graph = new AsyncGraph()
    const source = graph.addNode(defineSource({ name: 'letters', read: () => ['a', 'b'] }))
    expectTypeOf(source).toEqualTypeOf<NodeRef<[], string, 'unpack'>>()
    const sink = graph.addNode(defineSink({ name: 'store', write: (_text: string) => {} }))
    graph.addEdge(source, sink)
    const numberSink = graph.addNode(defineSink({ name: 'numbers', write: (_value: number) => {} }))
    // @ts-expect-error strings into a number sink
    graph.addEdge(source, numberSink)
  })

  it('checks what a custom queue delivers against the function', () => {
    const graph = new AsyncGraph()
    // @ts-expect-error a batch queue delivers number[], the function takes a string
    graph.addNode(takesString, { queue: new BatchQueue<number>() })
    // @ts-expect-error the queue delivers numbers, the function takes a batch of strings
    graph.addNode(takesBatchOfStrings, { queue: () => new AsyncQueue<number>() })
    graph.addNode(takesBatchOfStrings, { queue: () => new BatchQueue<string>() })
    graph.addNode(takesBatch, { name: 'b', queue: new BatchQueue<number>() })
    // @ts-expect-error an unknown option name
    graph.addNode(double, { maxTask: 2 })
  })

  it('lets no NodeOptions variable that may carry a queue claim the function parameters', () => {
    const graph = new AsyncGraph()
    const source = graph.addNode(numbers)
    const options: NodeOptions = { queue: new BatchQueue<number>() }
    const hidden = graph.addNode(takesBatch, options)
    expectTypeOf(hidden).toEqualTypeOf<NodeRef<[never], number, 'queue'>>()
    // @ts-expect-error a queue may sit in front: the ref accepts no typed edge
    graph.addEdge(source, hidden)
    const withoutQueue: Omit<NodeOptions, 'queue'> = { name: 'd', maxTasks: 2 }
    graph.addEdge(source, graph.addNode(double, withoutQueue))
  })

  it('refuses a ref from a graph with another type id', () => {
    const orders = new AsyncGraph<'orders'>()
    const billing = new AsyncGraph<'billing'>()
    const source = orders.addNode(numbers)
    const sink = orders.addNode(double)
    orders.addEdge(source, sink)
    const foreign = billing.addNode(double)
    // @ts-expect-error a ref made by the billing graph
    orders.addEdge(source, foreign)
    // @ts-expect-error a ref made by the billing graph
    orders.addEdge(foreign, sink)
    orders.addEdge('numbers', 'double')
    new AsyncExecutor(orders).execute({ startNodes: [startNode(source)] })
  })

  it('types start-node arguments from refs', () => {
    const graph = new AsyncGraph()
    const text = graph.addNode(takesString)
    const pair = graph.addNode(describePair)
    startNode(text, 'a')
    startNode(pair, 1, 'one')
    // @ts-expect-error 42 is not a string
    startNode(text, 42)
    // @ts-expect-error (count, label) needs both
    startNode(pair, 1)
    // @ts-expect-error a number where the label goes
    new AsyncExecutor(graph).execute({ startNodes: [startNode(pair, 1, 2)] })
    new AsyncExecutor(graph).execute({
      startNodes: [startNode(text, 'a'), startNode(pair, 1, 'x')],
    })
  })

  it('names the wrong option, not the function, for maxTasks given as a string', () => {
    const graph = new AsyncGraph()
    graph.addNode(double, {
      // @ts-expect-error maxTasks is a number
      maxTasks: '4',
    })
  })

  it('a source yielding checkpoint() markers connects by what it yields besides them', () => {
    const graph = new AsyncGraph()
    const pages = graph.addNode(async function* pages() {
      yield 'row'
      yield checkpoint({ page: 1 })
    })
    expectTypeOf<OutputOf<typeof pages>>().toEqualTypeOf<'row'>()
    graph.addEdge(pages, graph.addNode(takesString))
    // @ts-expect-error a string where a number goes
    graph.addEdge(pages, graph.addNode(double))
  })
})
