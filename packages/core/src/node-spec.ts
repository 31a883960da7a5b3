import type { AsyncQueue } from './async-queue.js'

/** Something to log to: `console`, pino, winston, ... */
export interface Logger {
  /** Data-flow lines. */
  info(message: string): void
  /** Node errors with their stack, halts. */
  error(message: string): void
}

/** What a node's `open()` gets for the run it is opened for. */
export interface NodeContext {
  /** The node's name in the graph. */
  readonly name: string
  /** Aborted when the run halts or is aborted: pass it to requests and long waits. */
  readonly signal: AbortSignal
  /** The executor's logger. */
  readonly logger: Logger
}

/** Options of a node, given to `addNode` or as a {@link NodeSpec}'s defaults. */
export interface NodeOptions {
  /** The node's name, unique in the graph. @default the function's name */
  name?: string
  /** Stop the whole run at this node's first unhandled error. @default false */
  haltOnException?: boolean
  /** Spread `args(...)` items into the function's parameters. @default true */
  unpackInput?: boolean
  /** How many calls of this node run at once. @default 1 */
  maxTasks?: number
  /**
   * The queue in front of this node, an {@link AsyncQueue} (subclass) instance or a function
   * that makes one per run. @default a FIFO `AsyncQueue` of `queueSize` items
   */
  queue?: AsyncQueue<never, unknown> | (() => AsyncQueue<never, unknown>)
  /** The bound of the default queue: upstream nodes wait while it is full. @default 10_000 */
  queueSize?: number
  /** Check that the function is an async generator function. @default true */
  checkAsyncGen?: boolean
}

/** The function a node runs: called once per item, it yields zero or more items. */
export type NodeFunction<In extends unknown[] = never[], Out = unknown> = (
  ...input: In
) => AsyncIterable<Out>

/**
 * A node made by a connector factory (`httpSource(...)`, `csvSink(...)`): the function plus
 * a lifecycle. `addNode(spec, options?)` accepts it; `options` override `spec.options`.
 *
 * For every run, `open()` is called once before the node's first call and `close()` once
 * after the node is done, whether the run ended normally, halted, was aborted or failed.
 * A sink flushes and commits in `close()`: when `execute()` resolves, what it accepted is stored.
 */
export interface NodeSpec<In extends unknown[] = never[], Out = unknown> {
  /** The default node name. */
  name: string
  /** Called once per item (or once with the start args for a start node). */
  fn: NodeFunction<In, Out>
  /** Opens files, clients, databases: once per run, before the first call. */
  open?(context: NodeContext): Promise<void> | void
  /** Flushes and releases: once per run, after the node is done, in every outcome. */
  close?(): Promise<void> | void
  /** Defaults the user may override in `addNode`. */
  options?: Omit<NodeOptions, 'name'>
}
