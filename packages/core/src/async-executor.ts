import { AsyncGraph } from './async-graph.js'
import { AsyncQueue, QUEUE_EMPTY } from './async-queue.js'
import { type DataFlowLogging, dataFlowLogging, logDataFlow } from './data-flow-logging.js'
import { InvalidAsyncGraphError, toError } from './errors.js'
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
import type { Logger, NodeContext } from './node-spec.js'
import {
  defaultStartNodes,
  type Iteration,
  prepareRun,
  type RunNode,
  resolveStartNodes,
  startCall,
} from './run-node.js'

const YIELD_EVERY_MS = 16
/** The longest delay a timer takes: beyond it Node fires every millisecond. */
const MAX_TIMER_MS = 2_147_483_647
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
  /** Resolves when the run halts or is aborted. */
  #stopping: Promise<void> = Promise.resolve()
  #lastYield = 0
  #ticks = 0

  constructor(graph: AsyncGraph, options: AsyncExecutorOptions = {}) {
    super()
    if (!(graph instanceof AsyncGraph)) {
      throw new TypeError(`AsyncExecutor: expected an AsyncGraph instance, got ${String(graph)}`)
    }
    const { logger = console, maxExceptions = 1000, progressInterval = 500 } = options
    if (!Number.isInteger(maxExceptions) || maxExceptions < 0) {
      throw new TypeError(
        `AsyncExecutor "maxExceptions": expected an integer >= 0, got ${maxExceptions}`,
      )
    }
    if (!(progressInterval > 0 && progressInterval <= MAX_TIMER_MS)) {
      throw new TypeError(
        `AsyncExecutor "progressInterval": expected ms from 1 to ${MAX_TIMER_MS}, got ${progressInterval}`,
      )
    }
    this.graph = graph
    this.#logger = logger
    this.#maxExceptions = maxExceptions
    this.#progressInterval = progressInterval
  }

  /** Live per-node counts of the current or last run; `null` before the first run. */
  get dataFlowStats(): DataFlowStats | null {
    if (!this.#nodes) return null
    return Object.fromEntries(this.#nodes.map((node) => [node.name, node.stats]))
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
   * logged and kept (see the report). Rejects only for an invalid call: unknown start node,
   * no start nodes, a run already in progress.
   */
  async execute(options: ExecuteOptions = {}): Promise<ExecutionReport> {
    if (this.#running) {
      throw new InvalidAsyncGraphError('execute() called while this executor is already running', {
        code: 'ALREADY_RUNNING',
      })
    }
    const startNodes = resolveStartNodes(this.graph, options.startNodes)
    const nodes = prepareRun(this.graph, startNodes)
    this.#running = true
    this.#reset(startNodes)
    this.#nodes = nodes
    const started = performance.now()
    const signal = options.signal
    const onAbort = () => this.#stop('aborted')
    if (signal?.aborted) this.#stop('aborted')
    signal?.addEventListener('abort', onAbort, { once: true })
    const timers = this.#startTimers(started)
    this.emit('run-start', { startNodes: this.startNodes })
    try {
      if (!this.#stopped) {
        await this.#openAll(nodes)
        await Promise.all(nodes.map((node) => this.#runNode(node)))
      }
    } finally {
      for (const timer of timers) clearInterval(timer)
      signal?.removeEventListener('abort', onAbort)
      this.#running = false
    }
    this.#logDataFlow()
    const report: ExecutionReport = {
      dataFlowStats: this.dataFlowStats as DataFlowStats,
      exceptions: this.exceptions as NodeExceptions,
      halted: this.#stopReason === 'halted',
      aborted: this.#stopReason === 'aborted',
      haltedBy: this.#haltedBy,
      durationMs: performance.now() - started,
    }
    this.emit('run-end', report)
    return report
  }

  /**
   * Waits for a custom queue's `put()` or `end()`, or for the run to stop: a subclass promise
   * that never settles must not keep an aborted or halted run alive.
   */
  #unlessStopped(waiting: Promise<void>): Promise<void> {
    if (this.#stopped) return Promise.resolve()
    waiting.catch(() => {}) // a rejection after the stop has nobody left to tell
    return Promise.race([waiting, this.#stopping])
  }

  #reset(startNodes: Record<string, unknown[]>): void {
    this.#stopped = false
    this.#stopReason = this.#haltedBy = undefined
    this.#lastYield = performance.now()
    this.#controller = new AbortController()
    this.#stopping = new Promise((resolve) => {
      this.#controller.signal.addEventListener('abort', () => resolve(), { once: true })
    })
    this.#usedStartNodes = startNodes
  }

  async #openAll(nodes: RunNode[]): Promise<void> {
    await Promise.all(
      nodes.map(async (node) => {
        if (!node.config.open) return
        const context: NodeContext = {
          name: node.name,
          signal: this.#controller.signal,
          logger: this.#logger,
        }
        try {
          await node.config.open(context)
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
    const nothingComing = node.openInputs === 0
    const workers: Promise<void>[] = []
    for (let index = 0; index < node.config.maxTasks; index++) {
      workers.push(this.#work(node, index === 0))
    }
    // Ended once the workers run: an end() that flushes into a full queue needs them taking.
    if (nothingComing) await this.#endQueue(node)
    await Promise.all(workers)
    if (node.config.close) {
      try {
        await node.config.close()
      } catch (error) {
        this.#fail(node, error, 'close() failed')
      }
    }
    this.emit('node-end', { node: node.name, stats: { ...node.stats } })
    for (const destination of node.destinations) {
      if (--destination.openInputs === 0) await this.#endQueue(destination)
    }
  }

  async #endQueue(node: RunNode): Promise<void> {
    try {
      const ending = node.queue.end()
      if (ending !== undefined) await this.#unlessStopped(ending)
    } catch (error) {
      this.#fail(node, error, 'its queue failed to end()')
      AsyncQueue.prototype.end.call(node.queue)
    }
  }

  /**
   * One worker of a node: takes items from the queue and runs one call at a time. The first
   * worker of a start node begins with the start call. Kept in one loop on purpose: it is the
   * hot path, and a helper per call would cost a promise per item.
   */
  async #work(node: RunNode, first: boolean): Promise<void> {
    const queue = node.queue
    const destinations = node.destinations
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
      let iterator: Iteration | undefined
      try {
        iterator = startCall(node.config, item, starting)
        for (;;) {
          const result = await iterator.next()
          if (result.done) {
            iterator = undefined
            break
          }
          if (this.#stopped) break
          const value = result.value
          if (value instanceof Error) {
            this.#fail(node, value)
            continue
          }
          node.stats.out++
          for (let index = 0; index < destinations.length; index++) {
            const destination = destinations[index] as RunNode
            try {
              const waiting = destination.queue.put(value)
              if (waiting !== undefined) await this.#unlessStopped(waiting)
              destination.stats.in++
            } catch (error) {
              this.#fail(destination, error, `its queue rejected an item from '${node.name}'`)
            }
          }
          if (this.#stopped) break
          if (
            (++this.#ticks & 1023) === 0 &&
            performance.now() - this.#lastYield > YIELD_EVERY_MS
          ) {
            await yieldToEventLoop()
            this.#lastYield = performance.now()
          }
        }
      } catch (error) {
        this.#fail(node, error)
        iterator = undefined
      }
      if (iterator) await this.#closeIterator(node, iterator)
      if (starting) {
        starting = false
        if (--node.openInputs === 0) await this.#endQueue(node)
      }
    }
    if (starting && --node.openInputs === 0) await this.#endQueue(node)
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
    this.#logger.error(`[graphflow] node '${node.name}' ${what}: ${error.stack ?? error.message}`)
    this.emit('node-error', { node: node.name, error })
    if ((this.graph.haltOnException || node.config.haltOnException) && !this.#stopped) {
      this.#logger.error(`[graphflow] run halted due to an exception in node '${node.name}'`)
      this.#stop('halted', node.name)
    }
  }

  #stop(reason: 'halted' | 'aborted', node?: string): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#stopReason = reason
    if (reason === 'halted') this.#haltedBy = node
    this.#controller.abort(new Error(`graphflow run ${reason}`))
    for (const each of this.#nodes ?? []) each.queue.discard()
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
    logDataFlow(this.dataFlowStats as DataFlowStats, logging, logging.logger ?? this.#logger)
  }

  /** Logs a listener that threw; the run goes on. */
  protected override onListenerError(event: keyof ExecutorEvents, error: unknown): void {
    this.#logger.error(`[graphflow] a '${String(event)}' listener threw: ${toError(error).stack}`)
  }
}
