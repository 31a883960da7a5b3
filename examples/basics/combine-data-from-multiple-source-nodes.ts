// Port of async-graph-data-flow `examples/combine_data_from_multiple_source_nodes.py` (docs:
// "Flexible Edge Behaviors Between Nodes", Combining Data from Multiple Source Nodes).
// Shows a custom edge queue that combines one item from each of several source nodes into one
// call of the destination: `final_node(3, 4, 5)`. Sources yield `args(name, value)` (the seed's
// tuple); the queue emits `args(...)` so the destination gets the values spread.
import { pathToFileURL } from 'node:url'
import {
  type Args,
  AsyncExecutor,
  AsyncGraph,
  AsyncQueue,
  args,
  type ExecutionReport,
} from '@graphflow/core'

type Tagged = Args<[node: string, ...data: number[]]>

/** Waits until every node in `nodeOrder` has sent an item, then emits them combined, in order. */
export class CombineDataQueue extends AsyncQueue<Tagged, Args<number[]>> {
  readonly nodeOrder: readonly string[]
  #queues = new Map<string, number[][]>()

  constructor(nodeOrder: readonly string[]) {
    super()
    this.nodeOrder = nodeOrder
    this.reset()
  }

  override put(item: Tagged): Promise<void> | void {
    const [node, ...data] = item.values
    const queue = this.#queues.get(node)
    if (!queue) throw new Error(`Node ${node} not in node order ${JSON.stringify(this.nodeOrder)}`)
    if (data.length === 0) throw new Error(`Data missing for node ${node}`)
    queue.push(data)
    if ([...this.#queues.values()].every((each) => each.length > 0)) {
      const combined = [...this.#queues.values()].flatMap((each) => each.shift() ?? [])
      return this.push(args(...combined))
    }
  }

  override reset(): void {
    super.reset()
    this.#queues = new Map(this.nodeOrder.map((node) => [node, []]))
  }
}

export interface CombineResult {
  received: [number, number, number][]
  report: ExecutionReport
}

/** Runs the example; `print` receives what the original prints. */
export async function main(print: (line: string) => void = console.log): Promise<CombineResult> {
  const received: [number, number, number][] = []

  async function* threes() {
    for (let i = 0; i < 3; i++) {
      print('threes yielding 3')
      yield args('threes', 3)
    }
  }

  async function* fours() {
    for (let i = 0; i < 4; i++) {
      print('fours yielding 4')
      yield args('fours', 4)
    }
  }

  async function* fives() {
    for (let i = 0; i < 5; i++) {
      print('fives yielding 5')
      yield args('fives', 5)
    }
  }

  async function* final_node(int1: number, int2: number, int3: number) {
    print(`Final node received ${int1}, ${int2}, ${int3}`)
    received.push([int1, int2, int3])
    yield
  }

  const graph = new AsyncGraph()

  graph.addNode(threes)
  graph.addNode(fours)
  graph.addNode(fives)
  graph.addNode(final_node, { queue: new CombineDataQueue(['threes', 'fours', 'fives']) })

  graph.addEdge('threes', 'final_node')
  graph.addEdge('fours', 'final_node')
  graph.addEdge('fives', 'final_node')

  const report = await new AsyncExecutor(graph, { logger: { info: print, error: print } }).execute()
  return { received, report }
}

// Output:
// -------
// threes yielding 3
// fours yielding 4
// fives yielding 5
// ... (the sources run concurrently)
// Final node received 3, 4, 5
// Final node received 3, 4, 5
// Final node received 3, 4, 5

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
