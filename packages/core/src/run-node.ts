import { Args } from './args.js'
import type { AsyncGraph, GraphNode } from './async-graph.js'
import { AsyncQueue, checkQueueSeam } from './async-queue.js'
import { InvalidAsyncGraphError } from './errors.js'
import type { NodeStats } from './executor-types.js'
import { graphOf } from './node-ref.js'
import { isStartNode, type StartNode } from './start-node.js'
import type { Lineage, QueueTrack, SourceUnits } from './work-tracking.js'

/** A node's state during one run. */
export interface RunNode {
  readonly name: string
  readonly config: GraphNode
  readonly queue: AsyncQueue<unknown, unknown>
  readonly destinations: RunNode[]
  readonly stats: NodeStats
  readonly errors: Error[]
  readonly startArgs: unknown[] | undefined
  /** True when `put()` and `end()` are AsyncQueue's own: a blocked put is released by `discard()`. */
  readonly plainQueue: boolean
  /** Upstream nodes not yet done, plus one while the start call runs. */
  openInputs: number
  /** The queue's `end()`, once called. */
  ending: Promise<void> | undefined
  /** Tracked runs: the indexes of the sinks reachable from this node (itself for a sink). */
  reach: number[]
  /** Tracked runs: the lineage state of the node's queue. */
  track: QueueTrack | undefined
  /** Tracked runs, a committing node: the lineage of returned calls not yet committed. */
  uncommitted: Lineage[]
  /** Tracked runs: the units of output this node closed with `checkpoint()`. */
  units: SourceUnits | undefined
}

/** What a call of a node function returns, iterated by the executor. */
export type Iteration = AsyncIterator<unknown>

/** Every node without incoming edges, called with no arguments. */
export function defaultStartNodes(graph: AsyncGraph): Record<string, unknown[]> {
  return Object.fromEntries(graph.rootNodes.map((name) => [name, []]))
}

/**
 * The run's start nodes: the given ones (by name, or a list of {@link startNode}s), checked, or
 * every node without incoming edges.
 */
export function resolveStartNodes(
  graph: AsyncGraph,
  given: Record<string, unknown[]> | readonly StartNode[] | undefined,
): Record<string, unknown[]> {
  const startNodes = Array.isArray(given)
    ? fromStartNodes(graph, given as readonly StartNode[])
    : ((given as Record<string, unknown[]> | undefined) ?? defaultStartNodes(graph))
  if (typeof startNodes !== 'object' || startNodes === null) {
    throw new TypeError(`execute "startNodes": expected an object, got ${String(startNodes)}`)
  }
  const entries = Object.entries(startNodes)
  if (entries.length === 0) throw new InvalidAsyncGraphError('the graph has no start nodes')
  for (const [name, values] of entries) {
    if (!graph.getNode(name)) {
      throw new InvalidAsyncGraphError(`start node '${name}' is not in the graph`, {
        code: 'UNKNOWN_NODE',
      })
    }
    if (!Array.isArray(values)) {
      throw new TypeError(
        `execute "startNodes": args of node '${name}' must be an array, got ${String(values)}`,
      )
    }
  }
  return startNodes
}

function fromStartNodes(graph: AsyncGraph, given: readonly StartNode[]): Record<string, unknown[]> {
  const startNodes: Record<string, unknown[]> = {}
  for (const entry of given) {
    if (!isStartNode(entry)) {
      throw new TypeError(
        `execute "startNodes": expected startNode(ref, ...args) entries, got ${String(entry)}`,
      )
    }
    const name = entry.ref.name
    if (graphOf(entry.ref) !== graph) {
      throw new InvalidAsyncGraphError(
        `start node ref '${name}' was made by another graph: use the ref this graph's addNode returned`,
        { code: 'FOREIGN_NODE_REF' },
      )
    }
    if (Object.hasOwn(startNodes, name)) {
      throw new InvalidAsyncGraphError(`start node '${name}' is given twice`, {
        code: 'DUPLICATE_START_NODE',
      })
    }
    startNodes[name] = [...entry.args]
  }
  return startNodes
}

/**
 * The nodes of one run: queues and counts, destinations linked. A queue instance given to
 * `addNode` is claimed for the run (another run using it at the same time is refused) and
 * keeps what was pre-loaded into it; {@link releaseQueues} reopens it when the run is over.
 */
export function prepareRun(graph: AsyncGraph, startNodes: Record<string, unknown[]>): RunNode[] {
  const byName = new Map<string, RunNode>()
  const owners = new Map<AsyncQueue<unknown, unknown>, string>()
  for (const config of graph.nodes) {
    const startArgs = Object.hasOwn(startNodes, config.name) ? startNodes[config.name] : undefined
    const queue = makeQueue(config)
    const owner = owners.get(queue)
    if (owner !== undefined) {
      throw new TypeError(
        `nodes '${owner}' and '${config.name}' share one queue instance: give each node its own (a function returning a new AsyncQueue)`,
      )
    }
    owners.set(queue, config.name)
    byName.set(config.name, {
      name: config.name,
      config,
      queue,
      destinations: [],
      stats: { in: 0, out: 0, err: 0 },
      errors: [],
      startArgs,
      plainQueue: queue.put === AsyncQueue.prototype.put && queue.end === AsyncQueue.prototype.end,
      openInputs: graph.sourcesOf(config.name).length + (startArgs ? 1 : 0),
      ending: undefined,
      reach: [],
      track: undefined,
      uncommitted: [],
      units: undefined,
    })
  }
  for (const [queue, name] of owners) {
    if (queuesInUse.has(queue)) {
      throw new InvalidAsyncGraphError(
        `node '${name}': its queue instance is in use by another run; give the node a function returning a new queue (queue: () => new MyQueue()) to run the graph more than once at a time`,
        { code: 'QUEUE_IN_USE' },
      )
    }
  }
  for (const queue of owners.keys()) queuesInUse.add(queue)
  for (const node of byName.values()) {
    for (const name of graph.destinationsOf(node.name)) {
      node.destinations.push(byName.get(name) as RunNode)
    }
  }
  return [...byName.values()]
}

/**
 * Ends a run's hold on its queues: each queue instance given to `addNode` is emptied and
 * opened again (`reset()`), ready to be pre-loaded for the next run.
 */
export function releaseQueues(
  nodes: readonly RunNode[],
  onError: (node: RunNode, error: unknown) => void,
): void {
  for (const node of nodes) {
    queuesInUse.delete(node.queue)
    if (typeof node.config.queue !== 'object') continue
    try {
      node.queue.reset()
    } catch (error) {
      onError(node, error)
    }
  }
}

/**
 * Calls a node's function with an item (spread for the start call) and returns the iterator
 * to drain: `args(...)` is spread unless `unpackInput` is false; no-parameter functions get
 * nothing.
 */
export function startCall(config: GraphNode, item: unknown, spread: boolean): Iteration {
  const fn = config.fn as (...input: unknown[]) => AsyncIterable<unknown>
  let iterable: AsyncIterable<unknown>
  if (spread) iterable = config.takesNoParameters ? fn() : fn(...(item as unknown[]))
  else if (config.takesNoParameters) iterable = fn()
  else if (item instanceof Args)
    iterable = config.unpackInput ? fn(...item.values) : fn(item.values)
  else iterable = fn(item)
  const iterator = iterable as unknown as Iteration
  if (typeof iterator?.next === 'function') return iterator
  if (typeof iterable?.[Symbol.asyncIterator] === 'function')
    return iterable[Symbol.asyncIterator]()
  throw new TypeError(`node '${config.name}' returned ${String(iterable)}, not an async iterable`)
}

function makeQueue(config: GraphNode): AsyncQueue<unknown, unknown> {
  const given = config.queue
  if (given === undefined) return new AsyncQueue(config.queueSize)
  const queue = (typeof given === 'function' ? given() : given) as AsyncQueue<unknown, unknown>
  if (!(queue instanceof AsyncQueue)) {
    throw new TypeError(
      `node '${config.name}': its "queue" must be an AsyncQueue (subclass) instance`,
    )
  }
  checkQueueSeam(queue, config.name)
  return queue
}

/** The queues of the runs in progress. */
const queuesInUse = new WeakSet<AsyncQueue<unknown, unknown>>()
