// Port of async-graph-data-flow `examples/custom_start_nodes.py` (docs: "Customizable Start
// Nodes").
// Shows starting a run from a node that has an incoming edge: `startNodes: { node2: ['new_data'] }`
// skips node1 entirely. Data-flow logging (`turnOnDataFlowLogging()`) writes the per-node
// counts when the run ends.
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph, type ExecutionReport } from '@graphflow/core'

export interface CustomStartNodesResult {
  transformerReceived: string[]
  loaded: string[]
  /** What data-flow logging wrote through `logger.info`. */
  logLines: string[]
  report: ExecutionReport
}

/** Runs the example; `print` receives what the original prints and logs. */
export async function main(
  print: (line: string) => void = console.log,
): Promise<CustomStartNodesResult> {
  const transformerReceived: string[] = []
  const loaded: string[] = []
  const logLines: string[] = []
  const logger = {
    info: (line: string) => {
      logLines.push(line)
      print(`INFO:graphflow:${line}`)
    },
    error: (line: string) => print(`ERROR:graphflow:${line}`),
  }

  async function* node1() {
    yield 'hello'
    yield 'world'
  }

  async function* node2(data: string) {
    print(`Transformer received: ${data}`)
    transformerReceived.push(data)
    yield 'data1'
    yield 'data2'
  }

  async function* node3(data: string) {
    print(`Data in Load: ${data}`)
    loaded.push(data)
    yield
  }

  const graph = new AsyncGraph()
  graph.addNode(node1)
  graph.addNode(node2)
  graph.addNode(node3)
  graph.addEdge('node1', 'node2')
  graph.addEdge('node2', 'node3')

  print(`Graph: ${JSON.stringify(graph.nodesToEdges)}`)
  const executor = new AsyncExecutor(graph, { logger })
  executor.turnOnDataFlowLogging()
  const report = await executor.execute({ startNodes: { node2: ['new_data'] } })
  return { transformerReceived, loaded, logLines, report }
}

// Output:
// -------
// Graph: {"node1":["node2"],"node2":["node3"],"node3":[]}
// Transformer received: new_data
// Data in Load: data1
// Data in Load: data2
// INFO:graphflow: node1 - in=0, out=0, err=0
// INFO:graphflow: node2 - in=0, out=2, err=0
// INFO:graphflow: node3 - in=2, out=2, err=0

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
