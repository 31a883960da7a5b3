import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsyncGraph } from '@graphflow/core'
import { sqliteSink } from '@graphflow/sqlite'
import { describe, expect, it } from 'vitest'
import { skipReason, uniqueRun, useNats } from '../test/nats-server.js'
import { checkDeployment, type Deployment, producersOf, runWorker } from './worker.js'

function graphOf() {
  const graph = new AsyncGraph()
  const fetch = graph.addNode(async function* fetch() {})
  const enrich = graph.addNode(async function* enrich(item: unknown) {
    yield item
  })
  const audit = graph.addNode(async function* audit(_item: unknown) {})
  const store = graph.addNode(async function* store(_item: unknown) {})
  graph.addEdge(fetch, enrich).addEdge(enrich, store).addEdge(fetch, audit).addEdge(audit, store)
  return graph
}

const deployment: Deployment = {
  roles: {
    fetch: { nodes: ['fetch', 'audit'] },
    enrich: { nodes: ['enrich'], replicas: 3 },
    store: { nodes: ['store'] },
  },
}

describe('deployments', () => {
  it('expects every replica of every other role holding an upstream as a producer', () => {
    const graph = graphOf()
    const { roleOf, replicas } = checkDeployment(graph, deployment)
    expect(producersOf(graph, 'enrich', roleOf, replicas)).toEqual(['fetch-0'])
    expect(producersOf(graph, 'store', roleOf, replicas)).toEqual([
      'enrich-0',
      'enrich-1',
      'enrich-2',
      'fetch-0',
    ])
    // An upstream in the node's own role is an in-memory edge, not a producer.
    expect(producersOf(graph, 'audit', roleOf, replicas)).toEqual([])
  })

  it('refuses a deployment that does not match the graph, naming the option', () => {
    const graph = graphOf()
    expect(() => checkDeployment(graph, { roles: { a: { nodes: ['fetch', 'nope'] } } })).toThrow(
      /deployment.roles.a.nodes: node "nope" is not in the graph/,
    )
    expect(() =>
      checkDeployment(graph, {
        roles: { a: { nodes: ['fetch', 'audit', 'enrich'] }, b: { nodes: ['enrich', 'store'] } },
      }),
    ).toThrow(/deployment.roles.b.nodes: node "enrich" is in role "a" already/)
    expect(() => checkDeployment(graph, { roles: { a: { nodes: ['fetch'] } } })).toThrow(
      /every node must be in a role, got none for "enrich", "audit", "store"/,
    )
    expect(() =>
      checkDeployment(graph, {
        roles: { ...deployment.roles, store: { nodes: ['store'], replicas: 0 } },
      }),
    ).toThrow(/runWorker option "deployment.roles.store.replicas": expected an integer >= 1, got 0/)
  })

  it('refuses an unknown role, a replica out of range and a missing connection', async () => {
    const graph = graphOf()
    const base = { graph, deployment, run: 'r1', servers: 'nats://127.0.0.1:1' }
    await expect(runWorker({ ...base, role: 'nope' })).rejects.toThrow(
      /runWorker option "role": expected one of the deployment's roles \(fetch, enrich, store\), got "nope"/,
    )
    await expect(runWorker({ ...base, role: 'enrich', replica: 3 })).rejects.toThrow(
      /runWorker option "replica": expected an integer from 0 to 2 \(role "enrich" has 3 replicas\), got 3/,
    )
    await expect(runWorker({ graph, deployment, run: 'r1', role: 'fetch' })).rejects.toThrow(
      TypeError,
    )
  })
})

describe.skipIf(skipReason)('runWorker: committing sinks', () => {
  const nats = useNats()

  // Guards: a batching sqliteSink fed from JetStream held its last partial batch until close(),
  // which waited for the input to end, which waited for those messages' acks: the run hung.
  it('a sqliteSink with its default batchSize and commits completes the run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'graphflow-nats-sqlite-'))
    try {
      const path = join(dir, 'out.db')
      const graph = new AsyncGraph()
      const fetch = graph.addNode(async function* fetch() {
        for (let id = 1; id <= 760; id++) yield { id, name: `brewery ${id}` }
      })
      const sink = sqliteSink<{ id: number; name: string }>({
        name: 'store',
        path,
        table: 'breweries',
        primaryKey: 'id',
        mode: 'upsert',
      })
      graph.addEdge(fetch, graph.addNode(sink))
      const deployment = { roles: { fetch: { nodes: ['fetch'] }, store: { nodes: ['store'] } } }
      const common = { graph, deployment, run: uniqueRun(), connection: nats.nc }
      const quiet = { info() {}, error() {}, warn() {} }
      // A hang fails the test (aborted after 30 s) instead of timing it out with workers running.
      const controller = new AbortController()
      const timer = setTimeout(() => controller.abort(), 30_000)
      const results = await Promise.all([
        runWorker({
          ...common,
          role: 'store',
          signal: controller.signal,
          executor: { logger: quiet },
        }),
        runWorker({ ...common, role: 'fetch', executor: { logger: quiet } }),
      ]).finally(() => clearTimeout(timer))
      for (const result of results) expect(result.report.ok).toBe(true)
      expect(sink.stats).toMatchObject({ records: 760, rowsRejected: 0 })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
