// Port of async-graph-data-flow `examples/concurrent_tasks_per_node.py` (docs: "Concurrent Tasks
// Per Node").
// Shows `maxTasks`: with 1 task node2 handles its five items one after the other, with 5 tasks
// it handles them all at once (about 5x faster). The result reports how many calls overlapped.
import { setTimeout } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph } from '@graphflow/core'

export interface ConcurrencyRun {
  maxTasks: number
  received: number[]
  /** The most node2 calls that were running at the same time. */
  peakConcurrency: number
  seconds: number
}

/** Runs the example; `print` receives what the original prints. */
export async function main(print: (line: string) => void = console.log): Promise<ConcurrencyRun[]> {
  const runs: ConcurrencyRun[] = []
  for (const maxTasks of [1, 5]) {
    print(`maxTasks: ${maxTasks}`)
    const received: number[] = []
    let running = 0
    let peakConcurrency = 0

    async function* node1() {
      for (let i = 0; i < 5; i++) yield i
    }

    async function* node2(i: number) {
      running++
      peakConcurrency = Math.max(peakConcurrency, running)
      await setTimeout(100)
      running--
      print(`node2 received ${i}`)
      received.push(i)
      yield
    }

    const graph = new AsyncGraph()
    graph.addNode(node1)
    graph.addNode(node2, { maxTasks })
    graph.addEdge('node1', 'node2')

    print(`Graph: ${JSON.stringify(graph.nodesToEdges)}`)
    const executor = new AsyncExecutor(graph, { logger: { info: print, error: print } })

    const t1 = performance.now()
    await executor.execute()
    const t2 = performance.now()
    const seconds = (t2 - t1) / 1000
    print(`execution time: ${seconds}`)
    print('')
    runs.push({ maxTasks, received, peakConcurrency, seconds })
  }
  return runs
}

// Output:
// -------
// maxTasks: 1
// Graph: {"node1":["node2"],"node2":[]}
// node2 received 0
// node2 received 1
// node2 received 2
// node2 received 3
// node2 received 4
// execution time: 0.50...
//
// maxTasks: 5
// Graph: {"node1":["node2"],"node2":[]}
// node2 received 0
// ...
// node2 received 4
// execution time: 0.10...

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
