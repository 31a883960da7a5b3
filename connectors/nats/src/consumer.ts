/**
 * Reads a node's input from its stream through the durable pull consumer shared by the node's
 * replicas: a bounded number of messages in this process, decoded into items, each message
 * settled once all its items are done, `working()` sent for messages still in work.
 */
import { messageOf, optionChecks } from '@graphflow/core'
import type { Consumer, JetStreamClient, JsMsg } from '@nats-io/jetstream'
import { type Codec, checkCodec, jsonCodec } from './codec.js'
import type { NodeLayout } from './layout.js'

/** Options of {@link InboundConsumer}. */
export interface InboundConsumerOptions {
  /** The JetStream client to pull with. */
  readonly js: JetStreamClient
  /** The node's input, from `provisionNode`. */
  readonly layout: NodeLayout
  /**
   * Turns payloads into items; must match the producers' codec.
   * @default jsonCodec
   */
  readonly codec?: Codec
  /**
   * The most messages held by this process (pulled and not yet settled).
   * @default 8
   */
  readonly prefetch?: number
  /**
   * How many times a message with a failed item is delivered again (`nak` with backoff) before
   * it is terminated. `0`: failures are counted by the caller and the message is acknowledged,
   * as in one process.
   * @default 0
   */
  readonly retries?: number
  /**
   * The delay before redelivery after the n-th failed delivery (1-based); the last entry
   * repeats.
   * @default [1_000, 5_000, 15_000]
   */
  readonly backoffMs?: readonly number[]
  /**
   * How often `working()` is sent for messages in work; below the consumer's AckWait.
   * @default a third of the layout's AckWait
   */
  readonly heartbeatMs?: number
  /** Called after each message was settled (acknowledged, nak'd or terminated). */
  readonly onSettled?: (settlement: Settlement) => void
  /**
   * Called when a pull request failed; the consumer retries it after 200 ms. Stop it from here
   * if the error is not transient (e.g. the consumer keeps being missing).
   */
  readonly onPullError?: (error: unknown) => void
}

/** How a message was settled. */
export interface Settlement {
  readonly seq: number
  readonly outcome: 'ack' | 'nak' | 'term'
  readonly items: number
  readonly failed: number
}

/** One message of the node's input, as the caller sees it. */
export interface InboundMessage {
  /** The decoded items, in the order they were published. */
  readonly items: readonly unknown[]
  /** The stream sequence. */
  readonly seq: number
  /** How many times the server delivered this message (1 the first time). */
  readonly deliveries: number
  /**
   * Reports item `index` done (`ok: false` when its call failed). Once every item is reported
   * the message is settled: acknowledged, or with failures and `retries`, nak'd or terminated.
   */
  done(index: number, ok?: boolean): void
}

/** How long one pull request waits for messages (its idle heartbeat is half of it). */
const PULL_EXPIRES_MS = 5_000
/** The pause before a failed pull is retried. */
const PULL_RETRY_MS = 200

/** An error that ends `run()` (the handler's, or a payload that cannot be decoded). */
class Fatal {
  constructor(readonly error: unknown) {}
}

class Delivery implements InboundMessage {
  readonly items: readonly unknown[]
  readonly seq: number
  readonly deliveries: number
  #remaining: number
  #failed = 0
  #reported: Uint8Array
  #complete: (delivery: Delivery, failed: number) => void
  readonly msg: JsMsg

  constructor(
    msg: JsMsg,
    items: readonly unknown[],
    complete: (delivery: Delivery, failed: number) => void,
  ) {
    this.#complete = complete
    this.msg = msg
    this.items = items
    this.seq = msg.info.streamSequence
    this.deliveries = msg.info.deliveryCount
    this.#remaining = items.length
    this.#reported = new Uint8Array(items.length)
  }

  done(index: number, ok = true): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.items.length) {
      throw new RangeError(`done: item index ${index} out of range 0..${this.items.length - 1}`)
    }
    if (this.#reported[index] === 1) {
      throw new Error(`done: item ${index} of message ${this.seq} was reported done already`)
    }
    this.#reported[index] = 1
    if (!ok) this.#failed++
    if (--this.#remaining === 0) this.#complete(this, this.#failed)
  }
}

/**
 * Pulls the node's input and hands each message to a handler. Use {@link InboundConsumer.run}:
 * the handler is awaited (backpressure), and at most `prefetch` messages are held unsettled.
 */
export class InboundConsumer {
  readonly node: string
  #js: JetStreamClient
  #layout: NodeLayout
  #codec: Codec
  #prefetch: number
  #retries: number
  #backoffMs: readonly number[]
  #heartbeatMs: number
  #onSettled: ((settlement: Settlement) => void) | undefined
  #onPullError: ((error: unknown) => void) | undefined
  #inWork = new Set<Delivery>()
  #slot: (() => void) | undefined
  #stopped = false
  #stopFetch: (() => void) | undefined
  #settling = 0
  #settledWaiters: (() => void)[] = []

  constructor(options: InboundConsumerOptions) {
    this.#js = options.js
    this.#layout = options.layout
    this.node = options.layout.node
    this.#codec = options.codec === undefined ? jsonCodec : checkCodec(options.codec)
    const check = optionChecks('InboundConsumer')
    this.#prefetch = check.integer('prefetch', options.prefetch, 8, { min: 1 })
    this.#retries = check.integer('retries', options.retries, 0, { min: 0 })
    const backoff = options.backoffMs ?? [1_000, 5_000, 15_000]
    if (
      !Array.isArray(backoff) ||
      backoff.length === 0 ||
      backoff.some((each) => !Number.isInteger(each) || each < 0)
    ) {
      check.fail('backoffMs', 'a non-empty array of integers >= 0', backoff)
    }
    this.#backoffMs = backoff
    const ackWaitMs = options.layout.ackWaitMs
    const heartbeatMs = check.integer(
      'heartbeatMs',
      options.heartbeatMs,
      Math.max(1, Math.floor(ackWaitMs / 3)),
      { min: 1 },
    )
    if (heartbeatMs >= ackWaitMs) {
      check.fail('heartbeatMs', `less than the consumer's AckWait (${ackWaitMs} ms)`, heartbeatMs)
    }
    this.#heartbeatMs = heartbeatMs
    this.#onSettled = options.onSettled
    this.#onPullError = options.onPullError
  }

  /** Messages held by this process and not yet settled. */
  get inWork(): number {
    return this.#inWork.size + this.#settling
  }

  /**
   * Pulls and hands messages to `handler` until {@link InboundConsumer.stop}. Resolves once
   * stopped; rejects when a payload cannot be decoded (the message is nak'd, so it stays in the
   * stream) or the handler throws. A failed pull is retried (see `onPullError`).
   */
  async run(handler: (message: InboundMessage) => void | Promise<void>): Promise<void> {
    const consumer = await this.#js.consumers.get(
      this.#layout.names.stream,
      this.#layout.names.consumer,
    )
    const heartbeat = setInterval(() => {
      for (const delivery of this.#inWork) delivery.msg.working()
    }, this.#heartbeatMs)
    heartbeat.unref()
    try {
      while (!this.#stopped) {
        await this.#roomForBatch()
        if (this.#stopped) break
        try {
          await this.#fetchInto(consumer, handler)
        } catch (error) {
          if (error instanceof Fatal) throw error.error
          if (this.#stopped) break
          // A pull that failed (missed heartbeats on a loaded machine, a reconnect, the consumer
          // deleted under us) is retried: messages it had delivered stay in work or come back
          // after AckWait.
          this.#onPullError?.(error)
          await new Promise((resolve) => setTimeout(resolve, PULL_RETRY_MS))
        }
      }
    } finally {
      clearInterval(heartbeat)
    }
  }

  /** Stops pulling; messages in work stay in work (settle them or let them be redelivered). */
  stop(): void {
    this.#stopped = true
    this.#stopFetch?.()
    this.#slot?.()
  }

  /** Resolves once no settlement is on its way to the server. */
  async settled(): Promise<void> {
    if (this.#settling === 0) return
    await new Promise<void>((resolve) => this.#settledWaiters.push(resolve))
  }

  async #fetchInto(
    consumer: Consumer,
    handler: (message: InboundMessage) => void | Promise<void>,
  ): Promise<void> {
    const room = this.#prefetch - this.#inWork.size - this.#settling
    const messages = await consumer.fetch({ max_messages: room, expires: PULL_EXPIRES_MS })
    this.#stopFetch = () => messages.stop()
    try {
      for await (const msg of messages) {
        let items: unknown[]
        try {
          items = this.#codec.decode(msg.data)
        } catch (error) {
          msg.nak(this.#backoffMs[0])
          throw new Fatal(
            new Error(
              `node "${this.node}": cannot decode message ${msg.info.streamSequence} of stream "${this.#layout.names.stream}": ${messageOf(error)}`,
              { cause: error },
            ),
          )
        }
        const delivery = new Delivery(msg, items, this.#settle)
        this.#inWork.add(delivery)
        if (items.length === 0) this.#settle(delivery, 0)
        else {
          try {
            await handler(delivery)
          } catch (error) {
            throw new Fatal(error)
          }
        }
      }
    } finally {
      this.#stopFetch = undefined
    }
  }

  /** Waits for room for half the prefetch (one pull request per batch, not per message). */
  #roomForBatch(): Promise<void> | undefined {
    if (this.#inWork.size + this.#settling <= this.#prefetch - Math.ceil(this.#prefetch / 2)) {
      return undefined
    }
    return new Promise<void>((resolve) => {
      this.#slot = resolve
    })
  }

  /** Called by a message once all its items are done. */
  #settle = (delivery: Delivery, failed: number): void => {
    this.#inWork.delete(delivery)
    const { msg } = delivery
    let outcome: Settlement['outcome'] = 'ack'
    if (failed > 0 && this.#retries > 0) {
      if (delivery.deliveries <= this.#retries) {
        const delay = this.#backoffMs[Math.min(delivery.deliveries, this.#backoffMs.length) - 1]
        outcome = 'nak'
        msg.nak(delay)
      } else {
        outcome = 'term'
        msg.term() // nats-server 2.9 ignores a reason string: use the plain form
      }
    }
    const settlement: Settlement = {
      seq: delivery.seq,
      outcome,
      items: delivery.items.length,
      failed,
    }
    // The ack is confirmed by the server before anyone is told, so an end-of-stream check
    // that follows sees the stream without this message.
    this.#settling++
    const confirmed = outcome === 'ack' ? msg.ackAck() : Promise.resolve(true)
    confirmed
      .catch(() => false)
      .then(() => {
        this.#settling--
        if (this.#inWork.size + this.#settling <= this.#prefetch - Math.ceil(this.#prefetch / 2)) {
          const slot = this.#slot
          this.#slot = undefined
          slot?.()
        }
        if (this.#settling === 0) for (const waiter of this.#settledWaiters.splice(0)) waiter()
        this.#onSettled?.(settlement)
      })
  }
}
