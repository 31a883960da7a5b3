// Port of async-graph-data-flow `examples/shared_state.py` (docs: "Shared State Across
// Asynchronous Functions").
// Shows sharing state between nodes by passing the same object around: the start node gets a
// `SharedState` through `startNodes`, sets a value and yields the object; node2 reads it.
// Timings are scaled down.
import { setTimeout } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph, args, type ExecutionReport } from '@graphflow/core'

/** A key-value store whose `get` waits until the key has a value. */
export class SharedState {
  #values = new Map<string, unknown>()

  async get(key: string): Promise<unknown> {
    while (!this.#values.has(key)) await setTimeout(1)
    return this.#values.get(key)
  }

  async set(key: string, value: unknown): Promise<void> {
    this.#values.set(key, value)
  }
}

export interface SharedStateResult {
  nodesToEdges: Record<string, string[]>
  node2Received: unknown[]
  report: ExecutionReport
}

/** Runs the example; `print` receives what the original prints. */
export async function main(
  print: (line: string) => void = console.log,
): Promise<SharedStateResult> {
  const node2Received: unknown[] = []

  async function* node1(sharedState: SharedState) {
    await sharedState.set('current_data', 'hello')
    yield sharedState
    await setTimeout(20)

    await sharedState.set('current_data', 'world')
    yield sharedState
  }

  async function* node2(sharedState: SharedState) {
    const currentData = await sharedState.get('current_data')
    print(`node2 received: ${String(currentData)}`)
    node2Received.push(currentData)
    await setTimeout(30)
    yield args(sharedState, currentData)
  }

  const graph = new AsyncGraph()
  graph.addNode(node1)
  graph.addNode(node2)
  graph.addEdge('node1', 'node2')

  print(`Graph: ${JSON.stringify(graph.nodesToEdges)}`)
  const sharedState = new SharedState()
  const report = await new AsyncExecutor(graph, { logger: { info: print, error: print } }).execute({
    startNodes: { node1: [sharedState] },
  })
  return { nodesToEdges: graph.nodesToEdges, node2Received, report }
}

// Output:
// -------
// Graph: {"node1":["node2"],"node2":[]}
// node2 received: hello
// node2 received: world

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
