// Port of async-graph-data-flow `examples/graph_with_no_edges.py` (docs: "Graph with Nodes only
// and No Edges").
// Shows a graph of nodes without edges: every node is a start node, so all of them run at once
// (the run takes about as long as one node), and `executor.startNodes` lists them.
import { setTimeout } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph, type ExecutionReport } from '@graphflow/core'

export interface NoEdgesResult {
  nodesToEdges: Record<string, string[]>
  ran: string[]
  /** The most nodes that were running at the same time. */
  peakConcurrency: number
  startNodes: Record<string, unknown[]>
  seconds: number
  report: ExecutionReport
}

/** Runs the example; `print` receives what the original prints. */
export async function main(print: (line: string) => void = console.log): Promise<NoEdgesResult> {
  const ran: string[] = []
  let running = 0
  let peakConcurrency = 0
  const work = async (name: string) => {
    print(`from ${name}`)
    ran.push(name)
    running++
    peakConcurrency = Math.max(peakConcurrency, running)
    await setTimeout(100)
    running--
  }

  async function* node1() {
    await work('node1')
    yield
  }

  async function* node2() {
    await work('node2')
    yield
  }

  async function* node3() {
    await work('node3')
    yield
  }

  const graph = new AsyncGraph()
  graph.addNode(node1)
  graph.addNode(node2)
  graph.addNode(node3)
  // Nodes are added, but there are no edges.

  print(`Graph: ${JSON.stringify(graph.nodesToEdges)}`)
  const executor = new AsyncExecutor(graph, { logger: { info: print, error: print } })

  const t1 = performance.now()
  const report = await executor.execute()
  const t2 = performance.now()
  const seconds = (t2 - t1) / 1000
  print(`execution time: ${seconds}`)
  print(`start nodes: ${JSON.stringify(executor.startNodes)}`)
  return {
    nodesToEdges: graph.nodesToEdges,
    ran,
    peakConcurrency,
    startNodes: executor.startNodes,
    seconds,
    report,
  }
}

// Output:
// -------
// Graph: {"node1":[],"node2":[],"node3":[]}
// from node1
// from node2
// from node3
// execution time: 0.10...
// start nodes: {"node1":[],"node2":[],"node3":[]}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
