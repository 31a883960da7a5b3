import { AsyncGraph } from '@graphflow/core'
import { jetstreamManager } from '@nats-io/jetstream'
import { describe, expect, it } from 'vitest'
import { js, streamMessages } from '../test/helpers.js'
import { skipReason, uniqueRun, useNats } from '../test/nats-server.js'
import { provisionNode } from './layout.js'
import { Publisher } from './publisher.js'
import { RunState } from './run-state.js'
import { runWorker } from './worker.js'

const quiet = { info() {}, error() {}, warn() {} }

describe.skipIf(skipReason)('runWorker: failures and stops', () => {
  const nats = useNats()

  it('an abort of one worker’s signal aborts every worker of the run', async () => {
    const run = uniqueRun()
    const graph = new AsyncGraph()
    const fetch = graph.addNode(async function* fetch() {})
    const store = graph.addNode(async function* store(_value: number) {})
    graph.addEdge(fetch, store)
    const deployment = {
      roles: { fetch: { nodes: ['fetch'] }, store: { nodes: ['store'], replicas: 2 } },
    }
    const common = { graph, deployment, run, connection: nats.nc, executor: { logger: quiet } }
    // No fetch worker runs: both store replicas wait for its end marker until the abort.
    const controller = new AbortController()
    const first = runWorker({ ...common, role: 'store', signal: controller.signal })
    const second = runWorker({ ...common, role: 'store', replica: 1 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    controller.abort()
    for (const result of await Promise.all([first, second])) {
      expect(result.report.aborted).toBe(true)
      expect(result.control).toMatchObject({ kind: 'abort', by: 'store-0' })
    }
  })

  // Guards against a worker hanging on inputs whose outputs can never be acknowledged.
  it('a fenced worker aborts its run, leaving its inputs unacknowledged in the stream', async () => {
    const run = uniqueRun()
    const graph = new AsyncGraph()
    const fetch = graph.addNode(async function* fetch() {})
    const enrich = graph.addNode(async function* enrich(value: number) {
      yield value * 2
    })
    const store = graph.addNode(async function* store(_value: number) {})
    graph.addEdge(fetch, enrich).addEdge(enrich, store)
    const deployment = {
      roles: {
        fetch: { nodes: ['fetch'] },
        enrich: { nodes: ['enrich'] },
        store: { nodes: ['store'] },
      },
    }
    const jsm = await jetstreamManager(nats.nc)
    const state = await RunState.open(nats.nc, run)
    const enrichInput = await provisionNode(jsm, { run, node: 'enrich', producers: ['fetch-0'] })
    const storeInput = await provisionNode(jsm, { run, node: 'store', producers: ['enrich-0'] })
    await state.registerNode(enrichInput)
    await state.registerNode(storeInput)
    // The enrich worker's input is there (and ended); an operator fenced it before it started.
    const publisher = new Publisher({ js: js(nats.nc), layout: enrichInput, worker: 'fetch-0' })
    for (let value = 1; value <= 10; value++) await publisher.add(value)
    await publisher.flush()
    await state.markProducerEnded(enrichInput, 'fetch-0', {
      bootId: publisher.bootId,
      ...publisher.published,
    })
    await state.markWorkerEnded('enrich-0', 'gone for good')
    const result = await runWorker({
      graph,
      deployment,
      run,
      role: 'enrich',
      connection: nats.nc,
      publish: { attempts: 1, ackTimeoutMs: 2_000 },
      executor: { logger: quiet },
    })
    expect(result.report.aborted).toBe(true)
    expect(result.failure?.message).toMatch(/node "store": /)
    // Nothing was acknowledged: the input is still there for another worker.
    expect(await streamMessages(nats.nc, enrichInput)).toBe(1)
    // A failure of one worker is not a run-wide abort.
    expect(result.control).toBeUndefined()
  })
})
