// Port of async-graph-data-flow `examples/external_sync_call.py` (docs: "Incorporating a
// Synchronous Function").
// Shows how a node runs a blocking, synchronous call without blocking the other nodes: where
// the original hands `time.sleep` to `loop.run_in_executor` (a thread pool), load2 runs its
// blocking call on a worker thread and awaits it. load1 and load2 get the same items and
// progress side by side. Timings are scaled down from seconds to tens of milliseconds.
import { setTimeout } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { AsyncExecutor, AsyncGraph, type ExecutionReport } from '@graphflow/core'

/** A synchronous, blocking sleep (`Atomics.wait`), run on a worker thread. */
const BLOCKING_SLEEP = `
const { workerData } = require('node:worker_threads')
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData)
`

/** Runs the blocking sleep of `ms` on a worker thread; resolves when it is done. */
export function runInWorker(ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(BLOCKING_SLEEP, { eval: true, workerData: ms })
    worker.once('error', reject)
    worker.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`)),
    )
  })
}

export interface ExternalSyncCallResult {
  nodesToEdges: Record<string, string[]>
  outputs: string[]
  report: ExecutionReport
}

/** Runs the example; `print` receives what the original prints. */
export async function main(
  print: (line: string) => void = console.log,
): Promise<ExternalSyncCallResult> {
  const outputs: string[] = []

  async function* extract() {
    yield 'hello'
    yield 'world'
  }

  async function* transform(data: string) {
    print(`Transformer received: ${data}`)
    await setTimeout(30)
    yield data.charAt(0).toUpperCase() + data.slice(1)
  }

  async function* load1(data: string) {
    print(`Data in Load1: ${data}`)
    for (let i = 0; i < 3; i++) {
      await setTimeout(40)
      yield `load1 ${i}`
    }
  }

  async function* load2(data: string) {
    print(`Data in Load2: ${data}`)
    for (let i = 0; i < 3; i++) {
      await runInWorker(40)
      yield `load2 ${i}`
    }
  }

  async function* output(data: string) {
    print(`output: ${data}`)
    outputs.push(data)
    yield
  }

  const graph = new AsyncGraph()
  graph.addNode(extract, { name: 'extract', maxTasks: 1, queueSize: 1_000 })
  graph.addNode(transform)
  graph.addNode(load1)
  graph.addNode(load2)
  graph.addNode(output)
  graph.addEdge('extract', 'transform')
  graph.addEdge('transform', 'load1')
  graph.addEdge('transform', 'load2')
  graph.addEdge('load1', 'output')
  graph.addEdge('load2', 'output')

  print(`Graph: ${JSON.stringify(graph.nodesToEdges)}`)
  const report = await new AsyncExecutor(graph, { logger: { info: print, error: print } }).execute()
  return { nodesToEdges: graph.nodesToEdges, outputs, report }
}

// Output:
// -------
// Graph: {"extract":["transform"],"transform":["load1","load2"],"load1":["output"],...}
// Transformer received: hello
// Transformer received: world
// Data in Load1: Hello
// Data in Load2: Hello
// output: load1 0
// output: load2 0
// ... (load1 and load2 interleave)
// output: load2 2

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
