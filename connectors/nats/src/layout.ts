/**
 * What a run needs on the server: one WorkQueue stream per (run, node) holding the node's
 * input, with one durable pull consumer shared by the node's replicas, and one KV bucket per
 * run for control (end markers, fences, halt/abort, status). Provisioning is idempotent: every
 * worker provisions what it uses, and workers racing to create the same stream or consumer
 * all succeed. Only features of nats-server 2.9 are used (one subject filter at most).
 */
import { optionChecks } from '@graphflow/core'
import {
  AckPolicy,
  type ConsumerInfo,
  DeliverPolicy,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamInfo,
} from '@nats-io/jetstream'
import { type KV, Kvm } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'
import { type NodeNames, nodeNames, runBucket } from './names.js'

const NANOS_PER_MS = 1_000_000

/** Options of {@link provisionNode}. */
export interface NodeLayoutOptions {
  /** The run id. */
  readonly run: string
  /** The node whose input the stream holds. */
  readonly node: string
  /**
   * Every worker that publishes to the node (known from the deployment: all replicas of every
   * role running an upstream node). Each publishes on its own subject; fencing a worker removes
   * its subject from the stream, so the server refuses its late publishes.
   */
  readonly producers: readonly string[]
  /**
   * How long a delivered message may stay unacknowledged before the server redelivers it.
   * @default 30_000
   */
  readonly ackWaitMs?: number
  /**
   * The most messages delivered and not yet acknowledged, over all replicas.
   * @default 1_000
   */
  readonly maxAckPending?: number
  /**
   * The server's de-duplication window for message ids.
   * @default 120_000
   */
  readonly duplicateWindowMs?: number
}

/** A provisioned node input. */
export interface NodeLayout {
  readonly names: NodeNames
  readonly run: string
  readonly node: string
  readonly producers: readonly string[]
  readonly ackWaitMs: number
}

/** Checks {@link NodeLayoutOptions}; throws a TypeError naming the option. */
export function checkLayoutOptions(options: NodeLayoutOptions): Required<NodeLayoutOptions> {
  const check = optionChecks('provisionNode')
  const { producers } = options
  if (!Array.isArray(producers) || producers.length === 0) {
    check.fail('producers', 'a non-empty array of worker ids', producers)
  }
  if (new Set(producers).size !== producers.length) {
    check.fail('producers', 'distinct worker ids', producers)
  }
  const positive = (
    option: 'ackWaitMs' | 'maxAckPending' | 'duplicateWindowMs',
    fallback: number,
  ) => check.integer(option, options[option], fallback, { min: 1 })
  return {
    run: options.run,
    node: options.node,
    producers,
    ackWaitMs: positive('ackWaitMs', 30_000),
    maxAckPending: positive('maxAckPending', 1_000),
    duplicateWindowMs: positive('duplicateWindowMs', 120_000),
  }
}

const isApiError = (error: unknown, code?: number): error is JetStreamApiError =>
  error instanceof JetStreamApiError && (code === undefined || error.code === code)

/** The stream already exists with another config (e.g. a fenced subject was removed). */
const STREAM_NAME_IN_USE = 10058
/** The durable consumer already exists with another config. */
const CONSUMER_NAME_EXISTS = 10148
const CONSUMER_ALREADY_EXISTS = 10105

/**
 * Creates (or finds) the node's WorkQueue stream and its durable pull consumer. Safe to call
 * from every worker at once. An existing stream keeps its subjects (a fenced producer stays
 * fenced); one with another retention policy is an error naming the stream.
 */
export async function provisionNode(
  jsm: JetStreamManager,
  options: NodeLayoutOptions,
): Promise<NodeLayout> {
  const checked = checkLayoutOptions(options)
  const names = nodeNames(checked.run, checked.node)
  const subjects = checked.producers.map((worker) => names.subject(worker))
  let info: StreamInfo
  try {
    info = await jsm.streams.add({
      name: names.stream,
      subjects,
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      duplicate_window: checked.duplicateWindowMs * NANOS_PER_MS,
    })
  } catch (error) {
    if (!isApiError(error, STREAM_NAME_IN_USE)) throw error
    info = await jsm.streams.info(names.stream)
  }
  if (info.config.retention !== RetentionPolicy.Workqueue) {
    throw new Error(
      `stream "${names.stream}" (run "${checked.run}", node "${checked.node}") exists with retention "${info.config.retention}", expected "workqueue": delete it or use another run id`,
    )
  }
  const consumer = {
    durable_name: names.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: checked.ackWaitMs * NANOS_PER_MS,
    max_ack_pending: checked.maxAckPending,
    max_deliver: -1,
  }
  let consumerInfo: ConsumerInfo
  try {
    // On an existing consumer the server applies the fields it can update (AckWait,
    // max_ack_pending): every worker of a run should pass the same values.
    consumerInfo = await jsm.consumers.add(names.stream, consumer)
  } catch (error) {
    if (isApiError(error, CONSUMER_NAME_EXISTS) || isApiError(error, CONSUMER_ALREADY_EXISTS)) {
      consumerInfo = await jsm.consumers.info(names.stream, names.consumer)
    } else if (isApiError(error) && /can ?not be updated/.test(error.message)) {
      throw new Error(
        `consumer "${names.consumer}" of stream "${names.stream}" (run "${checked.run}", node "${checked.node}") exists with settings that cannot be changed to graphflow's (${error.message}): delete it or use another run id`,
        { cause: error },
      )
    } else {
      throw error
    }
  }
  return {
    names,
    run: checked.run,
    node: checked.node,
    producers: checked.producers,
    // what the server has, which heartbeats must stay below
    ackWaitMs: Math.round((consumerInfo.config.ack_wait ?? consumer.ack_wait) / NANOS_PER_MS),
  }
}

/** Creates (or opens) the run's KV bucket. Safe to call from every worker at once. */
export async function openRunBucket(nc: NatsConnection, run: string): Promise<KV> {
  return new Kvm(nc).create(runBucket(run), { history: 1 })
}
