// Port of async-graph-data-flow `examples/batching_by_batch_size.py` (docs: "Flexible Edge
// Behaviors Between Nodes", Batching).
// Shows a custom edge queue: `BatchQueue` subclasses `AsyncQueue` and hands the destination node
// batches of `batchSize` items. Unlike the original, no `EndOfData` sentinel is needed: the
// executor calls the queue's `end()` once every upstream node has finished, and `end()` flushes
// the last, partial batch.
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph, AsyncQueue, type ExecutionReport } from '@graphflow/core'

/** Groups incoming items into arrays of `batchSize` (`Infinity`: one batch of everything). */
export class BatchQueue<T> extends AsyncQueue<T, T[]> {
  readonly batchSize: number
  #batch: T[] = []

  constructor(batchSize: number) {
    super()
    this.batchSize = batchSize
  }

  override put(item: T): Promise<void> | void {
    this.#batch.push(item)
    if (this.#batch.length < this.batchSize) return
    const batch = this.#batch
    this.#batch = []
    return this.push(batch)
  }

  override async end(): Promise<void> {
    // No more data is expected, so flush the last batch if it's not empty, whatever its size.
    if (this.#batch.length > 0) await this.push(this.#batch)
    this.#batch = []
    return super.end()
  }

  override reset(): void {
    this.#batch = []
    super.reset()
  }
}

export interface BatchingResult {
  yielded: number[]
  batches: number[][]
  report: ExecutionReport
}

/** Runs the example; `print` receives what the original prints. */
export async function main(
  print: (line: string) => void = console.log,
  batchSize = 4,
): Promise<BatchingResult> {
  const yielded: number[] = []
  const batches: number[][] = []

  async function* data_source() {
    for (let i = 1; i <= 10; i++) {
      print(`data_source yielding ${i}`)
      yielded.push(i)
      yield i
    }
  }

  async function* batched_inputs(data: number[]) {
    print(`batched_inputs received: ${JSON.stringify(data)}`)
    batches.push(data)
    yield
  }

  const graph = new AsyncGraph()

  graph.addNode(data_source)
  graph.addNode(batched_inputs, { queue: new BatchQueue<number>(batchSize) })

  graph.addEdge(data_source, batched_inputs)

  const report = await new AsyncExecutor(graph, { logger: { info: print, error: print } }).execute()
  return { yielded, batches, report }
}

// Output:
// -------
// data_source yielding 1
// ...
// data_source yielding 10
// batched_inputs received: [1,2,3,4]
// batched_inputs received: [5,6,7,8]
// batched_inputs received: [9,10]

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
