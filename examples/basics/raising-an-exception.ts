// Port of async-graph-data-flow `examples/raising_an_exception.py` (docs: "Accessing and Raising
// an Exception").
// Shows that node errors do not reject `execute()`: they are logged and kept in
// `executor.exceptions` (and `report.exceptions`), and the caller decides what to do with them,
// here throw an error of its own.
import { pathToFileURL } from 'node:url'
import { AsyncExecutor, AsyncGraph, type NodeExceptions } from '@graphflow/core'

/** The error the original raises (`ValueError`). */
export class ValueError extends Error {
  override name = 'ValueError'
}

/**
 * Runs the example; `print` receives what the original prints and logs. Like the original, it
 * ends by throwing when any node raised (it always does here): it rejects with an error whose
 * `cause` is an `AggregateError` of the node errors. Resolves with the exceptions otherwise.
 */
export async function main(print: (line: string) => void = console.log): Promise<NodeExceptions> {
  async function* node1() {
    yield 'hello'
    yield 'world'
  }

  // Like the original, it raises before yielding anything.
  async function* node2(data: string) {
    throw new ValueError(`bad data: ${data}`)
  }

  const graph = new AsyncGraph()
  graph.addNode(node1)
  graph.addNode(node2)
  graph.addEdge('node1', 'node2')

  print(`Graph: ${JSON.stringify(graph.nodesToEdges)}`)
  const executor = new AsyncExecutor(graph, { logger: { info: print, error: print } })
  await executor.execute()

  const exceptions = executor.exceptions ?? {}
  const excs = Object.values(exceptions)
  if (excs.some((errors) => errors.length > 0)) {
    for (const errors of excs) {
      print(
        `Exceptions: [${errors.map((error) => `${error.name}('${error.message}')`).join(', ')}]`,
      )
    }
    throw new Error('oh no! something went wrong in the graph execution', {
      cause: new AggregateError(excs.flat(), 'node errors'),
    })
  }
  return exceptions
}

// Output:
// -------
// Graph: {"node1":["node2"],"node2":[]}
//
// ... (logging for the unhandled errors from the nodes, without throwing them)
//
// Exceptions: []
// Exceptions: [ValueError('bad data: hello'), ValueError('bad data: world')]
// Error: oh no! something went wrong in the graph execution
//     at main (.../raising-an-exception.ts:...)

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
