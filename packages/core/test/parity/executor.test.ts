// Parity port of async-graph-data-flow v1.6 `tests/test_executor.py` (plus the later
// regression tests for issue #15, the diamond DAGs): one `it` per original test, named after it.
// What JavaScript forces: a tuple is `args(a, b)`, a dict is one plain-object argument that the
// destination destructures, `asyncio.sleep(s)` is `setTimeout(ms)` scaled down, and a call with
// too few arguments is not an error in JavaScript, so the "not enough values" destinations check
// their arguments themselves. Python's `ValueError` for an unknown start node is our
// `GraphflowError` with code UNKNOWN_NODE. Assertions made inside a node are also checked from
// outside (a failed one is a node error, counted in `err`).
import { setImmediate, setTimeout } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { AsyncExecutor, AsyncGraph, args, GraphflowError, type Logger } from '../../src/index.js'

function quietLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  return { lines, info: (line) => lines.push(line), error: (line) => lines.push(line) }
}

/** `loop.run_in_executor(None, time.sleep, seconds)`: a blocking sleep on another thread. */
function blockingSleepInWorker(ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(
      'const { workerData } = require("node:worker_threads");' +
        'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData)',
      { eval: true, workerData: ms },
    )
    worker.once('error', reject)
    worker.once('exit', () => resolve())
  })
}

const title = (text: string) => text.charAt(0).toUpperCase() + text.slice(1).toLowerCase()

class ValueError extends Error {
  override name = 'ValueError'
}

describe('TestAsyncExecutorInit', () => {
  it('test_init_invalid_graph_instance (initInvalidGraphInstance)', () => {
    expect(() => new AsyncExecutor(null as unknown as AsyncGraph)).toThrow(TypeError)
    expect(() => new AsyncExecutor(null as unknown as AsyncGraph)).toThrow(/AsyncGraph instance/)
  })

  it('test_init_with_non_graph_async_node (initWithNonGraphAsyncNode)', () => {
    async function* async_node() {
      yield 'hello'
    }
    function* non_async_node() {
      yield 'hello'
    }

    const graph = new AsyncGraph()
    graph.addNode(async_node)

    expect(() => graph.addNode(non_async_node as never)).toThrow(TypeError)
    expect(() => graph.addNode(non_async_node as never)).toThrow(
      "isn't an async generator function",
    )
  })

  it('test_init_with_valid_graph_async_node (initWithValidGraphAsyncNode)', () => {
    async function* async_node1() {
      yield 'hello'
    }
    async function* async_node2() {
      yield 'hello'
    }

    const graph = new AsyncGraph()
    graph.addNode(async_node1)
    graph.addNode(async_node2)

    const executor = new AsyncExecutor(graph)
    expect(executor.graph).toBe(graph)
  })
})

it('test_async_executor_linear (asyncExecutorLinear)', async () => {
  async function* extract() {
    yield 'hello'
    yield 'world'
  }
  async function* transform(data: string) {
    yield title(data)
  }
  async function* load() {
    yield
  }

  const graph = new AsyncGraph()
  graph.addNode(extract)
  graph.addNode(transform)
  graph.addNode(load)
  graph.addEdge('extract', 'transform')
  graph.addEdge('transform', 'load')

  const executor = new AsyncExecutor(graph, { logger: quietLogger() })
  await executor.execute()

  expect(executor.dataFlowStats?.extract).toEqual({ in: 0, out: 2, err: 0 })
  expect(executor.dataFlowStats?.transform).toEqual({ in: 2, out: 2, err: 0 })
  expect(executor.dataFlowStats?.load).toEqual({ in: 2, out: 2, err: 0 })
})

function linearGraphWithErrors(haltOnException: boolean): AsyncGraph {
  async function* extract() {
    yield 'data1'
    yield 'data2'
    yield 'data3'
    yield 'data4'
    yield 'data5'
  }
  async function* transform(data: string) {
    yield title(data)
  }
  async function* load(data: string) {
    if (['Data3', 'Data5'].includes(data)) {
      // The seed's asyncio.sleep(0) yields to the loop once: setImmediate does the same, after
      // the wake-up already queued for 'output'. A setTimeout(0) raced it on a loaded machine
      // (output out=0 when the 1 ms timer came due before the check phase).
      await setImmediate()
      throw new Error(`intentional error for ${data}`)
    }
    yield data
  }
  async function* output() {
    yield
  }

  const graph = new AsyncGraph()
  graph.addNode(extract)
  graph.addNode(transform)
  graph.addNode(load, { haltOnException })
  graph.addNode(output)
  graph.addEdge('extract', 'transform')
  graph.addEdge('transform', 'load')
  graph.addEdge('load', 'output')
  return graph
}

it('test_async_executor_linear_with_exception_with_halt (asyncExecutorLinearWithExceptionWithHalt)', async () => {
  const executor = new AsyncExecutor(linearGraphWithErrors(true), { logger: quietLogger() })
  await executor.execute()

  expect(executor.dataFlowStats?.extract).toEqual({ in: 0, out: 5, err: 0 })
  expect(executor.dataFlowStats?.transform).toEqual({ in: 5, out: 5, err: 0 })
  expect(executor.dataFlowStats?.load).toEqual({ in: 5, out: 2, err: 1 })
  expect(executor.dataFlowStats?.output).toEqual({ in: 2, out: 2, err: 0 })
})

it('test_async_executor_linear_with_exception_without_halt (asyncExecutorLinearWithExceptionWithoutHalt)', async () => {
  const executor = new AsyncExecutor(linearGraphWithErrors(false), { logger: quietLogger() })
  await executor.execute()

  expect(executor.dataFlowStats?.extract).toEqual({ in: 0, out: 5, err: 0 })
  expect(executor.dataFlowStats?.transform).toEqual({ in: 5, out: 5, err: 0 })
  expect(executor.dataFlowStats?.load).toEqual({ in: 5, out: 3, err: 2 })
  expect(executor.dataFlowStats?.output).toEqual({ in: 3, out: 3, err: 0 })
})

it('test_async_executor_nonlinear_with_external_sync_call (asyncExecutorNonlinearWithExternalSyncCall)', async () => {
  async function* extract() {
    yield 'hello'
    yield 'world'
  }
  async function* transform(data: string) {
    await setTimeout(20)
    yield title(data)
  }
  async function* load1(data: string) {
    for (let i = 0; i < 3; i++) {
      await setTimeout(10)
      yield `load1.${data} ${i}`
    }
  }
  async function* load2(data: string) {
    for (let i = 0; i < 3; i++) {
      await blockingSleepInWorker(10)
      yield `load2.${data} ${i}`
    }
  }
  async function* output() {
    yield
  }

  const graph = new AsyncGraph({ haltOnException: true })
  graph.addNode(extract)
  graph.addNode(transform)
  graph.addNode(load1)
  graph.addNode(load2)
  graph.addNode(output)
  graph.addEdge('extract', 'transform')
  graph.addEdge('transform', 'load1')
  graph.addEdge('transform', 'load2')
  graph.addEdge('load1', 'output')
  graph.addEdge('load2', 'output')

  const executor = new AsyncExecutor(graph, { logger: quietLogger() })
  await executor.execute()

  expect(executor.dataFlowStats?.extract).toEqual({ in: 0, out: 2, err: 0 })
  expect(executor.dataFlowStats?.transform).toEqual({ in: 2, out: 2, err: 0 })
  expect(executor.dataFlowStats?.load1).toEqual({ in: 2, out: 6, err: 0 })
  expect(executor.dataFlowStats?.load2).toEqual({ in: 2, out: 6, err: 0 })
  expect(executor.dataFlowStats?.output).toEqual({ in: 12, out: 12, err: 0 })
})

it('test_async_executor_with_different_start_node (asyncExecutorWithDifferentStartNode)', async () => {
  const printed: string[] = []
  async function* node1() {
    yield 'hello'
    yield 'world'
  }
  async function* node2(data?: unknown) {
    printed.push(`Transformer received: ${String(data)}`)
    yield 'data1'
    yield 'data2'
  }
  async function* node3(data: string) {
    printed.push(`Data in Load: ${data}`)
    yield
  }

  const graph = new AsyncGraph()
  graph.addNode(node1)
  graph.addNode(node2, { unpackInput: false })
  graph.addNode(node3)
  graph.addEdge('node1', 'node2')
  graph.addEdge('node2', 'node3')

  const executor = new AsyncExecutor(graph, { logger: quietLogger() })
  await executor.execute({ startNodes: { node2: [] } })

  expect(executor.dataFlowStats?.node1).toEqual({ in: 0, out: 0, err: 0 })
  expect(executor.dataFlowStats?.node2).toEqual({ in: 0, out: 2, err: 0 })
  expect(executor.dataFlowStats?.node3).toEqual({ in: 2, out: 2, err: 0 })
})

it('test_async_executor_with_unknown_start_node (asyncExecutorWithUnknownStartNode)', async () => {
  async function* node1() {
    yield 'hello'
    yield 'world'
  }
  async function* node2(_data: string) {
    yield 'data1'
    yield 'data2'
  }

  const graph = new AsyncGraph()
  graph.addNode(node1)
  graph.addNode(node2)
  graph.addEdge('node1', 'node2')

  const executor = new AsyncExecutor(graph, { logger: quietLogger() })
  const error = await executor.execute({ startNodes: { node3: [] } }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(GraphflowError)
  expect((error as GraphflowError).code).toBe('UNKNOWN_NODE')
  expect((error as Error).message).toContain("'node3'")
})

describe('yielding a dict (a plain object: one argument, destructured)', () => {
  it('test_yielding_a_dict_to_unpack (yieldingADictToUnpack)', async () => {
    const received: [number, number][] = []
    async function* node1() {
      yield { foo: 1, bar: 2 }
      yield { foo: 3, bar: 4 }
    }
    // Ordering of `bar` then `foo` is intentional
    async function* node2({ bar, foo }: { bar: number; foo: number }) {
      expect([1, 3]).toContain(foo)
      expect([2, 4]).toContain(bar)
      received.push([bar, foo])
      yield
    }

    const graph = new AsyncGraph()
    graph.addNode(node1)
    graph.addNode(node2)
    graph.addEdge('node1', 'node2')

    const executor = new AsyncExecutor(graph, { logger: quietLogger() })
    const report = await executor.execute()

    expect(report.exceptions.node2).toEqual([])
    expect(received).toEqual([
      [2, 1],
      [4, 3],
    ])
  })

  it('test_yielding_a_dict_no_packing (yieldingADictNoPacking)', async () => {
    const received: unknown[] = []
    async function* node1() {
      yield { foo: 1, bar: 2 }
      yield { foo: 3, bar: 4 }
    }
    async function* node2(bar: { foo: number; bar: number }, foo: unknown = null) {
      expect([
        { foo: 1, bar: 2 },
        { foo: 3, bar: 4 },
      ]).toContainEqual(bar)
      expect(foo).toBeNull()
      received.push(bar)
      yield
    }

    const graph = new AsyncGraph()
    graph.addNode(node1)
    graph.addNode(node2, { unpackInput: false })
    graph.addEdge('node1', 'node2')

    const executor = new AsyncExecutor(graph, { logger: quietLogger() })
    const report = await executor.execute()

    expect(report.exceptions.node2).toEqual([])
    expect(received).toEqual([
      { foo: 1, bar: 2 },
      { foo: 3, bar: 4 },
    ])
  })

  it('test_yielding_a_dict_but_not_enough_values (yieldingADictButNotEnoughValues)', async () => {
    async function* node1() {
      yield { foo: 1, bar: 2 }
      yield { foo: 3, bar: 4 }
    }
    async function* node2({ bar, foo, baz }: { bar: number; foo: number; baz?: number }) {
      // Python raises TypeError for the missing keyword argument; JavaScript does not.
      if (baz === undefined) throw new TypeError("node2() missing 1 required argument: 'baz'")
      yield [bar, foo, baz]
    }

    const graph = new AsyncGraph({ haltOnException: true })
    graph.addNode(node1)
    graph.addNode(node2)
    graph.addEdge('node1', 'node2')

    const executor = new AsyncExecutor(graph, { logger: quietLogger() })
    await executor.execute()

    expect(executor.dataFlowStats?.node1).toEqual({ in: 0, out: 2, err: 0 })
    expect(executor.dataFlowStats?.node2).toEqual({ in: 2, out: 0, err: 1 })
  })
})

describe('yielding a tuple (args(...))', () => {
  it('test_yielding_a_tuple_to_unpack (yieldingATupleToUnpack)', async () => {
    const received: [number, number][] = []
    async function* node1() {
      yield args(1, 2)
      yield args(3, 4)
    }
    async function* node2(foo: number, bar: number) {
      expect([1, 3]).toContain(foo)
      expect([2, 4]).toContain(bar)
      received.push([foo, bar])
      yield
    }

    const graph = new AsyncGraph()
    graph.addNode(node1)
    graph.addNode(node2)
    graph.addEdge('node1', 'node2')

    const executor = new AsyncExecutor(graph, { logger: quietLogger() })
    const report = await executor.execute()

    expect(report.exceptions.node2).toEqual([])
    expect(received).toEqual([
      [1, 2],
      [3, 4],
    ])
  })

  it('test_yielding_a_tuple_no_packing (yieldingATupleNoPacking)', async () => {
    const received: unknown[] = []
    async function* node1() {
      yield args(1, 2)
      yield args(3, 4)
    }
    async function* node2(foo: [number, number], bar: unknown = null) {
      expect([
        [1, 2],
        [3, 4],
      ]).toContainEqual(foo)
      expect(bar).toBeNull()
      received.push(foo)
      yield
    }

    const graph = new AsyncGraph()
    graph.addNode(node1)
    graph.addNode(node2, { unpackInput: false })
    graph.addEdge('node1', 'node2')

    const executor = new AsyncExecutor(graph, { logger: quietLogger() })
    const report = await executor.execute()

    expect(report.exceptions.node2).toEqual([])
    expect(received).toEqual([
      [1, 2],
      [3, 4],
    ])
  })

  it('test_yielding_a_tuple_but_not_enough_values (yieldingATupleButNotEnoughValues)', async () => {
    async function* node1() {
      yield args(1, 2)
      yield args(3, 4)
    }
    async function* node2(foo: number, bar: number, baz?: number) {
      // Python raises TypeError for the missing positional argument; JavaScript does not.
      if (baz === undefined) throw new TypeError("node2() missing 1 required argument: 'baz'")
      yield [foo, bar, baz]
    }

    const graph = new AsyncGraph({ haltOnException: true })
    graph.addNode(node1)
    graph.addNode(node2)
    graph.addEdge('node1', 'node2')

    const executor = new AsyncExecutor(graph, { logger: quietLogger() })
    await executor.execute()

    expect(executor.dataFlowStats?.node1).toEqual({ in: 0, out: 2, err: 0 })
    expect(executor.dataFlowStats?.node2).toEqual({ in: 2, out: 0, err: 1 })
  })
})

it('test_exceptions (exceptions)', async () => {
  async function* node1() {
    yield 'hello'
    yield 'world'
  }
  // Like the original, it raises before yielding anything.
  async function* node2(data: string) {
    throw new ValueError(`bad data: ${data}`)
  }

  const graph = new AsyncGraph()
  graph.addNode(node1)
  graph.addNode(node2)
  graph.addEdge('node1', 'node2')

  const executor = new AsyncExecutor(graph, { logger: quietLogger() })
  expect(executor.exceptions).toBeNull()

  await executor.execute()
  const excs = executor.exceptions

  expect(excs?.node1).toEqual([])
  expect(excs?.node2).toHaveLength(2)

  const actualExcMsgs = excs?.node2?.map((error) => error.message)
  const expectedExcMsgs = ['bad data: hello', 'bad data: world']
  expect(actualExcMsgs).toEqual(expectedExcMsgs)
  expect(excs?.node2?.every((error) => error.constructor === ValueError)).toBe(true)

  expect(executor.dataFlowStats?.node1).toEqual({ in: 0, out: 2, err: 0 })
  expect(executor.dataFlowStats?.node2).toEqual({ in: 2, out: 0, err: 2 })
})

it('test_graph_with_no_edges (graphWithNoEdges)', async () => {
  async function* node1(_data: string) {
    yield
  }
  async function* node2(_data: string) {
    yield
  }

  const graph = new AsyncGraph()
  graph.addNode(node1)
  graph.addNode(node2)

  const executor = new AsyncExecutor(graph, { logger: quietLogger() })
  expect(executor.startNodes).toEqual({ node1: [], node2: [] })

  await executor.execute({ startNodes: { node1: ['foo'] } })
  expect(executor.startNodes).toEqual({ node1: ['foo'] })
})

function diamondNodes(sinkItems: number[]) {
  async function* src() {
    for (let i = 0; i < 4; i++) yield i
  }
  async function* branch_a(x: number) {
    yield x
  }
  async function* branch_b(x: number) {
    yield x + 100
  }
  async function* sink(x: number) {
    sinkItems.push(x)
    yield
  }
  return { src, branch_a, branch_b, sink }
}

it('test_diamond_dag_reverse_insertion_order (diamondDagReverseInsertionOrder)', async () => {
  // Regression test for issue #15: tail items must be processed even when
  // nodes are added in reverse topological order (sink before sources).
  const sinkItems: number[] = []
  const { src, branch_a, branch_b, sink } = diamondNodes(sinkItems)

  const graph = new AsyncGraph()
  graph.addNode(sink, { unpackInput: false })
  graph.addNode(branch_b, { unpackInput: false })
  graph.addNode(branch_a, { unpackInput: false })
  graph.addNode(src, { unpackInput: false })

  graph.addEdge(src, branch_a)
  graph.addEdge(src, branch_b)
  graph.addEdge(branch_a, sink)
  graph.addEdge(branch_b, sink)

  await new AsyncExecutor(graph, { logger: quietLogger() }).execute()

  expect(sinkItems.toSorted((a, b) => a - b)).toEqual([0, 1, 2, 3, 100, 101, 102, 103])
})

it('test_diamond_dag_forward_insertion_order (diamondDagForwardInsertionOrder)', async () => {
  // Symmetric sanity check: adding nodes in forward topological order still works.
  const sinkItems: number[] = []
  const { src, branch_a, branch_b, sink } = diamondNodes(sinkItems)

  const graph = new AsyncGraph()
  graph.addNode(src, { unpackInput: false })
  graph.addNode(branch_a, { unpackInput: false })
  graph.addNode(branch_b, { unpackInput: false })
  graph.addNode(sink, { unpackInput: false })

  graph.addEdge(src, branch_a)
  graph.addEdge(src, branch_b)
  graph.addEdge(branch_a, sink)
  graph.addEdge(branch_b, sink)

  await new AsyncExecutor(graph, { logger: quietLogger() }).execute()

  expect(sinkItems.toSorted((a, b) => a - b)).toEqual([0, 1, 2, 3, 100, 101, 102, 103])
})
