/**
 * One worker process of a graph spread over processes: a deployment maps roles to node names
 * and replica counts; a worker (role, replica) runs its role's nodes with `execute({ placement })`,
 * the edges that cross roles going through JetStream.
 */
import {
  AsyncExecutor,
  type AsyncExecutorOptions,
  type AsyncGraph,
  type ExecutionReport,
  type OptionChecks,
  optionChecks,
} from '@graphflow/core'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import type { Codec } from './codec.js'
import { type NodeLayout, provisionNode } from './layout.js'
import { JetStreamInboundQueue, JetStreamOutboundQueue } from './queues.js'
import { type RunControl, RunState, type Watch } from './run-state.js'

/** One role of a deployment: the nodes its workers run, and how many workers run them. */
export interface RoleSpec {
  /** Node names (every node of the graph is in exactly one role). */
  readonly nodes: readonly string[]
  /**
   * How many workers run this role (replica ids `0` to `replicas - 1`). Only replica 0 calls
   * the role's start nodes (sources); the others consume their inputs.
   * @default 1
   */
  readonly replicas?: number
}

/** Maps role names to the nodes they run and their replica counts. */
export interface Deployment {
  readonly roles: Readonly<Record<string, RoleSpec>>
}

/** Publishing options of every outbound edge of the worker (see `PublisherOptions`). */
export interface WorkerPublishOptions {
  /** @default 1_000 */
  readonly maxItems?: number
  /** @default the server's max_payload less 1 KiB */
  readonly maxBytes?: number
  /** @default 32 */
  readonly maxPending?: number
  /** @default 5 */
  readonly lingerMs?: number
  /** @default 10_000 */
  readonly ackTimeoutMs?: number
  /** @default 3 */
  readonly attempts?: number
}

/** Consuming options of every inbound edge of the worker (see `InboundConsumerOptions`). */
export interface WorkerConsumeOptions {
  /** @default 8 */
  readonly prefetch?: number
  /** @default 0 */
  readonly retries?: number
  /** @default [1_000, 5_000, 15_000] */
  readonly backoffMs?: readonly number[]
  /** @default a third of AckWait */
  readonly heartbeatMs?: number
  /** @default 0 (bounded by `prefetch`) */
  readonly maxSize?: number
  /** @default 250 */
  readonly endPollMs?: number
}

/** Options of {@link runWorker}. */
export interface RunWorkerOptions {
  /** The graph: the same definition in every worker. */
  readonly graph: AsyncGraph
  /** Roles, their nodes and replica counts: the same in every worker of the run. */
  readonly deployment: Deployment
  /**
   * The run id: names the streams and the KV bucket. The worker joins the run's current
   * attempt; after a halt or an abort, `RunState.rerun` (`graphflow-nats rerun`) starts the next
   * attempt, which resumes what is left.
   */
  readonly run: string
  /** The role this worker runs. */
  readonly role: string
  /**
   * This worker's replica id, `0` to the role's `replicas - 1`; the worker id is
   * `<role>-<replica>`.
   * @default 0
   */
  readonly replica?: number
  /**
   * NATS server URL(s) to connect to (the connection is closed at the end); or give
   * `connection`. The worker connects with `noAsyncTraces` (no stack captured per request: a
   * failed publish or ack is reported with its node, subject and message id).
   */
  readonly servers?: string | readonly string[]
  /** A connection to use (left open at the end); or give `servers`. */
  readonly connection?: NatsConnection
  /**
   * Turns items into payloads on every cross-role edge; every worker must use the same.
   * @default jsonCodec
   */
  readonly codec?: Codec
  /**
   * AckWait of the nodes' consumers: how long a message held by a worker that died stays
   * unacknowledged before it is redelivered. Give every worker of a run the same value.
   * @default 30_000
   */
  readonly ackWaitMs?: number
  /**
   * The most messages of a node delivered and not yet acknowledged, over all its replicas.
   * @default 1_000
   */
  readonly maxAckPending?: number
  /** @default the publisher's defaults */
  readonly publish?: WorkerPublishOptions
  /** @default the consumer's defaults */
  readonly consume?: WorkerConsumeOptions
  /** @default {} (the executor's defaults) */
  readonly executor?: AsyncExecutorOptions
  /**
   * How often the worker's per-node counters are written for `status`.
   * @default 1_000
   */
  readonly statusIntervalMs?: number
  /** Aborting it aborts the run in every worker (an `abort` in the run's control key). */
  readonly signal?: AbortSignal
}

/**
 * The worker options a graph module may export as `workerOptions` for `graphflow-nats run`
 * (the command line's `--ack-wait-ms` wins over `ackWaitMs`): what every worker of the run
 * should share (the codec, AckWait) or what the graph's shape asks for (smaller messages for
 * slow nodes, a prefetch).
 */
export type WorkerModuleOptions = Pick<
  RunWorkerOptions,
  'codec' | 'ackWaitMs' | 'maxAckPending' | 'publish' | 'consume' | 'executor' | 'statusIntervalMs'
>

/** What {@link runWorker} resolves with. */
export interface WorkerReport {
  /** `<role>-<replica>`. */
  readonly worker: string
  /** The executor's report for this worker's nodes. */
  readonly report: ExecutionReport
  /**
   * Items each node of this worker took from JetStream, a redelivered item counting again
   * (the report's `in` counts them too, with what local upstreams put).
   */
  readonly received: Readonly<Record<string, number>>
  /**
   * Set when publishing to a node of another role failed for good (refused by the server, e.g.
   * after an operator fenced this worker, or unacknowledged after every attempt): the worker
   * aborted its run (not the others'), its unacknowledged inputs come back after AckWait, and
   * it wrote no end marker, so `status` shows it missing until it is restarted or marked ended.
   */
  readonly failure: Error | undefined
  /** The halt or abort that stopped the run, if one did (written by this or another worker). */
  readonly control: RunControl | undefined
  /**
   * The attempt of the run this worker took part in: 0, or one more for each rerun after a
   * halt or an abort (see `RunState.rerun`).
   */
  readonly attempt: number
  /**
   * True when the attempt had already been halted or aborted when this worker started (it
   * started late): it ran nothing and reports the attempt's `control`, aborted. Rerun the run
   * (`RunState.rerun`, `graphflow-nats rerun --run <id>`) and start its workers again to resume.
   */
  readonly stoppedBeforeStart: boolean
  /**
   * True when this worker runs start nodes (replica 0 of their role) but did not call them,
   * because its run completed in an earlier attempt or boot: everything they yielded was stored
   * then.
   */
  readonly sourcesSkipped: boolean
}

/** Why a worker started after its attempt was halted or aborted ran nothing, and what to do. */
export function stoppedMessage(run: string, control: RunControl): string {
  return `run "${run}" was ${control.kind}ed by ${control.by} before this worker started (${control.reason}): to resume it, rerun it (graphflow-nats rerun --run ${run}, or RunState.rerun) and start its workers again`
}

/** Checks a deployment against a graph; returns each node's role and each role's replicas. */
export function checkDeployment(
  graph: AsyncGraph,
  deployment: Deployment,
): { roleOf: Map<string, string>; replicas: Map<string, number> } {
  const check: OptionChecks = optionChecks('runWorker')
  if (typeof deployment?.roles !== 'object' || deployment.roles === null) {
    check.fail(
      'deployment.roles',
      'an object of role name to { nodes, replicas }',
      deployment?.roles,
    )
  }
  const roleOf = new Map<string, string>()
  const replicas = new Map<string, number>()
  for (const [role, spec] of Object.entries(deployment.roles)) {
    if (!Array.isArray(spec?.nodes)) {
      check.fail(`deployment.roles.${role}.nodes`, 'an array of node names', spec?.nodes)
    }
    replicas.set(
      role,
      check.integer(`deployment.roles.${role}.replicas`, spec.replicas, 1, { min: 1 }),
    )
    for (const node of spec.nodes) {
      if (typeof node !== 'string' || !graph.getNode(node)) {
        throw new TypeError(
          `deployment.roles.${role}.nodes: node "${String(node)}" is not in the graph (nodes: ${graph.nodes.map((each) => each.name).join(', ')})`,
        )
      }
      const other = roleOf.get(node)
      if (other !== undefined) {
        throw new TypeError(
          `deployment.roles.${role}.nodes: node "${node}" is in role "${other}" already`,
        )
      }
      roleOf.set(node, role)
    }
  }
  const missing = graph.nodes.map((each) => each.name).filter((name) => !roleOf.has(name))
  if (missing.length > 0) {
    throw new TypeError(
      `deployment.roles: every node must be in a role, got none for ${missing.map((name) => `"${name}"`).join(', ')}`,
    )
  }
  return { roleOf, replicas }
}

/** Every worker that publishes to `node`: all replicas of the other roles holding an upstream. */
export function producersOf(
  graph: AsyncGraph,
  node: string,
  roleOf: ReadonlyMap<string, string>,
  replicas: ReadonlyMap<string, number>,
): string[] {
  const own = roleOf.get(node)
  const roles = new Set<string>()
  for (const source of graph.sourcesOf(node)) {
    const role = roleOf.get(source) as string
    if (role !== own) roles.add(role)
  }
  return [...roles]
    .sort()
    .flatMap((role) =>
      Array.from({ length: replicas.get(role) ?? 1 }, (_, index) => `${role}-${index}`),
    )
}

/**
 * Runs one worker of a distributed run and resolves with its report once its nodes are done:
 * provisions the streams, consumers and KV bucket it uses (idempotent: every worker does it),
 * runs the role's nodes with `execute({ placement })` (replica 0 alone calls the start nodes),
 * reads cross-role inputs from JetStream and publishes cross-role outputs to it. A halt in
 * this worker (a node with `haltOnException`) or an abort of `signal` is written to the run's
 * control key; a halt or abort written by any worker or operator aborts this one.
 *
 * The worker joins the run's current attempt and never starts a new one: started after the
 * attempt was halted or aborted, it runs nothing and resolves at once with the attempt's
 * `control`, aborted (`stoppedBeforeStart`). A rerun is explicit: `RunState.rerun`
 * (`graphflow-nats rerun --run <id>`) starts the next attempt once, and the workers started
 * afterwards (together or late) join it: it consumes what is still in the streams, and a source
 * whose worker completed earlier is not called again.
 */
export async function runWorker(options: RunWorkerOptions): Promise<WorkerReport> {
  const { graph, deployment, run, role } = options
  const { roleOf, replicas } = checkDeployment(graph, deployment)
  const roleSpec = deployment.roles[role]
  const check: OptionChecks = optionChecks('runWorker')
  if (typeof role !== 'string' || roleSpec === undefined) {
    check.fail(
      'role',
      `one of the deployment's roles (${Object.keys(deployment.roles).join(', ')})`,
      role,
    )
  }
  const count = replicas.get(role) as number
  const replica = options.replica ?? 0
  if (!Number.isInteger(replica) || replica < 0 || replica >= count) {
    check.fail(
      'replica',
      `an integer from 0 to ${count - 1} (role "${role}" has ${count} replicas)`,
      options.replica,
    )
  }
  const statusIntervalMs = check.integer('statusIntervalMs', options.statusIntervalMs, 1_000, {
    min: 1,
  })
  if ((options.servers === undefined) === (options.connection === undefined)) {
    check.fail('servers', 'exactly one of "servers" and "connection"', options.servers)
  }
  const worker = `${role}-${replica}`
  const local = new Set(roleSpec.nodes)
  const nc =
    options.connection ??
    (await connect({
      servers: options.servers as string | string[],
      name: `graphflow ${run} ${worker}`,
      noAsyncTraces: true,
    }))
  const watches: Watch[] = []
  const fenceWatches: Promise<Watch>[] = []
  let statusTimer: NodeJS.Timeout | undefined
  try {
    const js = jetstream(nc)
    const jsm = await jetstreamManager(nc)
    const state = await RunState.open(nc, run)
    // Joins the current attempt; only an explicit rerun (RunState.rerun) starts the next one.
    const attempt = await state.begin()
    // Started after its attempt was halted or aborted: run nothing, report the control record.
    const stoppedBefore = await state.stopped()
    const layouts = new Map<string, NodeLayout>()
    const layoutOf = async (node: string): Promise<NodeLayout> => {
      let layout = layouts.get(node)
      if (layout === undefined) {
        layout = await provisionNode(jsm, {
          run,
          node,
          producers: producersOf(graph, node, roleOf, replicas),
          ...(options.ackWaitMs === undefined ? {} : { ackWaitMs: options.ackWaitMs }),
          ...(options.maxAckPending === undefined ? {} : { maxAckPending: options.maxAckPending }),
        })
        await state.registerNode(layout)
        layouts.set(node, layout)
      }
      return layout
    }
    // Provision before the run: queue factories are synchronous.
    const inbound = graph.nodes
      .map((each) => each.name)
      .filter(
        (name) => local.has(name) && graph.sourcesOf(name).some((source) => !local.has(source)),
      )
    const outbound = graph.nodes
      .map((each) => each.name)
      .filter(
        (name) => !local.has(name) && graph.sourcesOf(name).some((source) => local.has(source)),
      )
    for (const node of [...inbound, ...outbound]) await layoutOf(node)

    let control: RunControl | undefined = stoppedBefore
    let failure: Error | undefined
    const controller = new AbortController()
    if (stoppedBefore !== undefined) controller.abort(new Error(stoppedMessage(run, stoppedBefore)))
    const controlWrites: Promise<void>[] = []
    const stopLocally = (kind: RunControl['kind'], reason: string) => {
      if (control !== undefined || controller.signal.aborted || failure !== undefined) return
      // Known here at once: the run may end before the watch delivers this worker's own write.
      control = { kind, reason, by: worker, at: new Date().toISOString() }
      controlWrites.push(state.control(kind, reason, worker).catch(() => {}))
    }
    watches.push(
      await state.watchControl((written) => {
        control ??= written
        controller.abort(new Error(`run ${written.kind}ed by ${written.by}: ${written.reason}`))
      }),
    )
    const onUserAbort = () => {
      stopLocally('abort', `aborted in worker ${worker}`)
      controller.abort(options.signal?.reason)
    }
    options.signal?.addEventListener('abort', onUserAbort, { once: true })
    if (options.signal?.aborted) onUserAbort()
    // Publishing failed for good: stop this worker only (see WorkerReport.failure).
    const onFailure = (error: unknown) => {
      failure ??= error instanceof Error ? error : new Error(String(error))
      controller.abort(failure)
    }
    // The executor discards every queue when it halts (or is aborted): tell the other workers.
    const onDiscard = () =>
      stopLocally('halt', `a node of worker ${worker} halted the run (haltOnException)`)

    const consume = options.consume ?? {}
    const publish = options.publish ?? {}
    const codec = options.codec === undefined ? {} : { codec: options.codec }
    const inboundQueues = new Map<string, JetStreamInboundQueue>()
    const received = () =>
      Object.fromEntries([...inboundQueues].map(([node, queue]) => [node, queue.received]))
    const executor = new AsyncExecutor(graph, options.executor)
    const writeStatus = async () => {
      const stats = executor.dataFlowStats ?? {}
      await Promise.all(
        [...local].map((node) => {
          const counters = stats[node]
          if (counters === undefined) return undefined
          return state.putStatus(node, worker, counters)
        }),
      )
    }
    // A worker that ran nothing leaves the counters of its earlier boots as they are.
    if (stoppedBefore === undefined) {
      statusTimer = setInterval(() => void writeStatus().catch(() => {}), statusIntervalMs)
      statusTimer.unref()
    }
    const startsHere = graph.nodes.some(
      (each) => local.has(each.name) && graph.sourcesOf(each.name).length === 0,
    )
    // Sources run once per run id: not again in a rerun or a restart once this worker completed.
    const sourcesSkipped =
      replica === 0 && startsHere && (await state.finishedIn(worker)) !== undefined
    const report = await executor.execute({
      signal: controller.signal,
      ...((replica > 0 || sourcesSkipped || stoppedBefore !== undefined) && startsHere
        ? { startNodes: {} }
        : {}),
      placement: {
        local: [...local],
        inboundQueue: (node) => {
          const queue = new JetStreamInboundQueue({
            ...consume,
            ...codec,
            js,
            state,
            layout: layouts.get(node) as NodeLayout,
            onDiscard,
          })
          inboundQueues.set(node, queue)
          return queue
        },
        outboundQueue: (node) => {
          const layout = layouts.get(node) as NodeLayout
          const queue = new JetStreamOutboundQueue({
            ...publish,
            ...codec,
            js,
            state,
            layout,
            worker,
            serverMaxPayload: nc.info?.max_payload,
            onDiscard,
            onFailure,
          })
          fenceWatches.push(
            state.watchFence(layout, worker, (reason) => queue.publisher.fence(reason)),
          )
          return queue
        },
      },
    })
    options.signal?.removeEventListener('abort', onUserAbort)
    clearInterval(statusTimer)
    await Promise.all([stoppedBefore === undefined ? writeStatus() : undefined, ...controlWrites])
    if (report.ok) await state.markFinished(worker)
    return {
      worker,
      report,
      received: received(),
      failure,
      control,
      attempt,
      sourcesSkipped,
      stoppedBeforeStart: stoppedBefore !== undefined,
    }
  } finally {
    clearInterval(statusTimer)
    for (const watch of await Promise.allSettled(fenceWatches)) {
      if (watch.status === 'fulfilled') watches.push(watch.value)
    }
    for (const watch of watches) watch.stop()
    if (options.connection === undefined) await nc.close()
  }
}
