// Port of the "queue pre-loaded with data items" edge behaviour that async-graph-data-flow's
// docs describe ("Flexible Edge Behaviors Between Nodes"; the seed has no script for it).
// Shows a node that is not a start node receiving items before anything reaches it from its
// sources: items put into a fresh queue before `execute()` are delivered first. (A queue that
// already ran is emptied by `reset()` at the start of a later run; a subclass that must be
// pre-loaded for every run re-fills itself in an overridden `reset()`.)
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph, AsyncQueue, type ExecutionReport } from '@graphflow/core'

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
  const queue = new AsyncQueue<string>()
  await queue.put('preloaded 1')
  await queue.put('preloaded 2')
  graph.addNode(destination, { queue })
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
