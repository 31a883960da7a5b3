/**
 * Scaling over replicas: source -> slow (waits 5 ms per item, maxTasks 1 per replica) -> sink,
 * each role a `runWorker` with its own connection (all in this process: the node is I/O-bound,
 * the waits overlap), slow on 1, 2 and 4 replicas. Items/s from the workers' start to the last
 * worker's end (provisioning and end-of-stream detection included). Targets: 2 replicas >= 1.8x
 * one replica, 4 replicas >= 3.5x.
 */
import { AsyncGraph } from '@graphflow/core'
import { runWorker } from '../src/index.js'
import { uniqueRun } from '../test/nats-server.js'

const ITEMS = Number(process.env.BENCH_SCALING_ITEMS ?? 1_000)
const WAIT_MS = 5
const quiet = { info() {}, warn() {}, error() {} }

function graphOf(stored: Set<number>) {
  const graph = new AsyncGraph()
  const source = graph.addNode(async function* source() {
    for (let id = 0; id < ITEMS; id++) yield { id }
  })
  const slow = graph.addNode(async function* slow(item: { id: number }) {
    await new Promise((resolve) => setTimeout(resolve, WAIT_MS))
    yield item
  })
  const sink = graph.addNode(async function* sink(item: { id: number }) {
    stored.add(item.id)
  })
  graph.addEdge(source, slow).addEdge(slow, sink)
  return graph
}

/** Items/s through the slow node on `replicas` workers. */
export async function scalingRate(url: string, replicas: number): Promise<number> {
  const stored = new Set<number>()
  const graph = graphOf(stored)
  const deployment = {
    roles: {
      fetch: { nodes: ['source'] },
      slow: { nodes: ['slow'], replicas },
      store: { nodes: ['sink'] },
    },
  }
  const run = uniqueRun(`scaling${replicas}`)
  const common = {
    graph,
    deployment,
    run,
    servers: url,
    publish: { maxItems: 5, lingerMs: 1 },
    consume: { prefetch: 1, endPollMs: 50 },
    executor: { logger: quiet },
  }
  const start = performance.now()
  const reports = await Promise.all([
    runWorker({ ...common, role: 'store' }),
    ...Array.from({ length: replicas }, (_, replica) =>
      runWorker({ ...common, role: 'slow', replica }),
    ),
    runWorker({ ...common, role: 'fetch' }),
  ])
  const seconds = (performance.now() - start) / 1_000
  if (stored.size !== ITEMS || reports.some((each) => !each.report.ok)) {
    throw new Error(`scaling, ${replicas} replicas: stored ${stored.size} of ${ITEMS}`)
  }
  return ITEMS / seconds
}

/** Prints the scaling rows. */
export async function scaling(url: string): Promise<void> {
  const one = await scalingRate(url, 1)
  console.log(
    `scaling, node waiting ${WAIT_MS} ms/item, 1 replica : ${Math.round(one).toLocaleString('en')} items/s (${ITEMS} items)`,
  )
  for (const [replicas, target] of [
    [2, 1.8],
    [4, 3.5],
  ] as const) {
    const rate = await scalingRate(url, replicas)
    const ratio = rate / one
    console.log(
      `scaling, node waiting ${WAIT_MS} ms/item, ${replicas} replicas: ${Math.round(rate).toLocaleString('en')} items/s  ${ratio.toFixed(2)}x (target >= ${target}x: ${ratio >= target ? 'ok' : 'MISSED'})`,
    )
  }
}
