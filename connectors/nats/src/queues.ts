/**
 * The two ends of an edge that crosses processes, as `@graphflow/core` queues for
 * `execute({ placement })`: {@link JetStreamInboundQueue} feeds a local node from its stream and
 * acknowledges each message once everything derived from its items is done;
 * {@link JetStreamOutboundQueue} stands for a remote node, publishes what local nodes put into
 * it and holds each item until JetStream stored it.
 */
import { AsyncQueue, type WorkResult } from '@graphflow/core'
import type { JetStreamClient } from '@nats-io/jetstream'
import type { Codec } from './codec.js'
import { InboundConsumer, type InboundConsumerOptions } from './consumer.js'
import type { NodeLayout } from './layout.js'
import { Publisher, type PublisherOptions } from './publisher.js'
import type { EndWatch, RunState } from './run-state.js'

/** Options of {@link JetStreamInboundQueue}. */
export interface JetStreamInboundQueueOptions
  extends Omit<InboundConsumerOptions, 'js' | 'layout' | 'onSettled' | 'codec'> {
  /** The JetStream client to pull with. */
  readonly js: JetStreamClient
  /** The node's input, from `provisionNode`. */
  readonly layout: NodeLayout
  /** The run's control plane: the end-of-stream check reads its end markers. */
  readonly state: RunState
  /**
   * Turns payloads into items; must match the producers' codec.
   * @default jsonCodec
   */
  readonly codec?: Codec
  /**
   * The most items held in the queue in front of the node; a full queue stops the consumer
   * from taking more messages. `0`: bounded only by `prefetch` messages.
   * @default 0
   */
  readonly maxSize?: number
  /**
   * How often the end-of-stream check polls the server (it also runs on every end marker and
   * settlement).
   * @default 250
   */
  readonly endPollMs?: number
  /** Called when the executor discards the queue (the run halts or is aborted). */
  readonly onDiscard?: () => void
}

/**
 * The queue in front of a local node whose upstream runs in another process. The executor
 * calls `end()` when the node's local upstreams are done; from then on it consumes the node's
 * stream, pushing every item with `push(item, onDone)`: a message is acknowledged once every
 * item of it is done (`ok`), or with a failure nak'd or terminated per `retries` (acknowledged
 * without `retries`, the failure being counted by the node as in one process). It ends once
 * every expected producer wrote its end marker and the stream is empty (nothing pending,
 * awaiting an ack or nak'd for retry). On a halt or an abort (`discard()`) it stops pulling;
 * the messages it held are not acknowledged and come back after AckWait.
 */
export class JetStreamInboundQueue extends AsyncQueue<never, unknown> {
  readonly node: string
  #options: JetStreamInboundQueueOptions
  #consumer: InboundConsumer
  #watch: EndWatch | undefined
  #stopped: (() => void) | undefined
  #discarded = false
  #settlements = { ack: 0, nak: 0, term: 0 }
  #received = 0

  constructor(options: JetStreamInboundQueueOptions) {
    super(options.maxSize ?? 0)
    this.#options = options
    this.node = options.layout.node
    const {
      js,
      layout,
      state: _state,
      maxSize: _maxSize,
      endPollMs: _endPollMs,
      onDiscard: _onDiscard,
      ...consumerOptions
    } = options
    // Made here so that bad options are refused when the queue is made, not when it ends.
    this.#consumer = new InboundConsumer({
      ...consumerOptions,
      js,
      layout,
      onSettled: (settlement) => {
        this.#settlements[settlement.outcome]++
        this.#watch?.check()
      },
    })
  }

  override get tracksWork(): boolean {
    return true
  }

  /** Messages settled so far by this queue, by outcome. */
  get settlements(): { readonly ack: number; readonly nak: number; readonly term: number } {
    return { ...this.#settlements }
  }

  /** Items taken from the stream and pushed to the node (a redelivered item counts again). */
  get received(): number {
    return this.#received
  }

  /** Consumes the node's input until it ended (see the class comment), then ends the queue. */
  override async end(): Promise<void> {
    if (this.#discarded) return super.end()
    const { layout, state, endPollMs } = this.#options
    const consumer = this.#consumer
    const watch = state.watchEnd(layout, {
      isIdle: () => consumer.inWork === 0,
      ...(endPollMs === undefined ? {} : { pollMs: endPollMs }),
    })
    this.#watch = watch
    const stopped = new Promise<void>((resolve) => {
      this.#stopped = resolve
    })
    const running = consumer.run(async (message) => {
      // One callback per message, not per item: the executor calls an item's onDone exactly
      // once (never after a halt or an abort), so counting the calls reports every index once
      // and the message is settled after the last of its items is done.
      let reported = 0
      const onDone = (result: WorkResult) => message.done(reported++, result.ok)
      for (let index = 0; index < message.items.length; index++) {
        this.#received++
        const pushing = this.push(message.items[index], onDone)
        if (pushing !== undefined) await pushing
      }
    })
    try {
      await Promise.race([watch.ended, running, stopped])
    } finally {
      consumer.stop()
      watch.stop()
      try {
        await running
        await consumer.settled()
      } finally {
        super.end()
      }
    }
  }

  /** Stops consuming on a halt or an abort; held messages come back after AckWait. */
  override discard(): void {
    this.#discarded = true
    this.#consumer.stop()
    this.#watch?.stop()
    this.#stopped?.()
    super.discard()
    this.#options.onDiscard?.()
  }
}

/** Options of {@link JetStreamOutboundQueue}. */
export interface JetStreamOutboundQueueOptions
  extends Omit<PublisherOptions, 'onAck' | 'onFailure'> {
  /** The run's control plane: `end()` writes this worker's end marker there. */
  readonly state: RunState
  /**
   * Called once when publishing fails for good (refused by the server, e.g. after a fence, or
   * unacknowledged after every attempt) or the publisher refuses an item (fenced): the items
   * it holds will never be released, so the inputs they derive from cannot be acknowledged.
   * Stop the run here (abort it): they are redelivered after AckWait.
   */
  readonly onFailure?: (error: unknown) => void
  /** Called when the executor discards the queue (the run halts or is aborted). */
  readonly onDiscard?: () => void
}

/**
 * The queue standing for a remote node: what local nodes put into it is published to the
 * node's stream (packed, with a bounded window: `put` waits while it is full). Each item is
 * held (`hold()`) until JetStream stored the message carrying it, so an input of this process
 * is acknowledged, or a source position stored, only after its outputs are stored. `end()`
 * (every local upstream done) flushes, waits for every acknowledgement and writes this
 * worker's end marker for the node. After a halt or an abort (`discard()`) nothing more is
 * published and no end marker is written.
 */
export class JetStreamOutboundQueue extends AsyncQueue<never, unknown> {
  readonly node: string
  readonly publisher: Publisher
  #state: RunState
  #layout: NodeLayout
  #discarded = false
  #onDiscard: (() => void) | undefined
  #onFailure: ((error: unknown) => void) | undefined
  #failure: unknown

  constructor(options: JetStreamOutboundQueueOptions) {
    super()
    const { state, onDiscard, onFailure, ...publisherOptions } = options
    this.#onDiscard = onDiscard
    this.#onFailure = onFailure
    this.publisher = new Publisher({
      ...publisherOptions,
      onFailure: (error) => this.#failed(error),
    })
    this.#state = state
    this.#layout = options.layout
    this.node = options.layout.node
  }

  override get tracksWork(): boolean {
    return true
  }

  override put(item: unknown): Promise<void> | void {
    if (this.#discarded) return
    try {
      return this.publisher.add(item, this.hold())
    } catch (error) {
      this.#failed(error)
      throw error
    }
  }

  #failed(error: unknown): void {
    if (this.#failure !== undefined) return
    this.#failure = error
    this.#onFailure?.(error)
  }

  /** Flushes, waits for every acknowledgement, writes the end marker, ends the queue. */
  override async end(): Promise<void> {
    try {
      if (!this.#discarded) {
        await this.publisher.flush()
        await this.#state.markProducerEnded(this.#layout, this.publisher.worker, {
          bootId: this.publisher.bootId,
          ...this.publisher.published,
        })
      }
    } finally {
      super.end()
    }
  }

  override discard(): void {
    this.#discarded = true
    super.discard()
    this.#onDiscard?.()
  }
}
