// Port of async-graph-data-flow `examples/basic_example_with_three_nodes.py`.
// Shows the basics: three async generator functions wired extract -> transform -> load, node
// options (`name`, `maxTasks`, `queueSize`) and `graph.nodesToEdges`.
import { setTimeout } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph, type ExecutionReport } from '@graphflow/core'

export interface BasicExampleResult {
  nodesToEdges: Record<string, string[]>
  transformerReceived: string[]
  loaded: string[]
  report: ExecutionReport
}

/** Runs the example; `print` receives what the original prints. */
export async function main(
  print: (line: string) => void = console.log,
): Promise<BasicExampleResult> {
  const transformerReceived: string[] = []
  const loaded: string[] = []

  async function* extract() {
    yield 'hello'
    yield 'world'
  }

  async function* transform(data: string) {
    print(`Transformer received: ${data}`)
    transformerReceived.push(data)
    await setTimeout(30)
    yield data.charAt(0).toUpperCase() + data.slice(1)
  }

  async function* load(data: string) {
    print(`Data in Load: ${data}`)
    loaded.push(data)
    yield
  }

  const graph = new AsyncGraph()
  graph.addNode(extract, { name: 'extract', maxTasks: 1, queueSize: 1_000 })
  graph.addNode(transform)
  graph.addNode(load)
  graph.addEdge('extract', 'transform')
  graph.addEdge('transform', 'load')

  print(`Graph: ${JSON.stringify(graph.nodesToEdges)}`)
  const report = await new AsyncExecutor(graph, { logger: { info: print, error: print } }).execute()
  return { nodesToEdges: graph.nodesToEdges, transformerReceived, loaded, report }
}

// Output:
// -------
// Graph: {"extract":["transform"],"transform":["load"],"load":[]}
// Transformer received: hello
// Transformer received: world
// Data in Load: Hello
// Data in Load: World

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
