// Port of async-graph-data-flow `examples/number_range.py`.
// Shows a sink that batches in its own state: load collects transformed numbers and "flushes"
// every BUFFER items; the source ends with an empty item (the seed's bare `yield`, here
// `undefined`) so load can flush what remains. Timings are scaled down.
import { setTimeout } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph, type ExecutionReport } from '@graphflow/core'

const BUFFER = 3

export interface NumberRangeResult {
  transformerReceived: (number | undefined)[]
  /** Each flush, in order; the last one is the "remaining data" flush. */
  flushes: number[][]
  report: ExecutionReport
}

/** Runs the example; `print` receives what the original prints. */
export async function main(
  print: (line: string) => void = console.log,
): Promise<NumberRangeResult> {
  const transformerReceived: (number | undefined)[] = []
  const flushes: number[][] = []
  let count = 0
  let batchList: number[] = []

  async function* extract() {
    let i = 1
    while (i <= 10) {
      yield i ** 2
      i += 1
      await setTimeout(10)
    }
    yield undefined
  }

  async function* transform(data: number | undefined) {
    print(`Transformer received: ${data}`)
    transformerReceived.push(data)
    await setTimeout(30)
    if (!data) yield data
    else yield data ** 3
  }

  async function* load(data: number | undefined) {
    if (data) {
      print('Batching data in memory')
      batchList.push(data)
      count += 1
    }

    if (count >= BUFFER) {
      print(`Flushing data: ${JSON.stringify(batchList)}`)
      flushes.push(batchList)
      count = 0
      batchList = []
    }

    if (!data && batchList.length > 0) {
      print(`Flushing remaining data: ${JSON.stringify(batchList)}`)
      flushes.push(batchList)
    }
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
  return { transformerReceived, flushes, report }
}

// Output:
// -------
// Graph: {"extract":["transform"],"transform":["load"],"load":[]}
// Transformer received: 1
// Transformer received: 4
// Batching data in memory
// ...
// Flushing data: [1,64,729]
// ...
// Flushing data: [4096,15625,46656]
// ...
// Flushing data: [117649,262144,531441]
// Transformer received: undefined
// Batching data in memory
// Flushing remaining data: [1000000]

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
