// Port of async-graph-data-flow `examples/custom_start_node_args.py` (docs: "Customizable Start
// Nodes").
// Shows `execute({ startNodes })` giving start nodes their arguments: `node1('foo')` and
// `node2('bar')`, both feeding node3.
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph, type ExecutionReport } from '@graphflow/core'

export interface CustomStartNodeArgsResult {
  nodesToEdges: Record<string, string[]>
  node3Received: string[]
  startNodes: Record<string, unknown[]>
  report: ExecutionReport
}

/** Runs the example; `print` receives what the original prints. */
export async function main(
  print: (line: string) => void = console.log,
): Promise<CustomStartNodeArgsResult> {
  const node3Received: string[] = []

  async function* node1(data: string) {
    print(`node1 received: ${data}`)
    yield data
    yield 'hello'
    yield 'world'
  }

  async function* node2(data: string) {
    print(`node2 received: ${data}`)
    yield data
    yield 'data1'
    yield 'data2'
  }

  async function* node3(data: string) {
    print(`node3 received: ${data}`)
    node3Received.push(data)
    yield
  }

  const graph = new AsyncGraph()
  graph.addNode(node1)
  graph.addNode(node2)
  graph.addNode(node3)
  graph.addEdge('node1', 'node3')
  graph.addEdge('node2', 'node3')

  print(`Graph: ${JSON.stringify(graph.nodesToEdges)}`)

  const executor = new AsyncExecutor(graph, { logger: { info: print, error: print } })
  const report = await executor.execute({ startNodes: { node1: ['foo'], node2: ['bar'] } })
  return {
    nodesToEdges: graph.nodesToEdges,
    node3Received,
    startNodes: executor.startNodes,
    report,
  }
}

// Output:
// -------
// Graph: {"node1":["node3"],"node2":["node3"],"node3":[]}
// node1 received: foo
// node2 received: bar
// node3 received: foo
// ... (node1's and node2's items may interleave)
// node3 received: data2

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
