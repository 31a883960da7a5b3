import { Args } from './args.js'
import type { AsyncGraph, GraphNode } from './async-graph.js'
import { AsyncQueue, checkQueueSeam } from './async-queue.js'
import { describeValue } from './describe-value.js'
import {
  DuplicateStartNodeError,
  ForeignNodeRefError,
  InvalidAsyncGraphError,
  QueueInUseError,
  UnknownNodeError,
} from './errors.js'
import type { NodeStats } from './executor-types.js'
import { graphOf } from './node-ref.js'
import { type OptionChecks, optionChecks } from './option-checks.js'
import { isStartNode, type StartNode } from './start-node.js'
import { makesAsyncGenerators } from './validate.js'
import type { Lineage, Origin, QueueTrack, SourceUnits } from './work-tracking.js'

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
  /**
   * The node's function when an item (other than `args(...)`) goes to it as is and it returns
   * a generator (an `async function*` with parameters, not bound or wrapped in a Proxy): the
   * workers call it without {@link startCall}'s checks.
   */
  readonly call: ((item: unknown) => Iteration) | undefined
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
  /** Tracked runs, a committing node: the lineage of commits begun and not done. */
  readonly committing: Set<Lineage[]>
  /** Tracked runs, a node with `onIdle`: calls running now, and calls begun so far. */
  running: number
  taken: number
  /** Tracked runs, a node with `onIdle`: the timer of the next idle flush, while armed. */
  idleTimer: ReturnType<typeof setTimeout> | undefined
  /** Tracked runs, a node with `onIdle`: the idle flush in progress. */
  idleFlush: Promise<void> | undefined
  /** Tracked runs: the units of output this node closed with `checkpoint()`. */
  units: SourceUnits | undefined
  /** Runs with checkpoints, a sink with a `savePoint`: the unit of the item of its current call. */
  callUnit: Origin | undefined
  /**
   * A placement's remote node that local nodes put into: its queue is the outbound queue, it
   * runs nowhere here and has no destinations (a sink of this run).
   */
  readonly remote: boolean
}

/** Where a run's nodes run: only `local` ones here; edges to and from others cross a transport. */
export interface Placement {
  /** The nodes this process runs. */
  readonly local: readonly string[]
  /**
   * The queue a local node with a remote upstream reads from. The executor calls its `end()`
   * when the node's local upstreams are done (at once when it has none); it ends once every
   * remote producer has ended too.
   */
  inboundQueue?(node: string): AsyncQueue<never, unknown>
  /**
   * The queue local nodes put items for a remote node into. It does not push: it sends, calls
   * `hold()` in `put()` and releases when the item is acknowledged. Its `end()` is called and
   * awaited when every local upstream of the node is done (flush, wait for the
   * acknowledgements, write the end marker).
   */
  outboundQueue?(node: string): AsyncQueue<never, unknown>
}

/** What a call of a node function returns, iterated by the executor. */
export type Iteration = AsyncIterator<unknown>

/** The checks of `execute`'s options: one message format (`execute option "x": expected ..., got ...`). */
const check: OptionChecks = optionChecks('execute')

/** Every node without incoming edges (that runs here), called with no arguments. */
export function defaultStartNodes(
  graph: AsyncGraph,
  local?: ReadonlySet<string>,
): Record<string, unknown[]> {
  const roots = local ? graph.rootNodes.filter((name) => local.has(name)) : graph.rootNodes
  return Object.fromEntries(roots.map((name) => [name, []]))
}

/** Checks a placement and returns its local node names. */
export function checkPlacement(graph: AsyncGraph, placement: Placement): Set<string> {
  if (typeof placement !== 'object' || placement === null || Array.isArray(placement)) {
    check.fail('placement', '{ local, inboundQueue?, outboundQueue? }', placement)
  }
  if (!Array.isArray(placement.local)) {
    check.fail('placement.local', 'an array of node names', placement.local)
  }
  const local = new Set<string>()
  for (const name of placement.local) {
    if (typeof name !== 'string' || !graph.getNode(name)) {
      throw new UnknownNodeError(
        `execute "placement.local": node '${String(name)}' is not in the graph`,
      )
    }
    local.add(name)
  }
  if (local.size === 0) {
    check.fail('placement.local', 'at least one node name', placement.local)
  }
  for (const option of ['inboundQueue', 'outboundQueue'] as const) {
    check.function(`placement.${option}`, placement[option], undefined)
  }
  return local
}

/**
 * The run's start nodes: the given ones (by name, or a list of {@link startNode}s), checked, or
 * every node without incoming edges.
 */
export function resolveStartNodes(
  graph: AsyncGraph,
  given: Record<string, unknown[]> | readonly StartNode[] | undefined,
  local?: ReadonlySet<string>,
): Record<string, unknown[]> {
  const startNodes = Array.isArray(given)
    ? fromStartNodes(graph, given as readonly StartNode[])
    : ((given as Record<string, unknown[]> | undefined) ?? defaultStartNodes(graph, local))
  if (typeof startNodes !== 'object' || startNodes === null) {
    check.fail(
      'startNodes',
      'an object of args per node or a list of startNode(ref, ...args)',
      startNodes,
    )
  }
  const entries = Object.entries(startNodes)
  // Part of a graph may have none: its nodes are fed through inbound queues.
  if (entries.length === 0 && local === undefined) {
    throw new InvalidAsyncGraphError('the graph has no start nodes')
  }
  for (const [name, values] of entries) {
    if (!graph.getNode(name)) {
      throw new UnknownNodeError(`start node '${name}' is not in the graph`)
    }
    if (!Array.isArray(values)) {
      check.fail('startNodes', `an array of args for node '${name}'`, values)
    }
  }
  return startNodes
}

function fromStartNodes(graph: AsyncGraph, given: readonly StartNode[]): Record<string, unknown[]> {
  const startNodes: Record<string, unknown[]> = {}
  for (const entry of given) {
    if (!isStartNode(entry)) {
      check.fail('startNodes', 'startNode(ref, ...args) entries', entry)
    }
    const name = entry.ref.name
    if (graphOf(entry.ref) !== graph) {
      throw new ForeignNodeRefError(
        `start node ref '${name}' was made by another graph: use the ref this graph's addNode returned`,
      )
    }
    if (Object.hasOwn(startNodes, name)) {
      throw new DuplicateStartNodeError(`start node '${name}' is given twice`)
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
export function prepareRun(
  graph: AsyncGraph,
  startNodes: Record<string, unknown[]>,
  placement?: Placement,
  local?: ReadonlySet<string>,
): RunNode[] {
  const byName = new Map<string, RunNode>()
  const owners = new Map<AsyncQueue<unknown, unknown>, string>()
  const runsHere = (name: string) => local === undefined || local.has(name)
  for (const config of graph.nodes) {
    const name = config.name
    const here = runsHere(name)
    const remote = !here && graph.sourcesOf(name).some(runsHere)
    if (!here && Object.hasOwn(startNodes, name)) {
      throw new UnknownNodeError(
        `start node '${name}' does not run here: it is not in "placement.local"`,
      )
    }
    if (!here && !remote) continue
    const startArgs = Object.hasOwn(startNodes, name) ? startNodes[name] : undefined
    const fromRemote =
      here && local !== undefined && graph.sourcesOf(name).some((n) => !runsHere(n))
    const queue = remote
      ? placedQueue(placement, 'outboundQueue', name)
      : fromRemote
        ? placedQueue(placement, 'inboundQueue', name)
        : makeQueue(config)
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
      call:
        makesAsyncGenerators(config.fn) && !config.takesNoParameters
          ? (config.fn as unknown as (item: unknown) => Iteration)
          : undefined,
      openInputs: graph.sourcesOf(config.name).filter(runsHere).length + (startArgs ? 1 : 0),
      ending: undefined,
      reach: [],
      track: undefined,
      uncommitted: [],
      committing: new Set(),
      running: 0,
      taken: 0,
      idleTimer: undefined,
      idleFlush: undefined,
      units: undefined,
      callUnit: undefined,
      remote,
    })
  }
  for (const [queue, name] of owners) {
    if (queuesInUse.has(queue)) {
      throw new QueueInUseError(
        `node '${name}': its queue instance is in use by another run; give the node a function returning a new queue (queue: () => new MyQueue()) to run the graph more than once at a time`,
      )
    }
  }
  for (const queue of owners.keys()) queuesInUse.add(queue)
  for (const node of byName.values()) {
    if (node.remote) continue
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
    // Only an instance given to addNode (not a placement's queue, nor one made by a factory).
    if (typeof node.config.queue !== 'object' || node.queue !== node.config.queue) continue
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

function placedQueue(
  placement: Placement | undefined,
  option: 'inboundQueue' | 'outboundQueue',
  node: string,
): AsyncQueue<unknown, unknown> {
  const make = placement?.[option]
  const edge = option === 'inboundQueue' ? 'a remote upstream' : 'local upstreams'
  if (make === undefined) {
    check.fail(
      `placement.${option}`,
      `a function (node) => AsyncQueue, as node '${node}' has ${edge}`,
      make,
    )
  }
  const queue = make.call(placement, node) as AsyncQueue<unknown, unknown>
  if (!(queue instanceof AsyncQueue)) {
    check.fail(
      `placement.${option}`,
      `a function returning an AsyncQueue (subclass) instance for node '${node}'`,
      queue,
      `a function that returned ${describeValue(queue)}`,
    )
  }
  checkQueueSeam(queue, node)
  return queue
}

/** The queues of the runs in progress. */
const queuesInUse = new WeakSet<AsyncQueue<unknown, unknown>>()
