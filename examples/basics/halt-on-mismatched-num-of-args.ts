// Port of async-graph-data-flow `examples/halt_on_mismatched_num_of_args.py`.
// Shows what happens when a source yields something its destination cannot take: transform
// yields `args(0, 1)` (the seed's tuple `0, 1`) once, so load is called with two arguments.
// That call fails, the error is logged and counted (`err`), and the run goes on: load still gets
// 0, 1, 2 and 3 (no `haltOnException` here, despite the file name).
// JavaScript does not reject extra arguments the way Python raises `TypeError`, so load checks
// its arguments itself. With typed refs, `graph.addEdge(transformRef, loadRef)` would reject
// this mismatch at compile time.
import { setTimeout } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph, args, type ExecutionReport } from '@graphflow/core'

export interface MismatchResult {
  transformerReceived: number[]
  loaded: number[]
  report: ExecutionReport
}

/** Runs the example; `print` receives what the original prints and logs. */
export async function main(print: (line: string) => void = console.log): Promise<MismatchResult> {
  const transformerReceived: number[] = []
  const loaded: number[] = []

  async function* extract() {
    for (let i = 0; i < 4; i++) yield i
  }

  async function* transform(data: number) {
    print(`Transformer received: ${data}`)
    transformerReceived.push(data)

    if (data === 2) yield args(0, 1)

    await setTimeout(30)
    yield data
  }

  async function* load(data: number, ...extra: unknown[]) {
    if (extra.length > 0) {
      throw new TypeError(`load() takes 1 positional argument but ${1 + extra.length} were given`)
    }
    print(`Data in Load: ${data}`)
    loaded.push(data)
    yield
  }

  const graph = new AsyncGraph()
  graph.addNode(extract, { name: 'extract', maxTasks: 1 })
  graph.addNode(transform)
  graph.addNode(load)
  graph.addEdge('extract', 'transform')
  graph.addEdge('transform', 'load')

  print(`Graph: ${JSON.stringify(graph.nodesToEdges)}`)
  const report = await new AsyncExecutor(graph, { logger: { info: print, error: print } }).execute()
  return { transformerReceived, loaded, report }
}

// Output:
// -------
// Graph: {"extract":["transform"],"transform":["load"],"load":[]}
// Transformer received: 0
// Transformer received: 1
// Data in Load: 0
// Transformer received: 2
// Data in Load: 1
// [graphflow] node 'load' raised: TypeError: load() takes 1 positional argument but 2 were given
//     at load (.../halt-on-mismatched-num-of-args.ts:...)
// Transformer received: 3
// Data in Load: 2
// Data in Load: 3

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
