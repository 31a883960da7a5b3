import type { ExecutionFailedError } from './errors.js'
import type { Logger } from './node-spec.js'
import type { CheckpointOptions } from './resume.js'
import type { Placement } from './run-node.js'
import type { StartNode } from './start-node.js'
import type { PositionStored } from './work-tracking.js'

/** Per-node counts of a run. */
export interface NodeStats {
  /**
   * Items its source nodes put into this node's queue, including ones a halt or an abort
   * dropped before the node took them (the start call and pre-loaded items are not counted).
   */
  in: number
  /** Items this node yielded. */
  out: number
  /** Unhandled errors in this node: failed calls, throws while iterating, failed open/close. */
  err: number
}

/** `{ [node]: { in, out, err } }` */
export type DataFlowStats = Record<string, NodeStats>

/** `{ [node]: Error[] }`, the newest `maxExceptions` errors of each node. */
export type NodeExceptions = Record<string, Error[]>

/** What `execute()` resolves with: a snapshot, yours to keep or change. */
export interface ExecutionReport {
  /** True when no node raised an error and the run neither halted nor was aborted. */
  ok: boolean
  /** Per-node counts. */
  dataFlowStats: DataFlowStats
  /** The newest `maxExceptions` errors of each node. */
  exceptions: NodeExceptions
  /** True when a node with `haltOnException` (or the graph's) stopped the run. */
  halted: boolean
  /** True when the `signal` given to `execute()` stopped the run. */
  aborted: boolean
  /** The node whose error halted the run, if it halted. */
  haltedBy: string | undefined
  /**
   * A resumed run (`checkpoints`): per node, the items not put into its queue because every
   * sink the node leads to had stored them in an earlier run (`{}` for any other run).
   */
  skipped: Record<string, number>
  /** Wall-clock duration of the run. */
  durationMs: number
}

/** Options of an `AsyncExecutor`. */
export interface AsyncExecutorOptions {
  /** Where node errors and data-flow lines go. @default console */
  logger?: Logger
  /** How many errors to keep per node, the newest. @default 1000 */
  maxExceptions?: number
  /** Milliseconds between `progress` events while a run lasts. @default 500 */
  progressInterval?: number
}

/** Options of `execute()`. */
export interface ExecuteOptions {
  /**
   * The start nodes and the arguments each is called with, spread:
   * `{ fetch: ['https://...'] }` calls `fetch('https://...')`. By name the arguments are not
   * type-checked; `[startNode(fetchRef, 'https://...')]` checks them against the function.
   * @default every node with no incoming edge, called with no arguments
   */
  startNodes?: Record<string, unknown[]> | readonly StartNode[]
  /** Aborting it stops the run like a halt, with `report.aborted` true. */
  signal?: AbortSignal
  /**
   * Reject, once every node is closed, with an {@link ExecutionFailedError} (an
   * `AggregateError` of the kept exceptions, `report` attached) when any node raised an
   * error. An abort without node errors still resolves. @default false
   */
  rejectOnError?: boolean
  /**
   * Track work (see "Work tracking" in the README): the lineage of items is followed from
   * their origins to the sinks' commits. Also on, whatever this says, when a queue's
   * `tracksWork` is true or a `position-stored` listener is registered when the run starts.
   * @default false
   */
  tracking?: boolean
  /**
   * Makes the load resumable (see "Resumable loads" in the README): tracks work, saves per
   * source node and per sink the last position the sink stored in `store` under `key`, and
   * when the store has a state, resumes from it (a source's `open()` gets
   * `context.resumeFrom`; a sink that is ahead skips what it already stored).
   * @default undefined (nothing saved, nothing resumed)
   */
  checkpoints?: CheckpointOptions
  /**
   * Runs part of the graph here (one process of a graph spread over several): only
   * `placement.local` nodes run; a local node with a remote upstream reads from
   * `inboundQueue(node)`, and local nodes put items for a remote node into
   * `outboundQueue(node)` (see "Running part of a graph" in the README). The default start
   * nodes are the local nodes without incoming edges.
   * @default every node runs here
   */
  placement?: Placement
}

/** Options of `turnOnDataFlowLogging()`. */
export interface DataFlowLoggingOptions {
  /**
   * One line per node; placeholders `{node}`, `{in}`, `{out}`, `{err}`.
   * @default " {node} - in={in}, out={out}, err={err}"
   */
  nodeFormat?: string
  /** Only these nodes are logged. @default every node */
  nodeFilter?: Iterable<string>
  /** Seconds between two logs while the run lasts; one more is written at the end. @default 60 */
  timeInterval?: number
  /** Where the lines go (`logger.info`). @default the executor's logger */
  logger?: Logger
}

/** The events an executor emits, with what each listener gets. */
export interface ExecutorEvents {
  /** The run starts, with its start nodes. */
  'run-start': { startNodes: Record<string, unknown[]> }
  /** A node's workers start. */
  'node-start': { node: string }
  /** A node raised an unhandled error (it is counted and kept, the run goes on unless halting). */
  'node-error': { node: string; error: Error }
  /** A node is done and closed. */
  'node-end': { node: string; stats: NodeStats }
  /** Every `progressInterval` ms while the run lasts: a snapshot of the counts for a progress display. */
  progress: { dataFlowStats: DataFlowStats; elapsedMs: number }
  /**
   * A tracked run: a sink committed every item derived from a unit of a source's output (the
   * items it yielded before a `checkpoint(position)`) and from every earlier unit of that
   * node. Per sink, the positions come in the order the node yielded them, none skipped; a
   * unit with a failed call stops that node's frontier (it never passes it in this run).
   */
  'position-stored': PositionStored
  /** The run is over. */
  'run-end': ExecutionReport
}

/** The names of {@link ExecutorEvents}. */
export type ExecutorEventName = keyof ExecutorEvents
