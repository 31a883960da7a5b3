import type { AsyncQueue } from './async-queue.js'
import type { CheckpointStore } from './checkpoint-store.js'

/** Something to log to: `console`, pino, winston, ... */
export interface Logger {
  /** Data-flow lines. */
  info(message: string): void
  /** Node errors with their stack, halts. */
  error(message: string): void
  /** Misuse the run recovered from (a queue's `end()` that did not end it). @default `error` */
  warn?(message: string): void
}

/** What a node's `open()` and `close()` get for the run. */
export interface NodeContext {
  /** The node's name in the graph. */
  readonly name: string
  /**
   * In `open()`: the run's signal, aborted when the run halts or is aborted; pass it to the
   * node's requests and long waits. Do not keep it for the final flush: in `close()` the
   * context carries a signal of its own that the executor never aborts, so a sink can pass
   * `context.signal` to what it flushes and commits there.
   */
  readonly signal: AbortSignal
  /** The executor's logger. */
  readonly logger: Logger
  /**
   * For a node whose spec sets `commits: true`, in a run that tracks work (see "Work
   * tracking" in the README): call it before a durable write of everything the node accepted
   * so far (every call that has returned) and call the returned `done()` once that write is
   * durable; the origins of those items may then be done. `done(error)` says the write failed:
   * their origins fail. What is still uncommitted when `close()` resolves (commits begun and
   * not done too) is committed then. Calling `done` again does nothing. In any other run it
   * returns a no-op.
   */
  beginCommit(): CommitDone
  /**
   * In `open()` of a run with `checkpoints` (see "Resumable loads" in the README), for a node
   * that yields `checkpoint()` markers (a start node, a spec with `checkpoints`): the position
   * to restart after, the one of the sink that is furthest behind; `undefined` when some sink
   * stored nothing yet (start from the beginning). Absent in other runs.
   */
  readonly resumeFrom?: unknown
  /**
   * In `open()` of a run with `checkpoints`, for the same nodes as `resumeFrom`: the position
   * of every sink that stored something (a sink ahead skips the units it has by number, even
   * when `resumeFrom` is `undefined` because another sink stored nothing yet). A source checks
   * them to refuse a state saved for another request or file instead of starting over.
   */
  readonly savedPositions?: readonly unknown[]
  /**
   * In `open()` of a sink whose spec has `savePoint`, in a run with `checkpoints` that resumes a
   * saved state: what `savePoint()` returned when the sink's position now saved was stored (a
   * CSV file's size, a table's last row id), so the sink can drop what it wrote past it.
   * Absent when the sink has no saved position (it starts from the beginning).
   */
  readonly savedPoint?: unknown
  /**
   * In a run with `checkpoints`, for every node: the run's checkpoint store (a sink writing to
   * the database the store keeps its state in can write the state in its own transactions).
   * Absent in other runs.
   */
  readonly checkpointStore?: CheckpointStore
}

/**
 * What `context.beginCommit()` returns: call it once the write is durable (`done()`), or with
 * the error that failed it (`done(error)`).
 */
export interface CommitDone {
  (error?: unknown): void
  /**
   * For a sink whose write is a transaction in the database of a store with `putSync` (the
   * SQLite checkpoint store): writes the run's state as it will be once this commit is done,
   * through the store's `putSync`. Call it as the last statement inside the transaction, then
   * `done()` after the transaction committed: the saved positions commit with the rows, and a
   * rollback takes both back. It throws what `putSync` throws (roll back, then `done(error)`).
   * Does nothing in a run without `checkpoints` or with a store that has no `putSync`.
   */
  save?(): void
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
  /**
   * Check that the function is an async generator function. Turn it off for a wrapper; a
   * function that declares no parameters is called with none, unless its source uses
   * `arguments` (`function traced() { return inner.apply(this, arguments) }`). @default true
   */
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
  /**
   * Flushes and releases: once per run, after the node is done, in every outcome. The executor
   * always passes a context, whose signal is not aborted, even after a halt or an abort.
   */
  close?(context?: NodeContext): Promise<void> | void
  /** Defaults the user may override in `addNode`. */
  options?: Omit<NodeOptions, 'name'>
  /**
   * The node commits what it accepts later than the call returns (a sink that buffers rows
   * and writes them in a transaction): in a run that tracks work, the items of its returned
   * calls stay held until `context.beginCommit()`'s `done()` or until `close()` resolves.
   * Without it a call's items are stored when the call returns. @default false
   */
  commits?: boolean
  /**
   * Every call of the node may yield `checkpoint(position)` markers (a node downstream of
   * others that reads pages per item). A start call may always yield them. @default false
   */
  checkpoints?: boolean
  /**
   * A sink (`commits: true`) that keeps data with its saved positions (see "Resumable loads"
   * in the README): in a run with `checkpoints`, each time the state saves this sink's position,
   * it stores what `savePoint()` returns (JSON: what the sink committed so far, such as a file
   * size) with it, and a resumed run hands it back to `open()` as `context.savedPoint`. Called
   * synchronously, after a commit's `done()`; return the value as of the last commit. Such a
   * sink runs with `maxTasks: 1` and is reached by one source in a run with checkpoints, and
   * its batches end where a source's unit ends (see the README). @default undefined
   */
  savePoint?(): unknown
  /**
   * A committing node (`commits: true`) that holds items between commits (a sink buffering a
   * partial batch), in a run that tracks work: called once its queue stayed empty for
   * `idleMs` with no call of the node running, while returned calls wait for a commit. It
   * writes and commits what the node holds (through `context.beginCommit()`, as its batches
   * do), so that the positions and inbound acknowledgements waiting on those items are not
   * held until the next full batch or `close()`. Its synchronous part runs before any call
   * starts; never called in other runs, after a halt or an abort, or once the node's input
   * ended (`close()` writes the rest then). What it throws is counted as the node's error.
   * `defineSink` gives one. @default undefined
   */
  onIdle?(): Promise<void> | void
  /** How long the queue stays empty before `onIdle` is called, in ms. @default 100 */
  idleMs?: number
}
