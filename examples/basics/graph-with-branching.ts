// Port of async-graph-data-flow `examples/graph_with_branching.py`.
// Shows a branching graph: transform feeds both load and print_data, load feeds end_task (a
// node declared with no parameters, called with none whatever it receives), and `maxTasks: 2`
// on the downstream nodes. Timings are scaled down from seconds to tens of milliseconds.
import { setTimeout } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph, type ExecutionReport } from '@graphflow/core'

export interface BranchingResult {
  nodesToEdges: Record<string, string[]>
  transformed: string[]
  loaded: string[]
  printed: string[]
  endTasks: number
  report: ExecutionReport
}

/** Runs the example; `print` receives what the original prints. */
export async function main(print: (line: string) => void = console.log): Promise<BranchingResult> {
  const transformed: string[] = []
  const loaded: string[] = []
  const printed: string[] = []
  let endTasks = 0

  async function* extract() {
    yield 'hello'
    await setTimeout(50)
    yield 'world'
  }

  async function* transform(data: string) {
    print(`Transforming data: ${data}`)
    transformed.push(data)
    const newMessage = data.charAt(0).toUpperCase() + data.slice(1)
    await setTimeout(30)
    yield newMessage
  }

  async function* load(data: string) {
    await setTimeout(50)
    print(`Loading data ${data}`)
    loaded.push(data)
    yield
  }

  async function* print_data(data: string) {
    print(`Printing data: ${data}`)
    printed.push(data)
    yield
  }

  async function* end_task() {
    print('Ending Tasks')
    endTasks++
    yield
  }

  const graph = new AsyncGraph()
  graph.addNode(extract, { name: 'extract', maxTasks: 1 })
  graph.addNode(transform, { maxTasks: 2 })
  graph.addNode(load, { maxTasks: 2 })
  graph.addNode(print_data, { maxTasks: 2 })
  graph.addNode(end_task, { maxTasks: 2 })
  graph.addEdge('extract', 'transform')
  graph.addEdge('transform', 'load')
  graph.addEdge('transform', 'print_data')
  graph.addEdge('load', 'end_task')

  print(`Graph: ${JSON.stringify(graph.nodesToEdges)}`)
  const report = await new AsyncExecutor(graph, { logger: { info: print, error: print } }).execute()
  return { nodesToEdges: graph.nodesToEdges, transformed, loaded, printed, endTasks, report }
}

// Output:
// -------
// Graph: {"extract":["transform"],"transform":["load","print_data"],"load":["end_task"],...}
// Transforming data: hello
// Printing data: Hello
// Transforming data: world
// Loading data Hello
// Printing data: World
// Ending Tasks
// Loading data World
// Ending Tasks

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
