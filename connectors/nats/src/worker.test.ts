import { AsyncGraph } from '@graphflow/core'
import { describe, expect, it } from 'vitest'
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
    ).toThrow(/deployment.roles.store.replicas: expected an integer >= 1, got 0/)
  })

  it('refuses an unknown role, a replica out of range and a missing connection', async () => {
    const graph = graphOf()
    const base = { graph, deployment, run: 'r1', servers: 'nats://127.0.0.1:1' }
    await expect(runWorker({ ...base, role: 'nope' })).rejects.toThrow(
      /role: expected one of the deployment's roles \(fetch, enrich, store\), got nope/,
    )
    await expect(runWorker({ ...base, role: 'enrich', replica: 3 })).rejects.toThrow(
      /replica: expected an integer from 0 to 2 \(role "enrich" has 3 replicas\), got 3/,
    )
    await expect(runWorker({ graph, deployment, run: 'r1', role: 'fetch' })).rejects.toThrow(
      TypeError,
    )
  })
})
