import type { Args } from './args.js'
import { AsyncQueue, checkQueueSeam } from './async-queue.js'
import { describeValue } from './describe-value.js'
import {
  DuplicateNodeError,
  ForeignNodeRefError,
  InvalidAsyncGraphError,
  UnknownNodeError,
} from './errors.js'
import {
  type Accepts,
  type AnyNodeRef,
  createNodeRef,
  type EdgeContext,
  graphOf,
  type InputMode,
  isNodeRef,
  type NodeRef,
} from './node-ref.js'
import type { NodeContext, NodeFunction, NodeOptions, NodeSpec } from './node-spec.js'
import { checkNodeOptions, isAsyncGeneratorFunction, takesNoParameters } from './validate.js'
import type { Checkpoint } from './work-tracking.js'

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
  readonly close: ((context?: NodeContext) => Promise<void> | void) | undefined
  /** True when the function declares no parameters: it is called with none. */
  readonly takesNoParameters: boolean
  /** The spec's `commits`: its calls' items are stored at its commits, not when calls return. */
  readonly commits: boolean
  /** The spec's `checkpoints`: every call may close units of output with `checkpoint()`. */
  readonly checkpoints: boolean
  /** The spec's `savePoint`: data a sink keeps with its saved positions. */
  readonly savePoint: (() => unknown) | undefined
}

/** A node function or a connector's {@link NodeSpec}. */
export type NodeSource<In extends unknown[], Out> = NodeFunction<In, Out> | NodeSpec<In, Out>

/**
 * What `addNode` takes as its source. The function's parameters are compared bivariantly
 * here (they are checked where it matters, on the edges), so that a wrong option is what the
 * compiler's first line names, not the function.
 */
type NodeSourceArgument<In extends unknown[], Out> =
  | { bivarianceHack(...input: In): AsyncIterable<Out> }['bivarianceHack']
  | NodeSpec<In, Out>

/** How `addEdge` names a node: its ref (made by a graph of type id `Graph`), its name, or its function. */
export type NodeKey<Graph = unknown> =
  | NodeRef<never, unknown, InputMode, Graph>
  | string
  | NodeFunction<never[], unknown>

/** The queue option's item types, `never` when there is no queue. */
type QueueTypes<Queue> =
  Queue extends AsyncQueue<infer QueueIn, infer QueueOut>
    ? [QueueIn, QueueOut]
    : Queue extends () => AsyncQueue<infer QueueIn, infer QueueOut>
      ? [QueueIn, QueueOut]
      : never

/** The input mode the options give: `false` passes `args(...)` whole. */
type ModeOf_<Options> = Options extends { unpackInput: false }
  ? 'whole'
  : Options extends { unpackInput?: true | undefined }
    ? 'unpack'
    : 'unpack' | 'whole'

/** True when the options may carry a queue whose type is not known (a `NodeOptions` variable). */
type MaybeQueue<Options> = 'queue' extends keyof Options
  ? [Exclude<Options[keyof Options & 'queue'], undefined>] extends [never]
    ? false
    : undefined extends Options[keyof Options & 'queue']
      ? true
      : false
  : false

/** The ref `addNode` returns for these options. */
export type RefOf<In extends unknown[], Yielded, Options, Graph = unknown> = RefOf_<
  In,
  Exclude<Yielded, Checkpoint>,
  Options,
  Graph
>

type RefOf_<In extends unknown[], Out, Options, Graph> =
  MaybeQueue<Options> extends true
    ? NodeRef<[never], Out, 'queue', Graph>
    : Options extends { queue: infer Queue }
      ? [QueueTypes<Queue>] extends [[infer QueueIn, unknown]]
        ? NodeRef<[QueueIn], Out, 'queue', Graph>
        : NodeRef<In, Out, ModeOf_<Options>, Graph>
      : NodeRef<In, Out, ModeOf_<Options>, Graph>

/** Shown by the compiler when a custom queue delivers items the node's function does not take. */
export interface QueueTypeMismatch<Delivers, Accepted> {
  readonly 'graphflow: the queue delivers items the node does not accept': {
    readonly delivers: Delivers
    readonly accepts: Accepted
  }
}

/**
 * Whether what a queue delivers fits the function: as on an edge, except that `args(...)` of
 * a list whose length is only known at run time (`Args<number[]>`) fits any number of
 * parameters of its element type.
 */
type QueueFits<QueueOut, In extends unknown[], Mode extends InputMode> =
  QueueOut extends Args<infer Values>
    ? number extends Values['length']
      ? 'unpack' extends Mode
        ? [Values[number]] extends [In[number]]
          ? true
          : false
        : Accepts<QueueOut, In, Mode>
      : Accepts<QueueOut, In, Mode>
    : Accepts<QueueOut, In, Mode>

/** Unknown option names and a queue whose output does not fit the function become errors. */
export type CheckedOptions<In extends unknown[], Options> = {
  [Key in Exclude<keyof Options, keyof NodeOptions>]: never
} & (Options extends { queue: infer Queue }
  ? [QueueTypes<Queue>] extends [[unknown, infer QueueOut]]
    ? QueueFits<QueueOut, In, ModeOf_<Options>> extends true
      ? unknown
      : { queue: QueueTypeMismatch<QueueOut, In> }
    : unknown
  : unknown)

/** A custom queue for a node: an instance, or a function that makes one per run. */
export type QueueFactory<QueueIn, QueueOut = unknown> =
  | AsyncQueue<QueueIn, QueueOut>
  | (() => AsyncQueue<QueueIn, QueueOut>)

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
export class AsyncGraph<Graph = unknown> {
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
   * its typed {@link NodeRef}. With a custom `queue`, the ref accepts what the queue accepts,
   * and what the queue delivers must fit the function's parameters. Options held in a variable
   * typed `NodeOptions` may carry a queue: such a ref accepts no typed edge (give the options
   * inline, or type the variable `Omit<NodeOptions, 'queue'>`).
   */
  addNode<In extends unknown[], Out, const Options extends NodeOptions = {}>(
    source: NodeSourceArgument<In, Out>,
    options?: Options & CheckedOptions<In, Options>,
  ): RefOf<In, Out, Options, Graph>
  addNode(source: NodeSource<never[], unknown>, options: NodeOptions = {}): AnyNodeRef {
    const spec = typeof source === 'function' ? undefined : source
    const fn = typeof source === 'function' ? source : source?.fn
    const merged: NodeOptions = { ...spec?.options, ...options }
    checkNodeOptions(merged)
    const name = merged.name ?? spec?.name ?? (typeof fn === 'function' ? fn.name : '')
    if (typeof fn !== 'function') {
      const culprit = name ? `node '${name}' isn't an async generator function` : 'addNode'
      throw new TypeError(
        `${culprit}: expected an async generator function or a NodeSpec, got ${describeValue(source)}`,
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
      throw new DuplicateNodeError(`node '${name}' already exists in the graph`)
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
      commits: spec?.commits === true,
      checkpoints: spec?.checkpoints === true,
      savePoint: spec?.savePoint?.bind(spec),
    })
    this.#destinations.set(name, [])
    this.#sources.set(name, [])
    return createNodeRef(name, this)
  }

  /**
   * Adds an edge: every item `source` yields goes to `destination`'s queue. With two refs the
   * compiler checks that the types fit; names and functions are checked at run time only.
   * Adding an edge twice is a no-op; an edge that closes a cycle throws and is not added; a
   * ref made by another graph throws (and does not compile when the graphs have distinct
   * type ids: `new AsyncGraph<'orders'>()`).
   */
  addEdge<Source extends NodeKey<Graph>, Destination extends NodeKey<Graph>>(
    this: EdgeContext<this, Source, Destination>,
    source: Source,
    destination: Destination,
  ): this
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
    else if (isNodeRef(key)) {
      if (graphOf(key) !== this) {
        throw new ForeignNodeRefError(
          `${role === 'src' ? 'source' : 'destination'} node ref '${key.name}' was made by another graph: use the ref this graph's addNode returned`,
        )
      }
      name = key.name
    } else if (typeof key === 'function') {
      name = [...this.#nodes.values()].find((node) => node.fn === key)?.name ?? key.name
    }
    if (name === undefined || !this.#nodes.has(name)) {
      const role_ = role === 'src' ? 'source' : 'destination'
      throw new UnknownNodeError(
        `${role_} node '${name ?? describeValue(key)}' is not in the graph`,
      )
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
