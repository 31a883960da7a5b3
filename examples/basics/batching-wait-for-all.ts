// Port of the `float('inf')` variant described in async-graph-data-flow's docs ("Flexible Edge
// Behaviors Between Nodes", Batching): the same `BatchQueue` with an infinite batch size makes
// the destination node wait for every item from its sources and receive them as one batch
// (blocking / synchronization on an edge).
import { pathToFileURL } from 'node:url'
import { type BatchingResult, main as batchingMain } from './batching-by-batch-size.js'

/** Runs the example; `print` receives what the example prints. */
export async function main(print: (line: string) => void = console.log): Promise<BatchingResult> {
  return batchingMain(print, Number.POSITIVE_INFINITY)
}

// Output:
// -------
// data_source yielding 1
// ...
// data_source yielding 10
// batched_inputs received: [1,2,3,4,5,6,7,8,9,10]

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
