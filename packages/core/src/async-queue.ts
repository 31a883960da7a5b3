import { NotTrackedError, QueueEndedError } from './errors.js'
import { RingBuffer } from './ring-buffer.js'
import type { Lineage, OnDone, QueueTrack } from './work-tracking.js'

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
  lineage: Lineage | undefined
  resolve: () => void
}

/** Attaches a tracked run's state to a queue (or detaches it). @internal */
export const ATTACH_TRACK: unique symbol = Symbol('graphflow.attach-track')
/** Waits for the next item and hands its lineage along. @internal */
export const NEXT_TRACKED: unique symbol = Symbol('graphflow.next-tracked')

/**
 * Resolves once the puts blocked by a full queue are in (undefined when none wait). The executor
 * awaits it after a custom `put` returned, so a bounded queue bounds memory whatever `put`
 * returns (a `put` that drops the promise of `push` included). @internal
 */
export const ROOM: unique symbol = Symbol('graphflow.room')

/** An item taken with the lineage it carries. @internal */
export interface TrackedEntry {
  item: unknown
  lineage: Lineage | undefined
}

const noRelease = (): void => {}

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
 * Work tracking (see "Work tracking" in the README): an inbound edge pushes with
 * `push(item, onDone)`, an outbound edge calls `hold()` inside `put()`; both make
 * {@link AsyncQueue.tracksWork} true. In a tracked run a push carries the lineage of the put
 * in progress (and of earlier puts that pushed nothing, and of puts in flight), and the
 * executor takes items with an internal variant of `next()` that keeps it.
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
  #waitingGets = new RingBuffer<(item: unknown, lineage?: Lineage) => void>()
  #waitingPuts = new RingBuffer<WaitingPut<Out>>()
  #ended = false
  #discarded = false
  #wakeScheduled = false
  /** The promise of the last blocked push: it settles after every earlier one (FIFO). */
  #lastWaitingPut: Promise<void> | undefined
  /** Set for a tracked run: the lineage of each item in `#items`, in step. */
  #track: QueueTrack | undefined
  #lineages: RingBuffer<Lineage | undefined> | undefined
  #wake = (): void => {
    this.#wakeScheduled = false
    while (this.#waitingGets.length > 0) {
      // A tryGet() override that does not call super.tryGet() leaves no lineage, not a stale one.
      if (this.#track) this.#track.taken = undefined
      const item = this.tryGet()
      if (item === QUEUE_EMPTY && !this.#ended) return
      const track = this.#track
      let lineage: Lineage | undefined
      if (track) {
        lineage = track.taken
        track.taken = undefined
      }
      ;(this.#waitingGets.shift() as (item: unknown, lineage?: Lineage) => void)(item, lineage)
    }
  }

  /**
   * True when this queue takes part in work tracking: it pushes with `onDone` (an inbound
   * edge) or calls {@link AsyncQueue.hold} (an outbound edge). A run with such a queue tracks
   * work; override it with `true` in such a subclass. @default false
   */
  get tracksWork(): boolean {
    return false
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
      throw new QueueEndedError('queue ended and is empty')
    }
    return item
  }

  /** Takes the next item if there is one, without waiting. */
  tryGet(): Out | typeof QUEUE_EMPTY {
    if (this.#items.length === 0) return QUEUE_EMPTY
    if (this.#lineages !== undefined) return this.#tryGetTracked(this.#lineages)
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

  /** `tryGet()` in a tracked run: the item's lineage goes to the run's queue state. */
  #tryGetTracked(lineages: RingBuffer<Lineage | undefined>): Out {
    const item = this.#items.shift() as Out
    ;(this.#track as QueueTrack).taken = lineages.shift()
    if (this.#waitingPuts.length > 0 && this.#items.length <= this.maxSize >>> 1) {
      while (this.#items.length < this.maxSize) {
        const waiting = this.#waitingPuts.shift()
        if (!waiting) break
        this.#items.push(waiting.item)
        lineages.push(waiting.lineage)
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
    this.#lineages?.clear()
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

  /**
   * Stores an item for the node to take; waits while a bounded queue is full.
   *
   * In a tracked run (see "Work tracking" in the README) the item carries the lineage of the
   * put in progress and of earlier puts that pushed nothing. `onDone` makes the item an
   * origin: it is called once, with `{ ok, errors }`, when every call on it and on everything
   * derived from it finished and every sink committed what it received (an inbound edge acks
   * there). From a halt or an abort on it is never called (the message is redelivered). Giving `onDone` needs
   * {@link AsyncQueue.tracksWork} to be true.
   */
  protected push(item: Out, onDone?: OnDone): Promise<void> | void {
    if (this.#discarded) return
    if (this.#ended) {
      throw new QueueEndedError('put into a queue that has ended')
    }
    if (this.#track !== undefined || onDone !== undefined) return this.#pushTracked(item, onDone)
    // Behind puts that already wait, a new one waits too: items stay in FIFO order.
    if (this.maxSize > 0 && (this.#items.length >= this.maxSize || this.#waitingPuts.length > 0)) {
      this.#lastWaitingPut = new Promise((resolve) =>
        this.#waitingPuts.push({ item, lineage: undefined, resolve }),
      )
      return this.#lastWaitingPut
    }
    this.#items.push(item)
    if (this.#waitingGets.length > 0 && !this.#wakeScheduled) {
      this.#wakeScheduled = true
      schedule(this.#wake)
    }
  }

  /** `push()` in a tracked run: the item carries its lineage. */
  #pushTracked(item: Out, onDone: OnDone | undefined): Promise<void> | void {
    const track = this.#track
    if (track === undefined) {
      throw new NotTrackedError(
        'push(item, onDone) outside a tracked run: set tracksWork to true in the queue class (get tracksWork() { return true }) and push while a run is in progress',
      )
    }
    const lineage = track.carry(onDone)
    if (this.maxSize > 0 && (this.#items.length >= this.maxSize || this.#waitingPuts.length > 0)) {
      this.#lastWaitingPut = new Promise((resolve) =>
        this.#waitingPuts.push({ item, lineage, resolve }),
      )
      return this.#lastWaitingPut
    }
    this.#items.push(item)
    ;(this.#lineages as RingBuffer<Lineage | undefined>).push(lineage)
    if (this.#waitingGets.length > 0 && !this.#wakeScheduled) {
      this.#wakeScheduled = true
      schedule(this.#wake)
    }
  }

  /**
   * For an outbound edge, called inside `put()`: keeps the origins of the item being put from
   * being done until the returned function is called (when the remote side acknowledged the
   * item). Calling the release twice is harmless. Outside a tracked run it returns a no-op.
   */
  protected hold(): () => void {
    return this.#track ? this.#track.hold() : noRelease
  }

  /** @internal */
  [ROOM](): Promise<void> | undefined {
    if (this.#waitingPuts.length === 0) {
      this.#lastWaitingPut = undefined
      return undefined
    }
    return this.#lastWaitingPut
  }

  /** @internal */
  [ATTACH_TRACK](track: QueueTrack | undefined): void {
    this.#track = track
    if (!track) {
      this.#lineages = undefined
      return
    }
    const lineages = new RingBuffer<Lineage | undefined>()
    // Items pre-loaded before the run derive from no origin.
    for (let index = 0; index < this.#items.length; index++) lineages.push(undefined)
    this.#lineages = lineages
  }

  /** Like `next()`, with the lineage of the item taken. @internal */
  [NEXT_TRACKED](): Promise<TrackedEntry> {
    const track = this.#track as QueueTrack
    track.taken = undefined
    const item = this.tryGet()
    if (item !== QUEUE_EMPTY || this.#ended) {
      const lineage = track.taken
      track.taken = undefined
      return Promise.resolve({ item, lineage })
    }
    return new Promise((resolve) =>
      this.#waitingGets.push((item, lineage) => resolve({ item, lineage })),
    )
  }
}
