import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
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
    // Guards: a key that is neither a name, a ref nor a function was described by its type only.
    expect(() => graph.addEdge(42 as never, 'a')).toThrow(/source node '42' is not in the graph/)
    expect(() => graph.addNode({ name: 'x', fn: 'nope' } as never)).toThrow(
      /node 'x' isn't an async generator function: expected an async generator function or a NodeSpec, got an object/,
    )
    expect(() => graph.addNode(b, { maxTasks: 0 })).toThrow(
      /"maxTasks": expected an integer >= 1, got 0/,
    )
    expect(() => graph.addNode(b, { queueSize: -2 })).toThrow(/"queueSize"/)
    // Guards: node options were checked apart from optionChecks, naming only the type given.
    expect(() => graph.addNode(b, { unpackInput: 'yes' as never })).toThrow(
      'addNode option "unpackInput": expected a boolean, got "yes"',
    )
    expect(() => graph.addNode(b, { queue: {} as never })).toThrow(
      'addNode option "queue": expected an AsyncQueue or a function returning one, got an object',
    )
    expect(() => graph.addNode(b, { name: '' })).toThrow(
      'addNode option "name": expected a non-empty string, got ""',
    )
    // Guards: queueSize next to a custom queue was silently ignored (24 batches in a bound of 2).
    expect(() =>
      graph.addNode(b, { queue: () => new AsyncQueue<number>(4), queueSize: 2 }),
    ).toThrow(/"queue" and "queueSize": queueSize bounds the default queue only/)
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

  // Guards: a node named '__proto__' was missing from nodesToEdges (set on a plain object).
  it('lists a node named __proto__ in nodesToEdges', () => {
    const graph = new AsyncGraph()
    graph.addNode(async function* odd() {}, { name: '__proto__' })
    expect(Object.keys(graph.nodesToEdges)).toEqual(['__proto__'])
  })
})

describe('AsyncGraph: compiler messages', () => {
  const root = fileURLToPath(new URL('..', import.meta.url))

  /** The first line of each compiler diagnostic for `source`, compiled against the package. */
  function firstLines(source: string): string[] {
    const file = path.join(root, 'src', '__compiler-message-check.ts')
    const config = ts.getParsedCommandLineOfConfigFile(
      path.join(root, 'tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
    )
    if (!config) throw new Error('tsconfig.json not readable')
    const host = ts.createCompilerHost(config.options)
    const read = host.getSourceFile.bind(host)
    host.getSourceFile = (name, language, ...rest) =>
      path.resolve(name) === file
        ? ts.createSourceFile(name, source, language)
        : read(name, language, ...rest)
    const fileExists = host.fileExists.bind(host)
    host.fileExists = (name) => path.resolve(name) === file || fileExists(name)
    const program = ts.createProgram([file], { ...config.options, noEmit: true }, host)
    return ts
      .getPreEmitDiagnostics(program, program.getSourceFile(file))
      .map(
        (diagnostic) =>
          ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n').split('\n')[0] ?? '',
      )
  }

  // Guards: a wrong edge printed ten lines of overloads with the sentence on line 4.
  it('explains a wrong edge and a wrong option on the first line', () => {
    const lines = firstLines(`
      import { AsyncGraph } from './index.js'
      interface Order { id: number }
      const graph = new AsyncGraph()
      const orders = graph.addNode(async function* orders() { yield { id: 1 } as Order })
      const print = graph.addNode(async function* print(text: string) { console.log(text) })
      graph.addEdge(orders, print)
      graph.addNode(async function* save(order: Order) { console.log(order.id) }, { maxTasks: '4' })
    `)
    expect(lines).toEqual([
      `The 'this' context of type 'AsyncGraph<unknown>' is not assignable to method's 'this' of type 'EdgeTypeMismatch<Order, [text: string]>'.`,
      `Type 'string' is not assignable to type 'number'.`,
    ])
  }, 60_000)
})

describe('AsyncGraph: refs of another graph', () => {
  // Guards: a ref from another graph was matched by name and wired the wrong node silently.
  it('refuses a ref made by another graph, naming it', () => {
    const graph = new AsyncGraph()
    const other = new AsyncGraph()
    const source = graph.addNode(async function* source() {
      yield 1
    })
    graph.addNode(async function* sink(_value: number) {})
    const foreign = other.addNode(async function* sink(_value: number) {})
    expect(() => graph.addEdge(source, foreign)).toThrow(
      expect.objectContaining({
        code: 'FOREIGN_NODE_REF',
        message: expect.stringMatching(/destination node ref 'sink' was made by another graph/),
      }),
    )
    expect(graph.edges).toEqual([])
  })
})
