import { describe, expect, it } from 'vitest'
import { AsyncGraph } from './async-graph.js'
import { AsyncQueue } from './async-queue.js'
import { defineNode } from './define.js'
import { GraphflowError, InvalidAsyncGraphError } from './errors.js'

async function* a() {}
async function* b(_item: unknown) {}
async function* c(_item: unknown) {}

describe('AsyncGraph', () => {
  it('adds nodes with defaults and lists them in insertion order', () => {
    const graph = new AsyncGraph()
    graph.addNode(a)
    graph.addNode(b, {
      name: 'bee',
      maxTasks: 3,
      queueSize: 5,
      haltOnException: true,
      unpackInput: false,
    })
    expect(graph.nodes.map((node) => node.name)).toEqual(['a', 'bee'])
    expect(graph.nodes[0]).toMatchObject({
      fn: a,
      haltOnException: false,
      unpackInput: true,
      maxTasks: 1,
      queueSize: 10_000,
      queue: undefined,
      checkAsyncGen: true,
      takesNoParameters: true,
    })
    expect(graph.nodes[1]).toMatchObject({
      maxTasks: 3,
      queueSize: 5,
      haltOnException: true,
      unpackInput: false,
    })
  })

  it('adds edges by ref, name or function, without duplicates', () => {
    const graph = new AsyncGraph()
    const refA = graph.addNode(a)
    graph.addNode(b)
    graph.addNode(c)
    graph.addEdge(refA, 'b').addEdge(a, c).addEdge('a', 'b').addEdge(b, 'c')
    expect(graph.edges).toEqual([
      ['a', 'b'],
      ['a', 'c'],
      ['b', 'c'],
    ])
    expect(graph.nodesToEdges).toEqual({ a: ['b', 'c'], b: ['c'], c: [] })
    expect(graph.rootNodes).toEqual(['a'])
  })

  it('names the culprit of every invalid call', () => {
    const graph = new AsyncGraph()
    graph.addNode(a)
    expect(() => graph.addNode(a)).toThrow(/node 'a' already exists in the graph/)
    expect(() => graph.addNode(a)).toThrow(GraphflowError)
    expect(() => graph.addNode(async function* () {})).toThrow(/anonymous function needs a name/)
    expect(() => graph.addNode(function notAsync() {} as never)).toThrow(
      /node 'notAsync' isn't an async generator function/,
    )
    expect(() => graph.addEdge('a', 'missing')).toThrow(
      /destination node 'missing' is not in the graph/,
    )
    expect(() => graph.addEdge('nope', 'a')).toThrow(/source node 'nope' is not in the graph/)
    expect(() => graph.addNode(b, { maxTasks: 0 })).toThrow(
      /"maxTasks": expected an integer >= 1, got 0/,
    )
    expect(() => graph.addNode(b, { queueSize: -2 })).toThrow(/"queueSize"/)
    expect(() => graph.addNode(b, { unpackInput: 'yes' as never })).toThrow(
      /"unpackInput": expected a boolean/,
    )
    expect(() => graph.addNode(b, { queue: {} as never })).toThrow(
      /"queue": expected an AsyncQueue/,
    )
  })

  it('accepts a function that is not an async generator with checkAsyncGen: false', () => {
    const graph = new AsyncGraph()
    const wrapped = (item: number) =>
      (async function* () {
        yield item
      })()
    expect(graph.addNode(wrapped, { name: 'wrapped', checkAsyncGen: false }).name).toBe('wrapped')
  })

  it('rejects an edge that closes a cycle, names the path, and does not add it', () => {
    const graph = new AsyncGraph()
    for (const name of ['x', 'y', 'z']) graph.addNode(b, { name })
    graph.addEdge('x', 'y').addEdge('y', 'z')
    expect(() => graph.addEdge('z', 'x')).toThrow(InvalidAsyncGraphError)
    expect(() => graph.addEdge('z', 'x')).toThrow(/cycle: z -> x -> y -> z/)
    expect(() => graph.addEdge('x', 'x')).toThrow(/cycle: x -> x/)
    expect(graph.edges).toEqual([
      ['x', 'y'],
      ['y', 'z'],
    ])
  })

  it('adds a NodeSpec with its defaults, overridden by options', () => {
    const graph = new AsyncGraph()
    const spec = defineNode({
      name: 'spec-node',
      fn: async function* specNode(_value: number) {},
      open: () => {},
      options: { maxTasks: 4, queueSize: 7 },
    })
    const ref = graph.addNode(spec, { queueSize: 9 })
    expect(ref.name).toBe('spec-node')
    expect(graph.getNode('spec-node')).toMatchObject({ maxTasks: 4, queueSize: 9 })
    expect(graph.getNode('spec-node')?.open).toBeTypeOf('function')
    expect(graph.addNode(spec, { name: 'second' }).name).toBe('second')
  })

  it('detects functions that declare no parameters, defaulted and rest ones excluded', () => {
    const graph = new AsyncGraph()
    graph.addNode(async function* none() {})
    graph.addNode(async function* defaulted(_value = 1) {})
    graph.addNode(async function* rest(..._values: unknown[]) {})
    expect(graph.nodes.map((node) => node.takesNoParameters)).toEqual([true, false, false])
  })

  it('draws itself as a mermaid flowchart', () => {
    const graph = new AsyncGraph()
    graph.addNode(a)
    graph.addNode(b, { name: 'say "hi"', maxTasks: 4 })
    graph.addEdge('a', 'say "hi"')
    expect(graph.toMermaid()).toBe(
      ['flowchart LR', '  n0["a"]', '  n1["say #quot;hi#quot; ×4"]', '  n0 --> n1'].join('\n'),
    )
  })

  it('accepts a custom queue instance or factory', () => {
    const graph = new AsyncGraph()
    const queue = new AsyncQueue<number>(3)
    graph.addNode(b, { queue })
    graph.addNode(c, { queue: () => new AsyncQueue<number>() })
    expect(graph.getNode('b')?.queue).toBe(queue)
  })
})
