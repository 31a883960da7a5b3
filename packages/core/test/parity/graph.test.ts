// Parity port of async-graph-data-flow v1.6 `tests/test_graph.py`: one `it` per original test,
// named after it. Python `ValueError` for an unknown node is our `GraphflowError` with code
// UNKNOWN_NODE; `InvalidAsyncGraphError` stays. The later `block_until_after` / `blocker` /
// `done` fields of `graph.nodes` are not in our spec and are not checked.
import { describe, expect, it } from 'vitest'
import {
  AsyncGraph,
  GraphflowError,
  InvalidAsyncGraphError,
  type NodeFunction,
} from '../../src/index.js'

function asyncGraphWithNodesMock(): AsyncGraph {
  async function* extract_node(_message: string) {
    yield 'hello'
  }
  async function* transform_node(_message: string) {
    yield 'hello'
  }
  async function* load_node(_message: string) {
    yield 'hello'
  }
  const graph = new AsyncGraph()
  graph.addNode(extract_node)
  graph.addNode(transform_node)
  graph.addNode(load_node)
  return graph
}

function asyncGraphWithoutNodesMock(): AsyncGraph {
  return new AsyncGraph()
}

/** The counterpart of Python's `inspect.isasyncgenfunction`. */
function isAsyncGenFunction(fn: unknown): boolean {
  return (
    typeof fn === 'function' &&
    Object.getPrototypeOf(fn)?.constructor?.name === 'AsyncGeneratorFunction'
  )
}

describe('TestAsyncGraphAddNode', () => {
  it('test_add_node_with_invalid_node_args (addNodeWithInvalidNodeArgs)', () => {
    const graph = asyncGraphWithoutNodesMock()
    expect(graph.nodes).toHaveLength(0)

    let thrown: unknown
    try {
      graph.addNode(null as unknown as NodeFunction, { name: 'none_node' })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(TypeError)
    expect((thrown as Error).message).toMatch(/^node 'none_node' isn't an async generator function/)
  })

  it('test_add_node_disable_async_gen_func_check (addNodeDisableAsyncGenFuncCheck)', () => {
    let someFunc: NodeFunction<[], string> = async function* someFunc() {
      yield 'foo'
    }

    // A decorator whose wrapper is a plain function returning the async generator object.
    function someDecorator(fn: NodeFunction<[], string>): NodeFunction<[], string> {
      const innerFunc = (...input: []) => fn(...input)
      Object.defineProperty(innerFunc, 'name', { value: fn.name })
      return innerFunc
    }

    expect(isAsyncGenFunction(someFunc)).toBe(true)
    new AsyncGraph().addNode(someFunc) // Should raise no error, compare with below

    someFunc = someDecorator(someFunc)

    expect(isAsyncGenFunction(someFunc)).toBe(false)
    expect(() => new AsyncGraph().addNode(someFunc)).toThrow(TypeError)
    expect(() => new AsyncGraph().addNode(someFunc)).toThrow(
      /^node 'someFunc' isn't an async generator function$/,
    )
    new AsyncGraph().addNode(someFunc, { checkAsyncGen: false })
  })

  it('test_add_node_with_valid_node_args (addNodeWithValidNodeArgs)', () => {
    const graph = asyncGraphWithoutNodesMock()
    expect(graph.nodes).toHaveLength(0)

    async function* extract_node(_message: string) {
      yield 'hello'
    }

    graph.addNode(extract_node)
    expect(graph.nodes).toHaveLength(1)
    expect(graph.getNode('extract_node')?.name).toBe('extract_node')
    expect(graph.getNode('extract_node')?.fn).toBe(extract_node)
  })

  it('test_nodes (nodes)', () => {
    const graph = asyncGraphWithNodesMock()
    const node = (name: string) => ({
      fn: expect.any(Function),
      haltOnException: false,
      maxTasks: 1,
      name,
      queue: undefined,
      queueSize: 10_000,
      unpackInput: true,
      checkAsyncGen: true,
      open: undefined,
      close: undefined,
      takesNoParameters: false,
      commits: false,
      checkpoints: false,
      idleMs: 100,
    })
    expect(graph.nodes).toEqual([node('extract_node'), node('transform_node'), node('load_node')])
  })
})

describe('TestAsyncGraphAddEdge', () => {
  it('test_add_edge_with_invalid_src_edge_args (addEdgeWithInvalidSrcEdgeArgs)', () => {
    const graph = asyncGraphWithNodesMock()
    expect(graph.edges).toHaveLength(0)

    let thrown: unknown
    try {
      graph.addEdge('invalid_src_node', 'transform_node')
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(GraphflowError)
    expect((thrown as GraphflowError).code).toBe('UNKNOWN_NODE')
    expect((thrown as Error).message).toContain("'invalid_src_node'")
    expect((thrown as Error).message).toContain('not in the graph')
  })

  it('test_add_edge_with_invalid_dst_edge_args (addEdgeWithInvalidDstEdgeArgs)', () => {
    const graph = asyncGraphWithNodesMock()
    expect(graph.edges).toHaveLength(0)

    let thrown: unknown
    try {
      graph.addEdge('extract_node', 'invalid_dst_node')
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(GraphflowError)
    expect((thrown as GraphflowError).code).toBe('UNKNOWN_NODE')
    expect((thrown as Error).message).toContain("'invalid_dst_node'")
    expect((thrown as Error).message).toContain('not in the graph')
  })

  it('test_add_edge_with_valid_edge_args (addEdgeWithValidEdgeArgs)', () => {
    const graph = asyncGraphWithNodesMock()
    expect(graph.edges).toHaveLength(0)

    graph.addEdge('extract_node', 'transform_node')
    expect(graph.edges).toHaveLength(1)
    expect(graph.edges).toEqual([['extract_node', 'transform_node']])
  })

  it('test_add_edge_graph_acyclic (addEdgeGraphAcyclic)', () => {
    const graph = asyncGraphWithNodesMock()

    let thrown: unknown
    try {
      graph.addEdge('extract_node', 'transform_node')
      graph.addEdge('transform_node', 'load_node')
      graph.addEdge('load_node', 'extract_node')
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(InvalidAsyncGraphError)
    // Our message says more than "Graph has a cycle": it lists the cycle's path.
    expect((thrown as Error).message).toContain('cycle')
    expect((thrown as Error).message).toContain(
      'load_node -> extract_node -> transform_node -> load_node',
    )
    // The edge that would close the cycle is not added.
    expect(graph.edges).toEqual([
      ['extract_node', 'transform_node'],
      ['transform_node', 'load_node'],
    ])
  })
})
