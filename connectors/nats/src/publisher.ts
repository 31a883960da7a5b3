/**
 * Publishes a node's input to its stream: many items per message (count and byte caps), an
 * asynchronous window of unacknowledged publishes, message ids for the server's de-dup window,
 * and a callback per message once JetStream stored it.
 */
import { optionChecks } from '@graphflow/core'
import type { JetStreamClient, PubAck } from '@nats-io/jetstream'
import { nuid, TimeoutError } from '@nats-io/nats-core'
import { type Codec, checkCodec, jsonCodec } from './codec.js'
import type { NodeLayout } from './layout.js'
import { NatsError } from './nats-error.js'
import { byteCap, encodePacks, type Pack } from './packer.js'

/** What {@link PublisherOptions.onAck} receives for each stored message. */
export interface PublishAck {
  /** The message id (worker, boot id, sequence). */
  readonly msgId: string
  /** The stream sequence the server stored it at. */
  readonly seq: number
  /** How many items the message carries. */
  readonly items: number
  /** True when the server had it already (a retried publish inside the de-dup window). */
  readonly duplicate: boolean
}

/** Options of {@link Publisher}. */
export interface PublisherOptions {
  /** The JetStream client to publish with. */
  readonly js: JetStreamClient
  /** The target node's input, from `provisionNode`. */
  readonly layout: NodeLayout
  /** This worker's id: one of the layout's producers. */
  readonly worker: string
  /**
   * Unique per process start, part of every message id, so the new items of a restarted
   * worker are never taken for duplicates of its previous life's.
   * @default a random NUID
   */
  readonly bootId?: string
  /**
   * Turns items into payloads.
   * @default jsonCodec
   */
  readonly codec?: Codec
  /**
   * The most items in one message.
   * @default 1_000
   */
  readonly maxItems?: number
  /**
   * The most bytes in one payload; never above the server's `max_payload` less header room.
   * @default the server's max_payload less 1 KiB
   */
  readonly maxBytes?: number
  /**
   * The server's `max_payload` (read it from `nc.info?.max_payload`).
   * @default 1 MiB
   */
  readonly serverMaxPayload?: number
  /**
   * The most messages published and not yet acknowledged; `add` waits while it is full.
   * @default 32
   */
  readonly maxPending?: number
  /**
   * How long a partly filled message waits for more items before it is sent.
   * @default 5
   */
  readonly lingerMs?: number
  /**
   * How long to wait for one publish acknowledgement before publishing again (same id).
   * @default 10_000
   */
  readonly ackTimeoutMs?: number
  /**
   * Publish attempts per message on ack timeouts, all with the same message id.
   * @default 3
   */
  readonly attempts?: number
  /** Called once per message when JetStream acknowledged it. */
  readonly onAck?: (ack: PublishAck) => void
  /**
   * Called once when the publisher fails (a refused publish, one unacknowledged after every
   * attempt, an item too large, a codec error): the items it had not stored will never be
   * acknowledged.
   */
  readonly onFailure?: (error: unknown) => void
}

/**
 * The publisher was fenced: its worker was marked ended and may not publish any more (code
 * `NATS_FENCED`).
 */
export class FencedError extends NatsError {
  override name = 'FencedError'

  constructor(message: string, details: { cause?: unknown } = {}) {
    super(message, { ...details, code: 'NATS_FENCED' })
  }
}

interface Waiter {
  resolve(): void
  reject(error: unknown): void
}

/**
 * Packs and publishes items for one (run, node, worker).
 *
 * `add(item, onStored)` returns nothing while there is room, a promise while the window of
 * unacknowledged publishes is full (await it: backpressure). `onStored` is called once the
 * message holding the item was acknowledged by JetStream. `flush()` sends the partial message
 * and resolves when every publish so far is acknowledged. A publish that fails (refused by the
 * server, e.g. after a fence, or unacknowledged after every attempt) fails the publisher: the
 * error names the node, the subject and the message id, and every later call rejects with it.
 */
export class Publisher {
  readonly node: string
  readonly subject: string
  readonly worker: string
  readonly bootId: string
  #js: JetStreamClient
  #stream: string
  #codec: Codec
  #maxItems: number
  #maxBytes: number
  #maxPending: number
  #lingerMs: number
  #ackTimeoutMs: number
  #attempts: number
  #onAck: ((ack: PublishAck) => void) | undefined
  #onFailure: ((error: unknown) => void) | undefined
  #items: unknown[] = []
  #callbacks: ((() => void) | undefined)[] = []
  #hasCallbacks = false
  #linger: NodeJS.Timeout | undefined
  #sequence = 0
  /** Publishes in flight, plus slots handed to a waiting message that has not published yet. */
  #pending = 0
  /** Messages waiting for room in the window. */
  #waiting = 0
  #slotWaiters: Waiter[] = []
  #idleWaiters: Waiter[] = []
  #failure: unknown
  #fence: string | undefined
  #messages = 0
  #published = 0

  constructor(options: PublisherOptions) {
    this.#js = options.js
    this.node = options.layout.node
    const check = optionChecks('Publisher')
    if (!options.layout.producers.includes(options.worker)) {
      const producers = options.layout.producers.join(', ')
      check.fail(
        'worker',
        `one of the producers of node "${this.node}" (${producers})`,
        options.worker,
      )
    }
    this.worker = options.worker
    this.subject = options.layout.names.subject(options.worker)
    this.#stream = options.layout.names.stream
    this.bootId = options.bootId ?? nuid.next()
    this.#codec = options.codec === undefined ? jsonCodec : checkCodec(options.codec)
    const count = (option: keyof PublisherOptions, fallback: number, min = 1): number =>
      check.integer(option, options[option], fallback, { min })
    this.#maxItems = count('maxItems', 1_000)
    this.#maxBytes = byteCap(
      options.serverMaxPayload,
      count('maxBytes', Number.MAX_SAFE_INTEGER, 64),
    )
    this.#maxPending = count('maxPending', 32)
    this.#lingerMs = count('lingerMs', 5, 0)
    this.#ackTimeoutMs = count('ackTimeoutMs', 10_000)
    this.#attempts = count('attempts', 3)
    this.#onAck = options.onAck
    this.#onFailure = options.onFailure
  }

  /** Messages and items acknowledged so far (what the end marker reports). */
  get published(): { readonly messages: number; readonly items: number } {
    return { messages: this.#messages, items: this.#published }
  }

  /** Publishes not yet acknowledged. */
  get pending(): number {
    return this.#pending
  }

  /**
   * Refuses every later `add` with a {@link FencedError} carrying `reason`. Called when the
   * worker sees its fence in the run's KV bucket; the server refuses its publishes anyway.
   */
  fence(reason: string): void {
    this.#fence ??= reason
  }

  /** Adds one item; see the class comment. */
  add(item: unknown, onStored?: () => void): Promise<void> | undefined {
    this.#check()
    this.#items.push(item)
    this.#callbacks.push(onStored)
    if (onStored) this.#hasCallbacks = true
    if (this.#items.length >= this.#maxItems) return this.#send()
    if (this.#linger === undefined) {
      this.#linger = setTimeout(() => {
        this.#linger = undefined
        // A failure is kept (#fail) and reported by the next add() or flush().
        try {
          this.#send()?.catch(() => {})
        } catch {}
      }, this.#lingerMs)
    }
    return undefined
  }

  /** Sends the partial message and waits until every publish so far is acknowledged. */
  async flush(): Promise<void> {
    this.#check()
    await this.#send()
    if (this.#pending > 0 || this.#waiting > 0) {
      await new Promise<void>((resolve, reject) => this.#idleWaiters.push({ resolve, reject }))
    }
    this.#check()
  }

  #check(): void {
    if (this.#failure !== undefined) throw this.#failure
    if (this.#fence !== undefined) {
      throw new FencedError(
        `node "${this.node}": worker "${this.worker}" was fenced (${this.#fence}) and may not publish`,
      )
    }
  }

  #send(): Promise<void> | undefined {
    if (this.#linger !== undefined) {
      clearTimeout(this.#linger)
      this.#linger = undefined
    }
    if (this.#items.length === 0) return undefined
    const items = this.#items
    const callbacks = this.#hasCallbacks ? this.#callbacks : undefined
    this.#items = []
    this.#callbacks = []
    this.#hasCallbacks = false
    let payloads: Pack[]
    try {
      payloads = encodePacks(items, {
        node: this.node,
        codec: this.#codec,
        maxBytes: this.#maxBytes,
      })
    } catch (error) {
      this.#fail(error)
      throw error
    }
    const [first] = payloads
    if (payloads.length === 1 && first)
      return this.#publishWhenRoom(first.payload, first.count, callbacks)
    // Split by the byte cap: hand each message the callbacks of its own items.
    let offset = 0
    let last: Promise<void> | undefined
    for (const { payload, count } of payloads) {
      const slice = callbacks?.slice(offset, offset + count)
      offset += count
      last = this.#chain(last, payload, count, slice)
    }
    return last
  }

  #chain(
    previous: Promise<void> | undefined,
    payload: Uint8Array,
    count: number,
    callbacks: ((() => void) | undefined)[] | undefined,
  ): Promise<void> | undefined {
    if (previous === undefined) return this.#publishWhenRoom(payload, count, callbacks)
    return previous.then(() => this.#publishWhenRoom(payload, count, callbacks))
  }

  #publishWhenRoom(
    payload: Uint8Array,
    count: number,
    callbacks: ((() => void) | undefined)[] | undefined,
  ): Promise<void> | undefined {
    if (this.#pending < this.#maxPending && this.#slotWaiters.length === 0) {
      this.#pending++
      this.#publish(payload, count, callbacks)
      return undefined
    }
    // Wait in line: #settled hands a freed slot (already counted in #pending) to the first one.
    this.#waiting++
    return new Promise<void>((resolve, reject) => this.#slotWaiters.push({ resolve, reject })).then(
      () => {
        this.#waiting--
        this.#publish(payload, count, callbacks)
      },
      (error: unknown) => {
        this.#waiting--
        throw error
      },
    )
  }

  #publish(
    payload: Uint8Array,
    count: number,
    callbacks: ((() => void) | undefined)[] | undefined,
  ): void {
    const msgId = `${this.worker}.${this.bootId}.${++this.#sequence}`
    if (this.#fence !== undefined || this.#failure !== undefined) {
      this.#pending--
      this.#settled()
      this.#check()
    }
    this.#publishWithRetry(payload, msgId).then(
      (ack) => {
        this.#pending--
        this.#messages++
        this.#published += count
        this.#onAck?.({ msgId, seq: ack.seq, items: count, duplicate: ack.duplicate })
        if (callbacks) for (const callback of callbacks) callback?.()
        this.#settled()
      },
      (error: unknown) => {
        this.#pending--
        this.#fail(
          new Error(
            `node "${this.node}": publish of message ${msgId} (${count} items) to "${this.subject}" failed: ${(error as Error)?.message ?? String(error)}`,
            { cause: error },
          ),
        )
      },
    )
  }

  async #publishWithRetry(payload: Uint8Array, msgId: string): Promise<PubAck> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#js.publish(this.subject, payload, {
          msgID: msgId,
          timeout: this.#ackTimeoutMs,
          expect: { streamName: this.#stream },
        })
      } catch (error) {
        if (!(error instanceof TimeoutError) || attempt >= this.#attempts) throw error
      }
    }
  }

  /** One publish settled: hand its slot to the first waiting message, or wake flush(). */
  #settled(): void {
    const waiter = this.#slotWaiters.shift()
    if (waiter) {
      this.#pending++ // the slot passes to the waiter
      waiter.resolve()
    }
    if (this.#pending === 0 && this.#waiting === 0) {
      for (const idle of this.#idleWaiters.splice(0)) idle.resolve()
    }
  }

  #fail(error: unknown): void {
    const first = this.#failure === undefined
    this.#failure ??= error
    if (first) this.#onFailure?.(error)
    for (const waiter of this.#slotWaiters.splice(0)) waiter.reject(this.#failure)
    for (const waiter of this.#idleWaiters.splice(0)) waiter.reject(this.#failure)
  }
}
