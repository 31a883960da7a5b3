// Port of async-graph-data-flow `examples/halt_on_exception_at_a_specific_node.py` (docs:
// "Halting Graph Execution upon Exceptions").
// Shows `haltOnException: true` on one node: the first error in `load` stops the whole run
// (sources stop, queued items are dropped) and `report.halted` / `report.haltedBy` say so.
// The error is logged and kept, not thrown. Timings are scaled down.
import { setTimeout } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph, type ExecutionReport } from '@graphflow/core'

export interface HaltResult {
  loaded: string[]
  outputs: string[]
  report: ExecutionReport
}

/** Runs the example; `print` receives what the original prints and logs. */
export async function main(print: (line: string) => void = console.log): Promise<HaltResult> {
  const loaded: string[] = []
  const outputs: string[] = []

  async function* extract() {
    yield 'hello'
    yield 'world'
    yield 'civis'
    yield 'analytics'
    yield 'done'
  }

  async function* transform(data: string) {
    await setTimeout(30)
    yield data.charAt(0).toUpperCase() + data.slice(1)
  }

  async function* load(data: string) {
    print(`Load: ${data}`)
    loaded.push(data)

    if (['World', 'Analytics'].includes(data)) {
      await setTimeout(0)
      throw new Error(`intentional error for ${data}`)
    }

    yield data
  }

  async function* output(data: string) {
    print(`output: ${data}`)
    outputs.push(data)
    yield
  }

  const graph = new AsyncGraph()
  graph.addNode(extract, { name: 'extract', maxTasks: 1 })
  graph.addNode(transform)
  graph.addNode(load, { haltOnException: true })
  graph.addNode(output)
  graph.addEdge('extract', 'transform')
  graph.addEdge('transform', 'load')
  graph.addEdge('load', 'output')

  print(`Graph: ${JSON.stringify(graph.nodesToEdges)}`)
  const report = await new AsyncExecutor(graph, { logger: { info: print, error: print } }).execute()
  return { loaded, outputs, report }
}

// Output:
// -------
// Graph: {"extract":["transform"],"transform":["load"],"load":["output"],"output":[]}
// Load: Hello
// output: Hello
// Load: World
// [graphflow] node 'load' raised: Error: intentional error for World
//     at load (.../halt-on-exception-at-a-specific-node.ts:...)
// [graphflow] run halted due to an exception in node 'load'

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
