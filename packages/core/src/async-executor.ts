import { Args } from './args.js'
import { AsyncGraph } from './async-graph.js'
import { AsyncQueue, ATTACH_TRACK, NEXT_TRACKED, QUEUE_EMPTY, ROOM } from './async-queue.js'
import { type DataFlowLogging, dataFlowLogging, logDataFlow } from './data-flow-logging.js'
import { describeValue } from './describe-value.js'
import {
  AlreadyRunningError,
  CheckpointStoreError,
  ExecutionFailedError,
  toError,
} from './errors.js'
import { TypedEmitter } from './event-emitter.js'
import type {
  AsyncExecutorOptions,
  DataFlowLoggingOptions,
  DataFlowStats,
  ExecuteOptions,
  ExecutionReport,
  ExecutorEvents,
  NodeExceptions,
} from './executor-types.js'
import type { CommitDone, Logger, NodeContext } from './node-spec.js'
import { optionChecks } from './option-checks.js'
import {
  type CheckpointOptions,
  checkCheckpointOptions,
  loadState,
  ownEntry,
  type ResumeState,
  StateWriter,
  savePointSinks,
} from './resume.js'
import {
  checkPlacement,
  defaultStartNodes,
  type Iteration,
  prepareRun,
  type RunNode,
  releaseQueues,
  resolveStartNodes,
  startCall,
} from './run-node.js'
import { runBegan, runEnded, startTicker, tickerLive, tickSeen, ticks } from './ticker.js'
import {
  CALL_UNIT,
  Checkpoint,
  distinct,
  type Lineage,
  type Origin,
  QueueTrack,
  Tracker,
  unitToken,
} from './work-tracking.js'

/** Longest stretch of work between two turns of the event loop (timers, I/O, an abort). */
const YIELD_EVERY_MS = 16
/**
 * Most ticks (items taken, values yielded) between two reads of the clock. It bounds how late
 * a timer fires when the cost per tick jumps (thousands of fast items, then slow ones): at most
 * this many slow ticks run before the clock is read again.
 */
const MAX_STRIDE = 8
/** The longest delay a timer takes: beyond it Node fires every millisecond. */
const MAX_TIMER_MS = 2_147_483_647
/** The ticker's counter, as a module constant: the hot path reads it once per step. */
const TICKS = ticks
/** {@link AsyncExecutor.#seen} while the ticker does not run: the counter is never negative. */
const NOT_TICKING = -1
const noCommit = (): ((error?: unknown) => void) => () => {}
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (globalThis.setImmediate ?? setTimeout)(resolve))

/**
 * Runs an {@link AsyncGraph}: one bounded queue and `maxTasks` workers per node, items flowing
 * along the edges until no data is left anywhere.
 *
 * @example
 * ```ts
 * const executor = new AsyncExecutor(graph)
 * const report = await executor.execute()
 * console.log(report.dataFlowStats) // { numbers: { in: 0, out: 3, err: 0 }, ... }
 * ```
 */
export class AsyncExecutor extends TypedEmitter<ExecutorEvents> {
  /** The graph this executor runs. */
  readonly graph: AsyncGraph
  #logger: Logger
  #maxExceptions: number
  #progressInterval: number
  #logging: DataFlowLogging | undefined
  #nodes: RunNode[] | undefined
  #usedStartNodes: Record<string, unknown[]> | undefined
  #running = false
  /** Set when the run halts or is aborted; read on the hot path as `#stopped`. */
  #stopped = false
  #stopReason: 'halted' | 'aborted' | undefined
  #haltedBy: string | undefined
  #controller = new AbortController()
  /** Releases the waits on custom queues when the run halts or is aborted. */
  #stopWaiters = new Set<() => void>()
  /** When the workers last let the event loop run. */
  #lastYield = 0
  /**
   * The value of the shared {@link ticks} counter the workers saw last, always passed to
   * `tickSeen` (the thread waits for that before it ticks again); `NOT_TICKING` (never
   * equal) while the counter does not advance: then every step counts down to a read of the
   * clock.
   */
  #seen = NOT_TICKING
  /** When the clock was last read, and how many steps until it is read again. */
  #lastCheck = 0
  #countdown = 1
  #stride = 1
  /** Set for a run that tracks work. */
  #tracker: Tracker | undefined
  /** Set for a run with `checkpoints`: writes the state as positions are stored. */
  #writer: StateWriter | undefined
  /** A resumed run: per node, what its `open()` gets as `resumeFrom`. */
  #resumeFrom = new Map<string, unknown>()
  /** A resumed run: per node, every position saved for its sinks (its `savedPositions`). */
  #savedPositions = new Map<string, unknown[]>()
  /** A resumed run: per node, the items not put into its queue (its sinks had them). */
  #skipped: Record<string, number> = {}
  /** A run with checkpoints: each sink with a `savePoint`, and the node whose units reach it. */
  #savePoints = new Map<RunNode, RunNode>()
  /** A resumed run: per sink with a `savePoint` and a saved entry, that entry's data. */
  #savedPoints = new Map<string, unknown>()
  #checkpoints: Required<CheckpointOptions> | undefined

  constructor(graph: AsyncGraph, options: AsyncExecutorOptions = {}) {
    super()
    if (!(graph instanceof AsyncGraph)) {
      throw new TypeError(
        `AsyncExecutor: expected an AsyncGraph instance, got ${describeValue(graph)}`,
      )
    }
    const check = optionChecks('AsyncExecutor')
    check.object(options)
    const { logger = console, progressInterval = 500 } = options
    const maxExceptions = check.integer('maxExceptions', options.maxExceptions, 1000, { min: 0 })
    if (
      !(
        typeof progressInterval === 'number' &&
        progressInterval > 0 &&
        progressInterval <= MAX_TIMER_MS
      )
    ) {
      check.fail('progressInterval', `ms > 0 and <= ${MAX_TIMER_MS}`, progressInterval)
    }
    this.graph = graph
    this.#logger = logger
    this.#maxExceptions = maxExceptions
    this.#progressInterval = progressInterval
  }

  /**
   * A snapshot of each node's counts in the current or last run (read it again for newer
   * numbers); `null` before the first run.
   */
  get dataFlowStats(): DataFlowStats | null {
    if (!this.#nodes) return null
    return Object.fromEntries(this.#nodes.map((node) => [node.name, { ...node.stats }]))
  }

  /** The newest `maxExceptions` errors of each node; `null` before the first run. */
  get exceptions(): NodeExceptions | null {
    if (!this.#nodes) return null
    const max = this.#maxExceptions
    return Object.fromEntries(
      this.#nodes.map((node) => [node.name, max === 0 ? [] : node.errors.slice(-max)]),
    )
  }

  /** Before a run: the nodes with no incoming edge, with args `[]`. After: the run's start nodes. */
  get startNodes(): Record<string, unknown[]> {
    if (this.#usedStartNodes) return { ...this.#usedStartNodes }
    return defaultStartNodes(this.graph)
  }

  /** Logs each node's counts every `timeInterval` seconds while a run lasts, and at its end. */
  turnOnDataFlowLogging(options: DataFlowLoggingOptions = {}): void {
    this.#logging = dataFlowLogging(options)
  }

  /** Stops data-flow logging. */
  turnOffDataFlowLogging(): void {
    this.#logging = undefined
  }

  /**
   * Runs the graph until no data is left anywhere. Node errors do not reject: they are counted,
   * logged and kept (see the report), unless `rejectOnError` is set. Rejects for an invalid
   * call: unknown start node, no start nodes (without a placement), a run already in
   * progress, a queue instance another run is using, a bad placement.
   */
  async execute(options: ExecuteOptions = {}): Promise<ExecutionReport> {
    if (this.#running) {
      throw new AlreadyRunningError('execute() called while this executor is already running')
    }
    const check = optionChecks('execute')
    check.object(options)
    const rejectOnError = check.boolean('rejectOnError', options.rejectOnError, false)
    const tracking = check.boolean('tracking', options.tracking, false)
    const signal = options.signal
    if (signal !== undefined && typeof signal?.addEventListener !== 'function') {
      check.fail('signal', 'an AbortSignal', signal)
    }
    const checkpoints = checkCheckpointOptions(options.checkpoints)
    const placement = options.placement
    const local = placement === undefined ? undefined : checkPlacement(this.graph, placement)
    const startNodes = resolveStartNodes(this.graph, options.startNodes, local)
    const nodes = prepareRun(this.graph, startNodes, placement, local)
    const running = local === undefined ? nodes : nodes.filter((node) => !node.remote)
    let savePoints: Map<RunNode, RunNode> | undefined
    if (checkpoints) {
      try {
        savePoints = savePointSinks(nodes)
      } catch (error) {
        releaseQueues(nodes, () => {})
        throw error
      }
    }
    this.#running = true
    let saved: ResumeState | undefined
    if (checkpoints) {
      try {
        saved = await loadState(checkpoints)
      } catch (error) {
        releaseQueues(nodes, () => {})
        this.#running = false
        throw error
      }
    }
    this.#reset(startNodes)
    this.#checkpoints = checkpoints
    if (savePoints) this.#savePoints = savePoints
    this.#nodes = nodes
    this.#writer =
      checkpoints && saved
        ? new StateWriter(checkpoints, saved, (error) =>
            this.#log(
              'error',
              `[graphflow] checkpoint store: writing the state under key '${checkpoints.key}' failed (retried at the next position): ${toError(error).stack}`,
            ),
          )
        : undefined
    this.#tracker =
      tracking ||
      checkpoints ||
      this.listens('position-stored') ||
      nodes.some((node) => node.queue.tracksWork)
        ? this.#track(nodes, saved)
        : undefined
    const started = performance.now()
    const onAbort = () => this.#stop('aborted')
    if (signal?.aborted) this.#stop('aborted')
    signal?.addEventListener('abort', onAbort, { once: true })
    const timers = this.#startTimers(started)
    this.emit('run-start', { startNodes: this.startNodes })
    const seen = runBegan()
    // After runBegan(): a ticker thread seen live now ticks until this run ended.
    if (tickerLive()) this.#seen = seen
    try {
      if (!this.#stopped) {
        await this.#openAll(running)
        if (this.#savePoints.size > 0) await this.#saveStartPoints()
        await Promise.all(running.map((node) => this.#runNode(node)))
      }
    } finally {
      runEnded()
      for (const timer of timers) clearInterval(timer)
      signal?.removeEventListener('abort', onAbort)
      await this.#writer?.flush()
      if (this.#tracker) for (const node of nodes) node.queue[ATTACH_TRACK](undefined)
      releaseQueues(nodes, (node, error) =>
        this.#log(
          'error',
          `[graphflow] node '${node.name}': its queue failed to reset(): ${toError(error).stack}`,
        ),
      )
      this.#running = false
    }
    this.#logDataFlow()
    const report = this.#report(performance.now() - started)
    this.emit('run-end', this.#report(report.durationMs))
    const failure = this.#writer?.failure
    this.#writer = undefined
    if (failure !== undefined && checkpoints) {
      throw new CheckpointStoreError(
        `checkpoint store: the last write of the state under key '${checkpoints.key}' failed; the stored state is older than what the sinks stored (a resumed run delivers some items again): ${toError(failure).message}`,
        { cause: failure, report },
      )
    }
    if (rejectOnError && nodes.some((node) => node.stats.err > 0)) {
      throw new ExecutionFailedError(report)
    }
    return report
  }

  #report(durationMs: number): ExecutionReport {
    const halted = this.#stopReason === 'halted'
    const aborted = this.#stopReason === 'aborted'
    const nodes = this.#nodes ?? []
    return {
      ok: !halted && !aborted && nodes.every((node) => node.stats.err === 0),
      dataFlowStats: this.dataFlowStats as DataFlowStats,
      exceptions: this.exceptions as NodeExceptions,
      halted,
      aborted,
      haltedBy: this.#haltedBy,
      skipped: { ...this.#skipped },
      durationMs,
    }
  }

  /**
   * Waits for a custom queue's `put()` or `end()`, or for the run to stop: a subclass promise
   * that never settles must not keep an aborted or halted run alive. Nothing is left behind
   * once `waiting` settles (no reaction on a long-lived promise: memory stays flat).
   */
  #unlessStopped(waiting: Promise<void>): Promise<void> {
    if (this.#stopped) {
      waiting.catch(() => {}) // a rejection after the stop has nobody left to tell
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      const release = () => resolve()
      this.#stopWaiters.add(release)
      waiting.then(
        () => {
          this.#stopWaiters.delete(release)
          resolve()
        },
        (error: unknown) => {
          this.#stopWaiters.delete(release)
          reject(error)
        },
      )
    })
  }

  #reset(startNodes: Record<string, unknown[]>): void {
    this.#stopped = false
    this.#stopReason = this.#haltedBy = undefined
    this.#lastYield = this.#lastCheck = performance.now()
    this.#countdown = this.#stride = 1
    this.#seen = NOT_TICKING
    this.#controller = new AbortController()
    this.#stopWaiters.clear()
    this.#usedStartNodes = startNodes
    this.#resumeFrom.clear()
    this.#savedPositions.clear()
    this.#skipped = {}
    this.#savePoints = new Map()
    this.#savedPoints.clear()
  }

  #context(node: RunNode, signal: AbortSignal): NodeContext {
    const tracker = this.#tracker
    const beginCommit =
      tracker && node.config.commits ? () => this.#beginCommit(node, tracker) : noCommit
    const context: NodeContext = { name: node.name, signal, logger: this.#logger, beginCommit }
    if (this.#checkpoints) return this.#checkpointContext(node, context)
    return context
  }

  /** The context of a node in a run with checkpoints. */
  #checkpointContext(node: RunNode, context: NodeContext): NodeContext {
    const extra: Record<string | symbol, unknown> = { checkpointStore: this.#checkpoints?.store }
    if (this.#resumeFrom.has(node.name)) extra.resumeFrom = this.#resumeFrom.get(node.name)
    const positions = this.#savedPositions.get(node.name)
    if (positions !== undefined) extra.savedPositions = positions
    if (this.#savedPoints.has(node.name)) extra.savedPoint = this.#savedPoints.get(node.name)
    if (this.#savePoints.has(node)) extra[CALL_UNIT] = () => node.callUnit
    return { ...context, ...extra }
  }

  /**
   * Saves where each sink with a `savePoint` starts, when it has stored nothing yet (a seq 0
   * entry), and waits until it is durable: a resumed run hands it back even when the sink was
   * stopped before storing any position (a table's rows from before the load stay, the rest go).
   */
  async #saveStartPoints(): Promise<void> {
    const writer = this.#writer
    if (!writer || this.#stopped) return
    for (const [sink, source] of this.#savePoints) {
      const entry = ownEntry(ownEntry(writer.state.sources, source.name), sink.name)
      if (entry !== undefined && entry.seq > 0) continue
      try {
        writer.update(source.name, sink.name, null, 0, sink.config.savePoint?.())
      } catch (error) {
        this.#fail(sink, error, 'savePoint() failed')
        this.#stop('halted', sink.name)
      }
    }
    await writer.flush()
  }

  /**
   * Sets a run up for work tracking: the sinks (nodes without destinations), the sinks each
   * node reaches, and each queue's lineage state.
   */
  #track(nodes: RunNode[], saved: ResumeState | undefined): Tracker {
    const sinks = nodes.filter((node) => node.destinations.length === 0)
    const byName = new Map(nodes.map((node) => [node.name, node]))
    const tracker = new Tracker(
      sinks.map((node) => node.name),
      (event, seq, units, sink) => {
        if (this.#writer) {
          const savePoint = (sinks[sink] as RunNode).config.savePoint
          try {
            // A sink with a save point: only where what it committed holds exactly these units.
            if (!savePoint) this.#writer.update(event.node, event.sink, event.position, seq)
            else if (tracker.committedBelow(units, sink, seq)) {
              this.#writer.update(event.node, event.sink, event.position, seq, savePoint())
            }
          } catch (error) {
            const node = byName.get(event.node)
            if (node) this.#fail(node, error, 'yielded a checkpoint the store cannot hold')
          }
        }
        this.emit('position-stored', event)
      },
      (error) =>
        this.#log('error', `[graphflow] an onDone callback threw: ${toError(error).stack}`),
    )
    const reached = new Map<RunNode, Set<number>>()
    const reach = (node: RunNode): Set<number> => {
      let found = reached.get(node)
      if (found) return found
      found = new Set()
      if (node.destinations.length === 0) found.add(sinks.indexOf(node))
      for (const destination of node.destinations)
        for (const sink of reach(destination)) found.add(sink)
      reached.set(node, found)
      return found
    }
    for (const node of nodes) {
      node.reach = [...reach(node)]
      node.track = new QueueTrack(tracker, node.reach, node.remote, () => node.stats.in++)
      node.queue[ATTACH_TRACK](node.track)
    }
    if (saved) for (const node of nodes) this.#resume(node, tracker, saved, sinks)
    return tracker
  }

  /**
   * A run with checkpoints, for a node that opens units (a start node or a spec with
   * `checkpoints`): its units continue the numbering of the sink that is furthest behind,
   * whose position its `open()` gets as `resumeFrom`; sinks that are ahead skip what they had.
   */
  #resume(node: RunNode, tracker: Tracker, saved: ResumeState, sinks: RunNode[]): void {
    if (node.remote || (node.startArgs === undefined && !node.config.checkpoints)) return
    const entries = ownEntry(saved.sources, node.name)
    const stored = new Map<number, number>()
    let behind: { position: unknown; seq: number } | undefined
    let fresh = false
    const positions: unknown[] = []
    for (const sink of node.reach) {
      const name = (sinks[sink] as RunNode).name
      const entry = ownEntry(entries, name)
      if (entry !== undefined && (sinks[sink] as RunNode).config.savePoint) {
        this.#savedPoints.set(name, entry.data)
      }
      if (entry === undefined || entry.seq === 0) fresh = true
      else {
        positions.push(entry.position)
        stored.set(sink, entry.seq)
        if (behind === undefined || entry.seq < behind.seq) behind = entry
      }
    }
    node.units = tracker.sourceUnits(node.name, node.reach, stored)
    this.#resumeFrom.set(node.name, fresh ? undefined : behind?.position)
    this.#savedPositions.set(node.name, positions)
  }

  #beginCommit(node: RunNode, tracker: Tracker): CommitDone {
    const committing = node.uncommitted
    node.uncommitted = []
    node.committing.add(committing)
    const savePoint = this.#savePoints.has(node) ? node.config.savePoint : undefined
    let previewed = false
    const done: CommitDone = (error?: unknown) => {
      if (!node.committing.delete(committing)) return
      const failure = error === undefined ? undefined : toError(error)
      if (savePoint && !failure) tracker.noteCommitted(node.reach[0] as number, committing)
      if (previewed) this.#writer?.settlePreview(failure === undefined)
      for (const lineage of committing) {
        if (failure) tracker.fail(lineage, failure)
        tracker.release(lineage, node.reach)
      }
    }
    const writer = this.#writer
    if (savePoint && writer?.synchronous) {
      done.save = () => {
        previewed = true
        const data = savePoint()
        const pending = tracker.preview(node.reach[0] as number, committing)
        writer.putWith(
          pending.map(({ units, position, seq }) => ({
            node: units.node,
            sink: node.name,
            position,
            seq,
            data,
          })),
        )
      }
    }
    return done
  }

  async #openAll(nodes: RunNode[]): Promise<void> {
    await Promise.all(
      nodes.map(async (node) => {
        if (!node.config.open) return
        try {
          await node.config.open(this.#context(node, this.#controller.signal))
        } catch (error) {
          // An open() that gave up because the run was already stopping is no error of its own.
          if (this.#stopped) return
          this.#fail(node, error, 'open() failed')
          this.#stop('halted', node.name)
        }
      }),
    )
  }

  async #runNode(node: RunNode): Promise<void> {
    this.emit('node-start', { node: node.name })
    const workers: Promise<void>[] = []
    const tracker = this.#tracker
    for (let index = 0; index < node.config.maxTasks; index++) {
      workers.push(
        tracker ? this.#workTracked(node, index === 0, tracker) : this.#work(node, index === 0),
      )
    }
    // Ended once the workers run: an end() that flushes into a full queue needs them taking.
    if (node.openInputs === 0) void this.#endQueue(node)
    await Promise.all(workers)
    if (node.idleTimer !== undefined) {
      clearTimeout(node.idleTimer)
      node.idleTimer = undefined
    }
    // An idle flush under way ends before close() writes the rest.
    if (node.idleFlush) await node.idleFlush
    if (node.ending) await node.ending
    // The queue ended and drained: the lineage of puts that never pushed is released.
    if (tracker && !this.#stopped) node.track?.drain()
    let closeError: Error | undefined
    if (node.config.close) {
      try {
        // Not the run's signal: after a halt or an abort it is aborted, and close() must flush.
        await node.config.close(this.#context(node, new AbortController().signal))
      } catch (error) {
        closeError = toError(error)
        this.#fail(node, error, 'close() failed')
      }
    }
    if (tracker && (node.uncommitted.length > 0 || node.committing.size > 0)) {
      // Whatever is still uncommitted is committed when close() resolves (or failed with it),
      // commits begun and not done too.
      const uncommitted = [...node.committing].flat()
      for (const lineage of node.uncommitted) uncommitted.push(lineage)
      node.uncommitted = []
      node.committing.clear()
      if (!closeError && this.#savePoints.has(node)) {
        tracker.noteCommitted(node.reach[0] as number, uncommitted)
      }
      for (const lineage of uncommitted) {
        if (closeError) tracker.fail(lineage, closeError)
        tracker.release(lineage, node.reach)
      }
    }
    this.emit('node-end', { node: node.name, stats: { ...node.stats } })
    const endings: Promise<void>[] = []
    for (const destination of node.destinations) {
      if (--destination.openInputs === 0) endings.push(this.#endQueue(destination))
    }
    await Promise.all(endings)
  }

  /**
   * Ends a node's queue once. Never awaited by the node's own workers: an `end()` that flushes
   * into a full queue needs them to keep taking items.
   */
  #endQueue(node: RunNode): Promise<void> {
    node.ending ??= this.#end(node)
    return node.ending
  }

  async #end(node: RunNode): Promise<void> {
    const queue = node.queue
    try {
      const ending = queue.end()
      if (ending !== undefined) await this.#unlessStopped(ending)
    } catch (error) {
      this.#fail(node, error, 'its queue failed to end()')
    }
    if (queue.ended) return
    if (!this.#stopped) {
      this.#warn(
        `[graphflow] node '${node.name}': its queue's end() settled without ending the queue; ended it (call super.end() at the end of end())`,
      )
    }
    AsyncQueue.prototype.end.call(queue)
  }

  /**
   * One worker of a node: takes items from the queue and runs one call at a time. The first
   * worker of a start node begins with the start call. Kept in one loop on purpose: it is the
   * hot path, and a helper per call would cost a promise per item. Two places matter for
   * per-item hooks: where an item is taken, and where its call ends.
   */
  async #work(node: RunNode, first: boolean): Promise<void> {
    const queue = node.queue
    const destinations = node.destinations
    const call = node.call
    let starting = first && node.startArgs !== undefined
    while (!this.#stopped) {
      let item: unknown
      if (starting) item = node.startArgs
      else {
        item = queue.tryGet()
        if (item === QUEUE_EMPTY) {
          item = await queue.next()
          if (item === QUEUE_EMPTY || this.#stopped) break
        }
      }
      // An item is taken.
      let iterator: Iteration | undefined
      try {
        iterator =
          call !== undefined && !starting && !(item instanceof Args)
            ? call(item)
            : startCall(node.config, item, starting)
        // The stop is checked before every resume: no fetch or write after a halt or abort.
        while (!this.#stopped) {
          const result = await iterator.next()
          if (result.done) {
            iterator = undefined
            break
          }
          if (this.#stopped) break
          const value = result.value
          if (value instanceof Error) this.#fail(node, value)
          else if (value instanceof Checkpoint) {
            // A unit of output closed: only a run that tracks work follows it.
          } else {
            node.stats.out++
            for (let index = 0; index < destinations.length; index++) {
              const destination = destinations[index] as RunNode
              try {
                const waiting = destination.queue.put(value)
                if (destination.plainQueue) {
                  if (waiting !== undefined) await waiting
                } else {
                  // The base put() is released by discard(); a custom one may never settle.
                  if (waiting !== undefined) await this.#unlessStopped(waiting)
                  const room = this.#room(destination)
                  if (room !== undefined) await room
                }
                destination.stats.in++
              } catch (error) {
                this.#fail(destination, error, `its queue rejected an item from '${node.name}'`)
              }
            }
          }
          if (TICKS[0] !== this.#seen && this.#due()) await this.#yield()
        }
      } catch (error) {
        this.#fail(node, error)
        iterator = undefined
      }
      if (iterator) await this.#closeIterator(node, iterator)
      // The call has ended.
      if (starting) {
        starting = false
        if (--node.openInputs === 0) void this.#endQueue(node)
      }
      if (TICKS[0] !== this.#seen && this.#due()) await this.#yield()
    }
    if (starting && --node.openInputs === 0) void this.#endQueue(node)
  }

  /**
   * {@link AsyncExecutor.#work} for a run that tracks work, kept apart so that the untracked
   * hot path stays as it is. The call holds the lineage of its item (taken over from the
   * queue entry); its outputs are put, each retaining their lineage for the destination's
   * sinks, before the call's own hold is released (or kept for the commit of a committing
   * node). A `checkpoint()` value closes the call's current unit of output.
   */
  async #workTracked(node: RunNode, first: boolean, tracker: Tracker): Promise<void> {
    const queue = node.queue
    const track = node.track as QueueTrack
    const destinations = node.destinations
    const call = node.call
    const reach = node.reach
    // A committing node that holds items between commits writes them once it is idle.
    const idle = node.config.commits && node.config.onIdle !== undefined
    let starting = first && node.startArgs !== undefined
    while (!this.#stopped) {
      let item: unknown
      let lineage: Lineage | undefined
      if (starting) item = node.startArgs
      else {
        track.taken = undefined
        item = queue.tryGet()
        if (item === QUEUE_EMPTY) {
          if (idle) this.#armIdle(node)
          const entry = await queue[NEXT_TRACKED]()
          item = entry.item
          lineage = entry.lineage
          if (idle && node.idleTimer !== undefined) {
            clearTimeout(node.idleTimer)
            node.idleTimer = undefined
          }
          if (item === QUEUE_EMPTY || this.#stopped) break
        } else {
          lineage = track.taken
          track.taken = undefined
        }
      }
      if (idle) {
        node.running++
        node.taken++
      }
      // What the outputs carry: the call's origins, plus the current unit of a source.
      const inherited = lineage ? distinct(lineage) : undefined
      const opensUnits = starting || node.config.checkpoints
      let unit: Origin | undefined
      let out = inherited
      let iterator: Iteration | undefined
      // A sink with a save point ends its batches where the unit of its items changes.
      if (node.config.savePoint) node.callUnit = unitToken(inherited)
      try {
        iterator =
          call !== undefined && !starting && !(item instanceof Args)
            ? call(item)
            : startCall(node.config, item, starting)
        while (!this.#stopped) {
          const result = await iterator.next()
          if (result.done) {
            iterator = undefined
            break
          }
          if (this.#stopped) break
          const value = result.value
          if (value instanceof Error) {
            tracker.fail(out, value)
            this.#fail(node, value)
          } else if (value instanceof Checkpoint) {
            if (!opensUnits) {
              this.#fail(
                node,
                new TypeError(
                  `node '${node.name}' yielded checkpoint() in a call that is neither a start call nor of a spec with "checkpoints: true"`,
                ),
              )
              continue
            }
            // Closes the unit (an empty one too: its position is stored once earlier ones are).
            unit ??= this.#openUnit(node, tracker)
            unit.position = value.position
            tracker.releaseOne(unit, reach)
            unit = undefined
            out = inherited
          } else {
            if (unit === undefined && opensUnits) {
              unit = this.#openUnit(node, tracker)
              out = inherited ? [...inherited, unit] : [unit]
            }
            node.stats.out++
            for (let index = 0; index < destinations.length; index++) {
              const destination = destinations[index] as RunNode
              const destinationTrack = destination.track as QueueTrack
              if (out && tracker.skipping && tracker.skips(out, destination.reach)) {
                // A resumed run: every sink this leads to stored the item in an earlier run.
                this.#skipped[destination.name] = (this.#skipped[destination.name] ?? 0) + 1
                continue
              }
              if (out) destinationTrack.beginPut(out)
              try {
                let waiting: Promise<void> | void
                try {
                  waiting = destination.queue.put(value)
                } finally {
                  destinationTrack.endPut()
                }
                if (waiting !== undefined) {
                  if (destination.plainQueue) await waiting
                  else if (out === undefined) await this.#unlessStopped(waiting)
                  else {
                    destinationTrack.putInFlight(out)
                    try {
                      await this.#unlessStopped(waiting)
                    } finally {
                      destinationTrack.putSettled(out)
                    }
                  }
                }
                if (!destination.plainQueue) {
                  const room = this.#room(destination)
                  if (room !== undefined) await room
                }
                destination.stats.in++
              } catch (error) {
                tracker.fail(out, toError(error))
                this.#fail(destination, error, `its queue rejected an item from '${node.name}'`)
              }
            }
          }
          if (TICKS[0] !== this.#seen && this.#due()) await this.#yield()
        }
      } catch (error) {
        const failure = toError(error)
        tracker.fail(out, failure)
        this.#fail(node, failure)
        iterator = undefined
      }
      if (iterator) await this.#closeIterator(node, iterator)
      // The call has ended: its outputs are put, its holds are released (or wait for a commit).
      if (!this.#stopped) {
        if (unit) tracker.releaseOne(unit, reach)
        if (lineage) {
          if (node.config.commits) node.uncommitted.push(lineage)
          else tracker.release(lineage, reach)
        }
      }
      if (idle) node.running--
      if (starting) {
        starting = false
        if (--node.openInputs === 0) void this.#endQueue(node)
      }
      if (TICKS[0] !== this.#seen && this.#due()) await this.#yield()
    }
    if (starting && --node.openInputs === 0) void this.#endQueue(node)
  }

  /**
   * A worker of a node with `onIdle` is about to wait for its queue: when no call of the node
   * runs and returned calls wait for a commit, the node's `onIdle` is called once the queue
   * stayed empty for `idleMs` (a worker that takes an item first disarms it).
   */
  #armIdle(node: RunNode): void {
    if (
      node.running > 0 ||
      node.idleTimer !== undefined ||
      node.idleFlush !== undefined ||
      node.uncommitted.length === 0
    ) {
      return
    }
    node.idleTimer = setTimeout(() => this.#flushIdle(node), node.config.idleMs)
  }

  /**
   * Calls a node's `onIdle`: its synchronous part runs now, while no call runs, so a commit it
   * begins holds the items of returned calls only. Once it settled, a node that took items
   * meanwhile and is idle again arms the next one.
   */
  #flushIdle(node: RunNode): void {
    node.idleTimer = undefined
    if (this.#stopped || node.running > 0 || node.uncommitted.length === 0) return
    const taken = node.taken
    let flushing: Promise<void> | void
    try {
      flushing = (node.config.onIdle as () => Promise<void> | void)()
    } catch (error) {
      this.#fail(node, error, 'failed to write what it held when idle')
      return
    }
    if (!isPromiseLike(flushing)) return
    node.idleFlush = Promise.resolve(flushing).then(
      () => this.#idleFlushed(node, taken),
      (error: unknown) => {
        if (!this.#stopped) this.#fail(node, error, 'failed to write what it held when idle')
        this.#idleFlushed(node, taken)
      },
    )
  }

  #idleFlushed(node: RunNode, taken: number): void {
    node.idleFlush = undefined
    if (!this.#stopped && node.taken !== taken && !node.queue.ended) this.#armIdle(node)
  }

  /**
   * After a custom `put` returned: waits while the queue holds pushes blocked by a full queue,
   * so a bounded queue bounds memory even when `put` drops the promise of `push`.
   */
  #room(destination: RunNode): Promise<void> | undefined {
    const room = destination.queue[ROOM]()
    return room === undefined ? undefined : this.#unlessStopped(room)
  }

  /** A new unit of a source's output, held by the call until its checkpoint. */
  #openUnit(node: RunNode, tracker: Tracker): Origin {
    node.units ??= tracker.sourceUnits(node.name, node.reach)
    return tracker.origin(node.reach, undefined, node.units)
  }

  /**
   * Called on a step (an item taken, a value yielded, a call ended) when time may have gone by.
   * True when the workers have run for {@link YIELD_EVERY_MS} without letting timers, I/O and
   * an abort in.
   *
   * Once the ticker thread runs (see `ticker.ts`), a step gets here only when the shared
   * counter advanced (every few ms): one clock read per tick of the thread, whatever the
   * items cost. Before that, the clock is read every few steps: the stride doubles (up to
   * {@link MAX_STRIDE}) while steps are fast and falls back to 1 as soon as a stride took a
   * millisecond or more, so a jump in the cost per step makes at most `MAX_STRIDE` slow steps
   * run unchecked.
   */
  #due(): boolean {
    if (this.#seen !== NOT_TICKING) {
      // The ticker advanced the counter; it ticks again once told so.
      this.#seen = TICKS[0] as number
      tickSeen(this.#seen)
      return performance.now() - this.#lastYield >= YIELD_EVERY_MS
    }
    if (--this.#countdown !== 0) return false
    const now = performance.now()
    if (now - this.#lastCheck < 1) {
      if (this.#stride < MAX_STRIDE) this.#stride <<= 1
    } else this.#stride = 1
    this.#countdown = this.#stride
    this.#lastCheck = now
    if (tickerLive()) {
      this.#seen = TICKS[0] as number
      tickSeen(this.#seen)
    }
    return now - this.#lastYield >= YIELD_EVERY_MS
  }

  async #yield(): Promise<void> {
    // A run that kept the loop busy this long is worth the ticker thread (started once).
    startTicker()
    await yieldToEventLoop()
    this.#lastYield = performance.now()
    // The thread stopped (it never should): back to reading the clock every few steps.
    if (this.#seen !== NOT_TICKING && !tickerLive()) this.#seen = NOT_TICKING
  }

  async #closeIterator(node: RunNode, iterator: Iteration): Promise<void> {
    try {
      await iterator.return?.()
    } catch (error) {
      this.#fail(node, error)
    }
  }

  #fail(node: RunNode, thrown: unknown, what = 'raised'): void {
    const error = toError(thrown)
    node.stats.err++
    if (this.#maxExceptions > 0) {
      node.errors.push(error)
      if (node.errors.length >= 2 * this.#maxExceptions) node.errors.splice(0, this.#maxExceptions)
    }
    this.#log('error', `[graphflow] node '${node.name}' ${what}: ${error.stack ?? error.message}`)
    this.emit('node-error', { node: node.name, error })
    if ((this.graph.haltOnException || node.config.haltOnException) && !this.#stopped) {
      this.#log('error', `[graphflow] run halted due to an exception in node '${node.name}'`)
      this.#stop('halted', node.name)
    }
  }

  /** Logs through the logger; a logger that throws never breaks the run. */
  #log(level: 'info' | 'error', message: string): void {
    try {
      this.#logger[level](message)
    } catch {
      // Nowhere left to report it: the run must go on and end as it would have.
    }
  }

  /** A warning: `logger.warn` when the logger has one, else `logger.error`. */
  #warn(message: string): void {
    const logger = this.#logger
    try {
      if (typeof logger.warn === 'function') logger.warn(message)
      else logger.error(message)
    } catch {
      // As in #log.
    }
  }

  #stop(reason: 'halted' | 'aborted', node?: string): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#stopReason = reason
    if (reason === 'halted') this.#haltedBy = node
    // Nothing is done after a stop: what was dropped leaves its origins not done.
    if (this.#tracker) this.#tracker.stopped = true
    this.#controller.abort(new Error(`graphflow run ${reason}`))
    for (const each of this.#nodes ?? []) each.queue.discard()
    for (const release of this.#stopWaiters) release()
    this.#stopWaiters.clear()
  }

  #startTimers(started: number): ReturnType<typeof setInterval>[] {
    const timers: ReturnType<typeof setInterval>[] = []
    const logging = this.#logging
    if (logging) timers.push(setInterval(() => this.#logDataFlow(), logging.timeIntervalMs))
    if (this.listens('progress')) {
      const progress = () =>
        this.emit('progress', {
          dataFlowStats: this.dataFlowStats as DataFlowStats,
          elapsedMs: performance.now() - started,
        })
      timers.push(setInterval(progress, this.#progressInterval))
    }
    for (const timer of timers) (timer as { unref?: () => void }).unref?.()
    return timers
  }

  #logDataFlow(): void {
    const logging = this.#logging
    if (!logging || !this.#nodes) return
    const logger = logging.logger ?? this.#logger
    try {
      logDataFlow(this.dataFlowStats as DataFlowStats, logging, logger)
    } catch {
      // As in #log.
    }
  }

  /** Logs a listener that threw; the run goes on. */
  protected override onListenerError(event: keyof ExecutorEvents, error: unknown): void {
    this.#log('error', `[graphflow] a '${String(event)}' listener threw: ${toError(error).stack}`)
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<void> {
  return typeof (value as PromiseLike<void> | undefined)?.then === 'function'
}
