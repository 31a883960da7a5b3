// Port of the async-graph-data-flow docs' Quickstart (`docs/quickstart.rst`).
// Shows five functions in a DAG: func1 -> func2 -> (func3, func4) -> func5. func3 and func4
// yield `args(data, '2nd arg ...')` (the seed's tuple), which is spread into func5(data1, data2).
// Timings are scaled down.
import { setTimeout } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph, args, type ExecutionReport } from '@graphflow/core'

export interface QuickstartResult {
  nodesToEdges: Record<string, string[]>
  /** What func5 received, one `data1 + data2` string per call. */
  func5Received: string[]
  seconds: number
  report: ExecutionReport
}

/** Runs the example; `print` receives what the original prints. */
export async function main(print: (line: string) => void = console.log): Promise<QuickstartResult> {
  const func5Received: string[] = []

  async function* func1() {
    for (let i = 0; i < 2; i++) {
      await setTimeout(50)
      print(`At func1: ${i}`)
      yield `From func1: ${i}`
    }
  }

  async function* func2(data: string) {
    print(`At func2: ${data}`)
    yield `From func2: ${data}`
  }

  async function* func3(data: string) {
    print(`At func3: ${data}`)
    yield args(data, '2nd arg from func3')
  }

  async function* func4(data: string) {
    print(`At func4: ${data}`)
    yield args(data, '2nd arg from func4')
  }

  async function* func5(data1: string, data2: string) {
    print(`At func5: ${data1} + ${data2}`)
    func5Received.push(`${data1} + ${data2}`)
    yield
  }

  const graph = new AsyncGraph()

  graph.addNode(func1)
  graph.addNode(func2)
  graph.addNode(func3)
  graph.addNode(func4)
  graph.addNode(func5)
  graph.addEdge('func1', 'func2')
  graph.addEdge('func2', 'func3')
  graph.addEdge('func2', 'func4')
  graph.addEdge('func3', 'func5')
  graph.addEdge('func4', 'func5')

  print(`Graph: ${JSON.stringify(graph.nodesToEdges)}`)

  const executor = new AsyncExecutor(graph, { logger: { info: print, error: print } })

  const t1 = performance.now()
  const report = await executor.execute()
  const t2 = performance.now()
  const seconds = (t2 - t1) / 1000
  print(`execution time: ${seconds}`)
  return { nodesToEdges: graph.nodesToEdges, func5Received, seconds, report }
}

// Output:
// -------
// Graph: {"func1":["func2"],"func2":["func3","func4"],"func3":["func5"],"func4":["func5"],"func5":[]}
// At func1: 0
// At func2: From func1: 0
// At func3: From func2: From func1: 0
// At func4: From func2: From func1: 0
// At func5: From func2: From func1: 0 + 2nd arg from func3
// At func5: From func2: From func1: 0 + 2nd arg from func4
// At func1: 1
// ...
// At func5: From func2: From func1: 1 + 2nd arg from func4
// execution time: 0.10...

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
