import { GraphflowError } from './errors.js'
import { RingBuffer } from './ring-buffer.js'

/** The methods the executor never calls: a subclass overriding them would be silently ignored. */
const UNREAD_METHODS = ['get', Symbol.asyncIterator] as const

/**
 * Refuses a queue whose subclass overrides a method the executor never calls (`get()`, the
 * async iterator): the executor reads with `tryGet()` and `next()`, and `next()` and the
 * wake-ups read through `tryGet()`, so an override of `tryGet()` is honoured everywhere.
 * @internal
 */
export function checkQueueSeam(queue: AsyncQueue<never, unknown>, node: string): void {
  for (const method of UNREAD_METHODS) {
    if (queue[method] !== AsyncQueue.prototype[method]) {
      const name = typeof method === 'string' ? `${method}()` : '[Symbol.asyncIterator]()'
      throw new TypeError(
        `node '${node}': its queue overrides ${name}, which the executor never calls (it reads with tryGet() and next()): transform items in put() and store them with push(), or override tryGet()`,
      )
    }
  }
}

/** Returned by {@link AsyncQueue.tryGet} and {@link AsyncQueue.next} when there is no item. */
export const QUEUE_EMPTY: unique symbol = Symbol('graphflow.queue-empty')

interface WaitingPut<Out> {
  item: Out
  resolve: () => void
}

const schedule: (callback: () => void) => void =
  globalThis.setImmediate ?? ((callback) => setTimeout(callback, 0))

/**
 * The FIFO queue in front of a node, bounded by `maxSize` (backpressure: `put` waits while
 * the queue is full). `put` and `get` are O(1).
 *
 * Wake-ups are batched: a waiting consumer is woken on the next macrotask rather than once per
 * item, and a producer blocked by a full queue resumes once it is half empty, so items flow
 * in bursts instead of one promise hand-off per item.
 *
 * Subclass it to change what happens on an edge: override {@link AsyncQueue.put} (what comes
 * in) and {@link AsyncQueue.end} (called once when every upstream node has finished) and
 * store with the protected {@link AsyncQueue.push}. `In` is what upstream nodes put,
 * `Out` what the node's function receives.
 *
 * What the executor calls (the queue seam): `put(item)` once per item an upstream node
 * yields, awaited when it returns a promise; `end()` once, when every upstream node is done
 * and the start call (if any) returned, awaited, never by the node's own workers;
 * `tryGet()` and `next()` to take items (never `get()` or the async iterator: overriding
 * them is refused); `discard()` when the run halts or is aborted; `reset()` on an instance
 * given to `addNode` when a run is over, so it can be pre-loaded for the next one.
 *
 * @example Batching without a sentinel
 * ```ts
 * class BatchQueue<T> extends AsyncQueue<T, T[]> {
 *   #batch: T[] = []
 *   constructor(readonly batchSize: number) { super() }
 *   override put(item: T) {
 *     this.#batch.push(item)
 *     if (this.#batch.length < this.batchSize) return
 *     const batch = this.#batch
 *     this.#batch = []
 *     return this.push(batch)
 *   }
 *   override async end() {
 *     if (this.#batch.length > 0) await this.push(this.#batch)
 *     this.#batch = []
 *     return super.end()
 *   }
 * }
 * ```
 */
export class AsyncQueue<In = unknown, Out = In> {
  /** The most items the queue holds before `put` waits; `0` means unbounded. */
  readonly maxSize: number
  #items = new RingBuffer<Out>()
  #waitingGets = new RingBuffer<(item: unknown) => void>()
  #waitingPuts = new RingBuffer<WaitingPut<Out>>()
  #ended = false
  #discarded = false
  #wakeScheduled = false
  #wake = (): void => {
    this.#wakeScheduled = false
    while (this.#waitingGets.length > 0) {
      const item = this.tryGet()
      if (item === QUEUE_EMPTY && !this.#ended) return
      ;(this.#waitingGets.shift() as (item: unknown) => void)(item)
    }
  }

  /** @param maxSize the bound; `0` (the default) means unbounded. */
  constructor(maxSize = 0) {
    if (!Number.isInteger(maxSize) || maxSize < 0) {
      throw new TypeError(`AsyncQueue maxSize: expected an integer >= 0, got ${String(maxSize)}`)
    }
    this.maxSize = maxSize
  }

  /** Items waiting to be taken, not counting puts blocked by a full queue. */
  get size(): number {
    return this.#items.length
  }

  /** True once {@link AsyncQueue.end} ran: no more items will come in. */
  get ended(): boolean {
    return this.#ended
  }

  /** True when a bounded queue holds `maxSize` items. */
  get full(): boolean {
    return this.maxSize > 0 && this.#items.length >= this.maxSize
  }

  /**
   * Adds an item; returns a promise only when it has to wait for room.
   * Override it to transform, batch or combine items; store with {@link AsyncQueue.push}.
   */
  put(item: In): Promise<void> | void {
    return this.push(item as unknown as Out)
  }

  /**
   * Called once by the executor when every upstream node has finished. Override it to flush
   * what a subclass holds back (a last partial batch), then call `super.end()` (if it is
   * forgotten, the executor ends the queue itself and logs a warning).
   */
  end(): Promise<void> | void {
    this.#ended = true
    if (this.#items.length > 0 || this.#waitingPuts.length > 0) return
    for (let waiting = this.#waitingGets.shift(); waiting; waiting = this.#waitingGets.shift()) {
      waiting(QUEUE_EMPTY)
    }
  }

  /**
   * Waits for the next item. Rejects with a `QUEUE_ENDED` error once the queue ended and drained.
   * For your own use: the executor reads with `tryGet()` and `next()`, and refuses a queue
   * that overrides `get()`.
   */
  async get(): Promise<Out> {
    const item = await this.next()
    if (item === QUEUE_EMPTY) {
      throw new GraphflowError('queue ended and is empty', { code: 'QUEUE_ENDED' })
    }
    return item
  }

  /** Takes the next item if there is one, without waiting. */
  tryGet(): Out | typeof QUEUE_EMPTY {
    if (this.#items.length === 0) return QUEUE_EMPTY
    const item = this.#items.shift() as Out
    if (this.#waitingPuts.length > 0 && this.#items.length <= this.maxSize >>> 1) {
      while (this.#items.length < this.maxSize) {
        const waiting = this.#waitingPuts.shift()
        if (!waiting) break
        this.#items.push(waiting.item)
        waiting.resolve()
      }
    }
    return item
  }

  /** Waits for the next item; resolves with {@link QUEUE_EMPTY} once the queue ended and drained. */
  next(): Promise<Out | typeof QUEUE_EMPTY> {
    const item = this.tryGet()
    if (item !== QUEUE_EMPTY || this.#ended) return Promise.resolve(item)
    return new Promise((resolve) => this.#waitingGets.push(resolve as (item: unknown) => void))
  }

  /** Iterates the items until the queue has ended and is drained. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Out, void, undefined> {
    for (let item = await this.next(); item !== QUEUE_EMPTY; item = await this.next()) yield item
  }

  /**
   * Drops every queued item, releases waiting `put`s (their items are dropped too) and ends
   * the queue. Later puts are dropped. The executor calls it when a run halts or is aborted.
   */
  discard(): void {
    this.#discarded = true
    this.#ended = true
    this.#items.clear()
    for (let waiting = this.#waitingPuts.shift(); waiting; waiting = this.#waitingPuts.shift()) {
      waiting.resolve()
    }
    for (let waiting = this.#waitingGets.shift(); waiting; waiting = this.#waitingGets.shift()) {
      waiting(QUEUE_EMPTY)
    }
  }

  /**
   * Empties the queue and opens it again. The executor calls it on a queue instance given to
   * `addNode` when a run is over, so what you put into it before the next run is delivered
   * in that run; subclasses holding state override it and call `super.reset()`.
   */
  reset(): void {
    this.discard()
    this.#discarded = false
    this.#ended = false
  }

  /** Stores an item for the node to take; waits while a bounded queue is full. */
  protected push(item: Out): Promise<void> | void {
    if (this.#discarded) return
    if (this.#ended) {
      throw new GraphflowError('put into a queue that has ended', { code: 'QUEUE_ENDED' })
    }
    // Behind puts that already wait, a new one waits too: items stay in FIFO order.
    if (this.maxSize > 0 && (this.#items.length >= this.maxSize || this.#waitingPuts.length > 0)) {
      return new Promise((resolve) => this.#waitingPuts.push({ item, resolve }))
    }
    this.#items.push(item)
    if (this.#waitingGets.length > 0 && !this.#wakeScheduled) {
      this.#wakeScheduled = true
      schedule(this.#wake)
    }
  }
}
