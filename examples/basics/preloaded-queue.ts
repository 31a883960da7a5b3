// Port of the "queue pre-loaded with data items" edge behaviour that async-graph-data-flow's
// docs describe ("Flexible Edge Behaviors Between Nodes"; the seed has no script for it).
// Shows a node that is not a start node receiving items before anything reaches it from its
// sources. The executor empties every queue at the start of a run (`reset()`), so the queue
// loads its items in `reset()`: they are there at the start of every run, ahead of what the
// sources send. (Putting items into a plain `AsyncQueue` before `execute()` does not work: the
// run's `reset()` drops them.)
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph, AsyncQueue, type ExecutionReport } from '@graphflow/core'

/** A FIFO queue that holds `items` at the start of every run. */
export class PreloadedQueue<T> extends AsyncQueue<T> {
  readonly items: readonly T[]

  constructor(items: readonly T[], maxSize = 0) {
    super(maxSize)
    this.items = items
  }

  override reset(): void {
    super.reset()
    for (const item of this.items) void this.push(item)
  }
}

export interface PreloadedQueueResult {
  received: string[]
  report: ExecutionReport
}

/** Runs the example; `print` receives what the example prints. */
export async function main(
  print: (line: string) => void = console.log,
): Promise<PreloadedQueueResult> {
  const received: string[] = []

  async function* source() {
    yield 'from source 1'
    yield 'from source 2'
  }

  async function* destination(data: string) {
    print(`destination received: ${data}`)
    received.push(data)
    yield
  }

  const graph = new AsyncGraph()
  graph.addNode(source)
  graph.addNode(destination, { queue: new PreloadedQueue(['preloaded 1', 'preloaded 2']) })
  graph.addEdge(source, destination)

  const report = await new AsyncExecutor(graph, { logger: { info: print, error: print } }).execute()
  return { received, report }
}

// Output:
// -------
// destination received: preloaded 1
// destination received: preloaded 2
// destination received: from source 1
// destination received: from source 2

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
