import { AsyncQueue, checkQueueSeam } from './async-queue.js'
import { GraphflowError, InvalidAsyncGraphError } from './errors.js'
import {
  type AnyNodeRef,
  createNodeRef,
  type EdgeCheck,
  isNodeRef,
  type NodeRef,
} from './node-ref.js'
import type { NodeContext, NodeFunction, NodeOptions, NodeSpec } from './node-spec.js'
import { checkNodeOptions, isAsyncGeneratorFunction, takesNoParameters } from './validate.js'

/** Options of an {@link AsyncGraph}. */
export interface AsyncGraphOptions {
  /** Stop the whole run at the first unhandled error in any node. @default false */
  haltOnException?: boolean
}

/** A node of a graph as {@link AsyncGraph.nodes} lists it. */
export interface GraphNode {
  /** The node's unique name. */
  readonly name: string
  /** The function called once per item. */
  readonly fn: NodeFunction<never[], unknown>
  /** Stop the whole run at this node's first unhandled error. */
  readonly haltOnException: boolean
  /** Spread `args(...)` items into the parameters. */
  readonly unpackInput: boolean
  /** How many calls run at once. */
  readonly maxTasks: number
  /** The custom queue (or its factory), if any. */
  readonly queue: AsyncQueue<never, unknown> | (() => AsyncQueue<never, unknown>) | undefined
  /** The bound of the default queue. */
  readonly queueSize: number
  /** Whether `fn` was checked to be an async generator function. */
  readonly checkAsyncGen: boolean
  /** The spec's `open`, for nodes added from a {@link NodeSpec}. */
  readonly open: ((context: NodeContext) => Promise<void> | void) | undefined
  /** The spec's `close`, for nodes added from a {@link NodeSpec}. */
  readonly close: ((context: NodeContext) => Promise<void> | void) | undefined
  /** True when the function declares no parameters: it is called with none. */
  readonly takesNoParameters: boolean
}

/** A node function or a connector's {@link NodeSpec}. */
export type NodeSource<In extends unknown[], Out> = NodeFunction<In, Out> | NodeSpec<In, Out>

/** How `addEdge` names a node: its ref, its name, or its function. */
export type NodeKey = AnyNodeRef | string | NodeFunction<never[], unknown>

/** A custom queue for a node: an instance, or a function that makes one per run. */
export type QueueFactory<QueueIn> =
  | AsyncQueue<QueueIn, unknown>
  | (() => AsyncQueue<QueueIn, unknown>)

const DEFAULT_QUEUE_SIZE = 10_000

/**
 * A directed acyclic graph of async generator functions.
 *
 * @example
 * ```ts
 * const graph = new AsyncGraph()
 * const numbers = graph.addNode(async function* numbers() { yield* [1, 2, 3] })
 * const double = graph.addNode(async function* double(n: number) { yield n * 2 })
 * graph.addEdge(numbers, double)
 * ```
 */
export class AsyncGraph {
  /** Graph-wide halt at the first unhandled error. */
  readonly haltOnException: boolean
  #nodes = new Map<string, GraphNode>()
  #destinations = new Map<string, string[]>()
  #sources = new Map<string, string[]>()

  constructor(options: AsyncGraphOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`AsyncGraph options: expected an object, got ${String(options)}`)
    }
    this.haltOnException = options.haltOnException ?? false
  }

  /**
   * Adds a node from an async generator function or a connector's {@link NodeSpec} and returns
   * its typed {@link NodeRef}. With a custom `queue`, the ref accepts what the queue accepts.
   */
  addNode<In extends unknown[], Out, QueueIn>(
    source: NodeSource<In, Out>,
    options: NodeOptions & { queue: QueueFactory<QueueIn> },
  ): NodeRef<[QueueIn], Out, 'queue'>
  addNode<In extends unknown[], Out>(
    source: NodeSource<In, Out>,
    options: NodeOptions & { unpackInput: false },
  ): NodeRef<In, Out, 'whole'>
  addNode<In extends unknown[], Out>(
    source: NodeSource<In, Out>,
    options?: NodeOptions & { unpackInput?: true },
  ): NodeRef<In, Out, 'unpack'>
  addNode<In extends unknown[], Out>(
    source: NodeSource<In, Out>,
    options: NodeOptions,
  ): NodeRef<In, Out, 'unpack' | 'whole'>
  addNode(source: NodeSource<never[], unknown>, options: NodeOptions = {}): AnyNodeRef {
    const spec = typeof source === 'function' ? undefined : source
    const fn = typeof source === 'function' ? source : source?.fn
    const merged: NodeOptions = { ...spec?.options, ...options }
    checkNodeOptions(merged)
    const name = merged.name ?? spec?.name ?? (typeof fn === 'function' ? fn.name : '')
    if (typeof fn !== 'function') {
      const culprit = name ? `node '${name}' isn't an async generator function` : 'addNode'
      throw new TypeError(
        `${culprit}: expected an async generator function or a NodeSpec, got ${describe(source)}`,
      )
    }
    if (!name) {
      throw new TypeError('addNode: an anonymous function needs a name: addNode(fn, { name })')
    }
    if ((merged.checkAsyncGen ?? true) && !isAsyncGeneratorFunction(fn)) {
      throw new TypeError(`node '${name}' isn't an async generator function`)
    }
    if (merged.queue instanceof AsyncQueue) checkQueueSeam(merged.queue, name)
    if (this.#nodes.has(name)) {
      throw new GraphflowError(`node '${name}' already exists in the graph`, {
        code: 'DUPLICATE_NODE',
      })
    }
    this.#nodes.set(name, {
      name,
      fn,
      haltOnException: merged.haltOnException ?? false,
      unpackInput: merged.unpackInput ?? true,
      maxTasks: merged.maxTasks ?? 1,
      queue: merged.queue,
      queueSize: merged.queueSize ?? DEFAULT_QUEUE_SIZE,
      checkAsyncGen: merged.checkAsyncGen ?? true,
      open: spec?.open?.bind(spec),
      close: spec?.close?.bind(spec),
      takesNoParameters: takesNoParameters(fn),
    })
    this.#destinations.set(name, [])
    this.#sources.set(name, [])
    return createNodeRef(name)
  }

  /**
   * Adds an edge: every item `source` yields goes to `destination`'s queue. With two refs the
   * compiler checks that the types fit; names and functions are checked at run time only.
   * Adding an edge twice is a no-op; an edge that closes a cycle throws and is not added.
   */
  addEdge<Source extends AnyNodeRef, Destination extends AnyNodeRef>(
    source: Source,
    destination: Destination & EdgeCheck<Source, Destination>,
  ): this
  addEdge(source: Exclude<NodeKey, AnyNodeRef>, destination: NodeKey): this
  addEdge(source: NodeKey, destination: Exclude<NodeKey, AnyNodeRef>): this
  addEdge(source: NodeKey, destination: NodeKey): this {
    const from = this.#resolve(source, 'src')
    const to = this.#resolve(destination, 'dst')
    const destinations = this.#destinations.get(from) as string[]
    if (destinations.includes(to)) return this
    const path = this.#findPath(to, from)
    if (path) {
      throw new InvalidAsyncGraphError(
        `adding the edge '${from}' -> '${to}' makes a cycle: ${[from, ...path].join(' -> ')}`,
      )
    }
    destinations.push(to)
    ;(this.#sources.get(to) as string[]).push(from)
    return this
  }

  /** The nodes in the order they were added. */
  get nodes(): GraphNode[] {
    return [...this.#nodes.values()]
  }

  /** The edges as `[source, destination]` name pairs. */
  get edges(): [string, string][] {
    const edges: [string, string][] = []
    for (const [from, destinations] of this.#destinations) {
      for (const to of destinations) edges.push([from, to])
    }
    return edges
  }

  /** Each node's destinations, nodes in insertion order. */
  get nodesToEdges(): Record<string, string[]> {
    return Object.fromEntries(
      [...this.#destinations].map(([name, destinations]) => [name, [...destinations]]),
    )
  }

  /** A node by name, if present. */
  getNode(name: string): GraphNode | undefined {
    return this.#nodes.get(name)
  }

  /** The names of the nodes that feed `name`. */
  sourcesOf(name: string): readonly string[] {
    return this.#sources.get(name) ?? []
  }

  /** The names of the nodes `name` feeds. */
  destinationsOf(name: string): readonly string[] {
    return this.#destinations.get(name) ?? []
  }

  /** The nodes no edge leads into, in insertion order. */
  get rootNodes(): string[] {
    return [...this.#sources].filter(([, sources]) => sources.length === 0).map(([name]) => name)
  }

  /** The graph as a mermaid `flowchart LR`, ready for a README or mermaid.live. */
  toMermaid(): string {
    const ids = new Map([...this.#nodes.keys()].map((name, index) => [name, `n${index}`]))
    const lines = ['flowchart LR']
    for (const node of this.#nodes.values()) {
      const tasks = node.maxTasks > 1 ? ` ×${node.maxTasks}` : ''
      lines.push(`  ${ids.get(node.name)}["${escapeMermaid(node.name)}${tasks}"]`)
    }
    for (const [from, to] of this.edges) lines.push(`  ${ids.get(from)} --> ${ids.get(to)}`)
    return lines.join('\n')
  }

  #resolve(key: NodeKey, role: 'src' | 'dst'): string {
    let name: string | undefined
    if (typeof key === 'string') name = key
    else if (isNodeRef(key)) name = key.name
    else if (typeof key === 'function') {
      name = [...this.#nodes.values()].find((node) => node.fn === key)?.name ?? key.name
    }
    if (name === undefined || !this.#nodes.has(name)) {
      const role_ = role === 'src' ? 'source' : 'destination'
      throw new GraphflowError(`${role_} node '${name ?? describe(key)}' is not in the graph`, {
        code: 'UNKNOWN_NODE',
      })
    }
    return name
  }

  /** A path of names from `from` to `to` (both included), if there is one. */
  #findPath(from: string, to: string): string[] | undefined {
    const seen = new Set<string>()
    const visit = (name: string): string[] | undefined => {
      if (name === to) return [name]
      if (seen.has(name)) return undefined
      seen.add(name)
      for (const next of this.#destinations.get(name) ?? []) {
        const rest = visit(next)
        if (rest) return [name, ...rest]
      }
      return undefined
    }
    return visit(from)
  }
}

function escapeMermaid(text: string): string {
  return text.replace(/"/g, '#quot;')
}

function describe(value: unknown): string {
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`
  if (typeof value === 'string') return `'${value}'`
  return value === null ? 'null' : typeof value
}
