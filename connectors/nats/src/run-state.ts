/**
 * The control plane of a run, in its KV bucket: producers' end markers, the end-of-stream check
 * of a node's input, halt/abort, per-worker status counters, and fencing a worker an operator
 * marked ended.
 *
 * Keys (parts escaped, see `names.ts`): `layout.<node>` (the node's expected producers),
 * `attempt` (the run's current attempt, see {@link RunState.rerun}), and per attempt `a`:
 * `end.<a>.<node>.<worker>` (a producer's end marker), `done.<a>.<node>` (the node's input
 * ended) and `control.<a>` (halt or abort); for every attempt: `fence.<node>.<worker>` (an
 * operator marked the worker ended), `finished.<worker>` (the attempt in which the worker's run
 * completed) and `status.<node>.<worker>` (its latest counters).
 */
import { JetStreamApiError, type JetStreamManager, jetstreamManager } from '@nats-io/jetstream'
import type { KV, KvEntry } from '@nats-io/kv'
import { type NatsConnection, RequestError, TimeoutError } from '@nats-io/transport-node'
import { type NodeLayout, openRunBucket } from './layout.js'
import { attemptPart, escapeName, nodeNames, unescapeName } from './names.js'

/** A producer's end marker: it published everything it will publish to the node. */
export interface EndMarker {
  readonly worker: string
  /** The producer's boot id, or `operator` when an operator marked it ended. */
  readonly bootId: string
  /** Messages and items the producer published (acknowledged); `null` when fenced. */
  readonly messages: number | null
  readonly items: number | null
  /** Set when an operator marked the worker ended (see {@link RunState.markWorkerEnded}). */
  readonly fenced?: { readonly reason: string }
  readonly at: string
}

/** A halt (finish what is in work, take nothing new) or an abort (stop now), for every worker. */
export interface RunControl {
  readonly kind: 'halt' | 'abort'
  readonly reason: string
  readonly by: string
  readonly at: string
}

/** A worker's counters for one node. */
export interface NodeCounters {
  /** Items the node's calls took. */
  readonly in: number
  /** Items the node's calls yielded. */
  readonly out: number
  /** Failed calls. */
  readonly err: number
}

/** What `status` shows for one node. */
export interface NodeStatus {
  readonly node: string
  /** The run's current attempt, which `ended`, `missing` and `done` are about. */
  readonly attempt: number
  /** Every producer the node expects, from the deployment. */
  readonly producers: readonly string[]
  /** End markers by producer, in the current attempt. */
  readonly ended: Readonly<Record<string, EndMarker>>
  /** Producers an operator marked ended (fenced), in this or an earlier attempt, with the reason. */
  readonly fenced: Readonly<Record<string, string>>
  /**
   * Expected producers without an end marker in the current attempt and not fenced: the node's
   * input cannot end without them.
   */
  readonly missing: readonly string[]
  /** True once the node's input ended in the current attempt (`done.<attempt>.<node>`). */
  readonly done: boolean
  /** Counters by worker. */
  readonly workers: Readonly<Record<string, NodeCounters & { readonly at: string }>>
  /**
   * The node's input on the server: messages in the stream (not yet acknowledged or
   * terminated), of which `pending` not yet delivered and `awaitingAck` delivered to a replica.
   * `undefined` when the stream is missing.
   */
  readonly input?: {
    readonly messages: number
    readonly pending: number
    readonly awaitingAck: number
  }
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const json = (value: unknown) => encoder.encode(JSON.stringify(value))
const parse = <T>(entry: KvEntry): T => JSON.parse(decoder.decode(entry.value)) as T

/** Subject placeholder kept by a stream whose every producer was fenced (no worker escapes to it). */
const FENCED_SUBJECT_TOKEN = '_fenced'

const STREAM_NOT_FOUND = 10059

const ATTEMPT_KEY = 'attempt'
const controlKey = (attempt: number) => `control.${attemptPart(attempt)}`
/** The worker of an `end.<a>.<node>.<worker>`, `fence.<node>.<worker>` or `status...` key. */
const workerOfKey = (key: string) => unescapeName(key.split('.').at(-1) as string)

interface AttemptValue {
  readonly attempt: number
  /** The halt or abort that ended the previous attempt. */
  readonly after?: RunControl
  readonly at?: string
}

/**
 * {@link RunState.rerun} of a run whose current attempt was neither halted nor aborted (or that
 * no worker started yet): there is nothing to rerun.
 */
export class NothingToRerunError extends Error {
  override readonly name = 'NothingToRerunError'
  /** The run's current attempt; `undefined` when no worker started the run yet. */
  readonly attempt: number | undefined
  constructor(run: string, attempt: number | undefined) {
    super(
      attempt === undefined
        ? `run "${run}": no worker started it yet, nothing to rerun (start its workers)`
        : `run "${run}": attempt ${attempt} was neither halted nor aborted (it is running or completed), nothing to rerun`,
    )
    this.attempt = attempt
  }
}

/** A handle that stops a watch. */
export interface Watch {
  /** Stops the watch; its callback is not called any more. */
  stop(): void
}

/** How many times {@link whenAnswered} tries. */
const UNANSWERED_TRIES = 4

/**
 * Runs the first requests on a run's bucket, trying again when the server did not answer: a
 * request to a stream created a moment ago (by this worker or one starting beside it) can go
 * unanswered (nats-io/nats-server#6421), which the client reports as a timeout or as no
 * responders. Workers starting together under load met it in `kv.get` right after the bucket
 * was created. Other errors, and the last try's, are thrown.
 */
export async function whenAnswered<T>(
  request: () => Promise<T>,
  tries = UNANSWERED_TRIES,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request()
    } catch (error) {
      if (attempt >= tries || !unanswered(error)) throw error
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt))
    }
  }
}

function unanswered(error: unknown): boolean {
  return (
    error instanceof TimeoutError ||
    (error instanceof RequestError &&
      (error.isNoResponders() || error.cause instanceof TimeoutError))
  )
}

/** The control plane of one run; see the module comment. */
export class RunState {
  readonly run: string
  readonly kv: KV
  #nc: NatsConnection
  #attempt: number

  private constructor(nc: NatsConnection, run: string, kv: KV, attempt: number) {
    this.#nc = nc
    this.run = run
    this.kv = kv
    this.#attempt = attempt
  }

  /** Opens (or creates) the run's bucket, in the run's current attempt (0 for a new run). */
  static async open(nc: NatsConnection, run: string): Promise<RunState> {
    const { kv, entry } = await whenAnswered(async () => {
      const kv = await openRunBucket(nc, run)
      return { kv, entry: await kv.get(ATTEMPT_KEY) }
    })
    const attempt = entry?.operation === 'PUT' ? parse<AttemptValue>(entry).attempt : 0
    return new RunState(nc, run, kv, attempt)
  }

  /**
   * The attempt of the run this state reads and writes end markers, `done` keys and the
   * control key in. A halt or an abort ends an attempt; only an explicit rerun
   * ({@link RunState.rerun}) starts the next one, whose keys the old ones cannot end or stop.
   */
  get attempt(): number {
    return this.#attempt
  }

  /**
   * Joins the run's current attempt (creating attempt 0 for a new run) and returns it. It never
   * starts a new attempt: a worker that starts after its attempt was halted or aborted joins
   * that attempt, sees its control key ({@link RunState.stopped}) and stops, however late it
   * started.
   */
  async begin(): Promise<number> {
    for (;;) {
      const entry = await this.kv.get(ATTEMPT_KEY)
      if (entry?.operation === 'PUT') {
        this.#attempt = parse<AttemptValue>(entry).attempt
        return this.#attempt
      }
      try {
        await this.kv.create(ATTEMPT_KEY, json({ attempt: 0 } satisfies AttemptValue))
      } catch (error) {
        if ((await this.kv.get(ATTEMPT_KEY)) === null) throw error
      }
    }
  }

  /** The halt or abort written in the current attempt, if one was. */
  async stopped(): Promise<RunControl | undefined> {
    const entry = await this.kv.get(controlKey(this.#attempt))
    return entry?.operation === 'PUT' ? parse<RunControl>(entry) : undefined
  }

  /**
   * Reruns the run after a halt or an abort: starts its next attempt, once, and moves this
   * state to it. Workers started afterwards join the new attempt (whenever they start); the
   * new attempt consumes what is still in the streams, fences stay, and a source whose worker
   * completed in an earlier attempt is not called again.
   *
   * A compare-and-set on `attempt`: of two reruns of the same halted attempt, one starts the
   * next attempt and the other returns it. Throws a {@link NothingToRerunError} when the current
   * attempt was neither halted nor aborted (it is running, or completed, or no worker ever
   * started the run): there is nothing to rerun, start (or restart) its workers instead.
   */
  async rerun(): Promise<{ readonly attempt: number; readonly after: RunControl }> {
    for (;;) {
      const entry = await this.kv.get(ATTEMPT_KEY)
      if (entry?.operation !== 'PUT') {
        throw new NothingToRerunError(this.run, undefined)
      }
      const current = parse<AttemptValue>(entry).attempt
      this.#attempt = current
      const after = await this.stopped()
      if (after === undefined) throw new NothingToRerunError(this.run, current)
      const next: AttemptValue = { attempt: current + 1, after, at: new Date().toISOString() }
      try {
        await this.kv.update(ATTEMPT_KEY, json(next), entry.revision)
        this.#attempt = next.attempt
        return { attempt: next.attempt, after }
      } catch (error) {
        const now = await this.kv.get(ATTEMPT_KEY)
        if (now?.revision === entry.revision) throw error
        // another rerun of the same halted attempt started the next one first: that is this one
        const value = now?.operation === 'PUT' ? parse<AttemptValue>(now) : undefined
        if (value?.attempt === current + 1) {
          this.#attempt = value.attempt
          return { attempt: value.attempt, after }
        }
      }
    }
  }

  /** Records that `worker`'s run completed (report ok) in the current attempt. */
  async markFinished(worker: string): Promise<void> {
    await this.kv.put(
      `finished.${escapeName(worker)}`,
      json({ attempt: this.#attempt, at: new Date().toISOString() }),
    )
  }

  /** The attempt in which `worker`'s run completed, if one did. */
  async finishedIn(worker: string): Promise<number | undefined> {
    const entry = await this.kv.get(`finished.${escapeName(worker)}`)
    return entry?.operation === 'PUT' ? parse<{ attempt: number }>(entry).attempt : undefined
  }

  /** Records the node's expected producers (first writer wins; later calls keep it). */
  async registerNode(layout: NodeLayout): Promise<void> {
    try {
      await this.kv.create(
        layout.names.layoutKey,
        json({ node: layout.node, producers: layout.producers }),
      )
    } catch (error) {
      if ((await this.kv.get(layout.names.layoutKey)) === null) throw error
    }
  }

  /**
   * Writes `worker`'s end marker for the node. Call it once the producer's local upstreams are
   * done and `publisher.flush()` resolved (every publish acknowledged).
   */
  async markProducerEnded(
    layout: NodeLayout,
    worker: string,
    published: { readonly bootId: string; readonly messages: number; readonly items: number },
  ): Promise<void> {
    const marker: EndMarker = { worker, ...published, at: new Date().toISOString() }
    await this.kv.put(layout.names.endKey(worker, this.#attempt), json(marker))
  }

  /** Tells every worker of the current attempt to halt or abort the run. */
  async control(kind: RunControl['kind'], reason: string, by: string): Promise<void> {
    const value: RunControl = { kind, reason, by, at: new Date().toISOString() }
    await this.kv.put(controlKey(this.#attempt), json(value))
  }

  /** Calls `onControl` when a halt or abort is (or already was) written in the current attempt. */
  async watchControl(onControl: (control: RunControl) => void): Promise<Watch> {
    return this.#watch(controlKey(this.#attempt), (entry) => onControl(parse<RunControl>(entry)))
  }

  /** Writes `worker`'s counters for the node (overwrites the previous ones). */
  async putStatus(node: string, worker: string, counters: NodeCounters): Promise<void> {
    const names = nodeNames(this.run, node)
    await this.kv.put(names.statusKey(worker), json({ ...counters, at: new Date().toISOString() }))
  }

  /**
   * Marks `worker` ended for every node it produces for (an operator's command for a worker
   * that will not come back), fenced so that it cannot publish afterwards:
   * 1. `fence.<node>.<worker>` is written: a live worker watching it refuses to publish;
   * 2. the worker's subject is removed from the node's stream: the server refuses its publishes
   *    (whatever it runs, however late), and what it stored before stays and is consumed;
   * 3. its end marker is written in the current attempt (unless it wrote one itself), so the
   *    input can end; in later attempts (reruns) the fence counts as its end marker.
   * Safe for non-source workers: their unacknowledged input is redelivered to the others.
   * Returns the nodes it was marked ended for; a worker that produces for none is an error.
   */
  async markWorkerEnded(worker: string, reason: string): Promise<string[]> {
    const jsm = await jetstreamManager(this.#nc)
    const nodes: string[] = []
    for (const { node, producers } of await this.#layouts()) {
      if (!producers.includes(worker)) continue
      const names = nodeNames(this.run, node)
      await this.kv.put(names.fenceKey(worker), json({ reason, at: new Date().toISOString() }))
      await this.#removeSubject(jsm, names.stream, names.subject(worker), node)
      const marker: EndMarker = {
        worker,
        bootId: 'operator',
        messages: null,
        items: null,
        fenced: { reason },
        at: new Date().toISOString(),
      }
      const endKey = names.endKey(worker, this.#attempt)
      try {
        await this.kv.create(endKey, json(marker))
      } catch (error) {
        if ((await this.kv.get(endKey)) === null) throw error
      }
      nodes.push(node)
    }
    if (nodes.length === 0) {
      const known = [...new Set((await this.#layouts()).flatMap((each) => each.producers))]
      throw new Error(
        `run "${this.run}": worker "${worker}" is not a producer of any registered node (producers: ${known.join(', ') || 'none registered'})`,
      )
    }
    return nodes
  }

  async #removeSubject(jsm: JetStreamManager, stream: string, subject: string, node: string) {
    const info = await jsm.streams.info(stream)
    const subjects = (info.config.subjects ?? []).filter((each) => each !== subject)
    if (subjects.length === (info.config.subjects ?? []).length) return
    if (subjects.length === 0) {
      subjects.push(`graphflow.${escapeName(this.run)}.${escapeName(node)}.${FENCED_SUBJECT_TOKEN}`)
    }
    await jsm.streams.update(stream, { ...info.config, subjects })
  }

  /** Calls `onFence` when `worker` is (or already was) fenced for the node. */
  async watchFence(
    layout: NodeLayout,
    worker: string,
    onFence: (reason: string) => void,
  ): Promise<Watch> {
    return this.#watch(layout.names.fenceKey(worker), (entry) =>
      onFence(parse<{ reason: string }>(entry).reason),
    )
  }

  /** Reads the status of every registered node. */
  async status(): Promise<NodeStatus[]> {
    const jsm = await jetstreamManager(this.#nc)
    const out: NodeStatus[] = []
    for (const { node, producers } of await this.#layouts()) {
      const names = nodeNames(this.run, node)
      const ended: Record<string, EndMarker> = {}
      for (const entry of await this.#entries(names.endKeys(this.#attempt))) {
        const marker = parse<EndMarker>(entry)
        ended[marker.worker] = marker
      }
      const fenced: Record<string, string> = {}
      for (const entry of await this.#entries(names.fenceKeys)) {
        fenced[workerOfKey(entry.key)] = parse<{ reason: string }>(entry).reason
      }
      const workers: Record<string, NodeCounters & { at: string }> = {}
      for (const entry of await this.#entries(`status.${escapeName(node)}.*`)) {
        workers[workerOfKey(entry.key)] = parse<NodeCounters & { at: string }>(entry)
      }
      out.push({
        node,
        attempt: this.#attempt,
        producers,
        ended,
        fenced,
        missing: producers.filter((each) => !(each in ended) && !(each in fenced)),
        done: (await this.kv.get(names.doneKey(this.#attempt)))?.operation === 'PUT',
        workers,
        input: await this.#input(jsm, names.stream, names.consumer),
      })
    }
    return out
  }

  async #input(
    jsm: JetStreamManager,
    stream: string,
    consumer: string,
  ): Promise<NodeStatus['input']> {
    try {
      const [streamInfo, consumerInfo] = await Promise.all([
        jsm.streams.info(stream),
        jsm.consumers.info(stream, consumer),
      ])
      return {
        messages: streamInfo.state.messages,
        pending: consumerInfo.num_pending,
        awaitingAck: consumerInfo.num_ack_pending,
      }
    } catch {
      return undefined
    }
  }

  async #layouts(): Promise<{ node: string; producers: string[] }[]> {
    return (await this.#entries('layout.*')).map((entry) => parse(entry))
  }

  async #entries(filter: string): Promise<KvEntry[]> {
    const entries: KvEntry[] = []
    const keys: string[] = []
    for await (const key of await this.kv.keys(filter)) keys.push(key)
    for (const key of keys.sort()) {
      const entry = await this.kv.get(key)
      if (entry?.operation === 'PUT') entries.push(entry)
    }
    return entries
  }

  async #watch(key: string, onEntry: (entry: KvEntry) => void): Promise<Watch> {
    const iterator = await this.kv.watch({ key })
    ;(async () => {
      for await (const entry of iterator) if (entry.operation === 'PUT') onEntry(entry)
    })().catch(() => {})
    return { stop: () => iterator.stop() }
  }

  /**
   * Watches the end of the node's input, for a consumer of it. Resolves `ended` once every
   * expected producer wrote its end marker and the stream holds nothing (a WorkQueue stream
   * keeps a message until it is acknowledged or terminated: pending, awaiting ack and nak'd for
   * retry all count), or once another replica recorded `done.<node>`.
   *
   * Checks run when an end marker arrives and on {@link EndWatch.check} (call it after each
   * settlement: the consumer's `onSettled`); `isIdle` says whether this process still holds
   * messages of the node. A slow poll covers the last ack being another replica's.
   */
  watchEnd(
    layout: NodeLayout,
    options: { readonly isIdle?: () => boolean; readonly pollMs?: number } = {},
  ): EndWatch {
    return new EndWatch(
      this,
      this.#nc,
      layout,
      options.isIdle ?? (() => true),
      options.pollMs ?? 250,
    )
  }
}

/** See {@link RunState.watchEnd}. */
export class EndWatch {
  /** Resolves once the node's input ended. */
  readonly ended: Promise<void>
  #state: RunState
  #nc: NatsConnection
  #layout: NodeLayout
  #attempt: number
  #isIdle: () => boolean
  #endedProducers = new Set<string>()
  #resolve!: () => void
  #reject!: (error: unknown) => void
  #done = false
  #checking = false
  #again = false
  #watches: Watch[] = []
  #poll: NodeJS.Timeout | undefined
  #jsm: JetStreamManager | undefined

  constructor(
    state: RunState,
    nc: NatsConnection,
    layout: NodeLayout,
    isIdle: () => boolean,
    pollMs: number,
  ) {
    this.#state = state
    this.#nc = nc
    this.#layout = layout
    this.#attempt = state.attempt
    this.#isIdle = isIdle
    this.ended = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    this.ended.catch(() => {})
    this.#start(pollMs).catch((error) => this.#finish(error))
  }

  async #start(pollMs: number): Promise<void> {
    const kv = this.#state.kv
    const names = this.#layout.names
    // End markers of this attempt, and fences (an operator's end marker for every attempt).
    for (const key of [names.endKeys(this.#attempt), names.fenceKeys]) {
      const watch = await kv.watch({ key })
      this.#watches.push({ stop: () => watch.stop() })
      ;(async () => {
        for await (const entry of watch) {
          if (entry.operation !== 'PUT') continue
          this.#endedProducers.add(workerOfKey(entry.key))
          this.check()
        }
      })().catch((error) => this.#finish(error))
    }
    const doneWatch = await kv.watch({ key: names.doneKey(this.#attempt) })
    this.#watches.push({ stop: () => doneWatch.stop() })
    ;(async () => {
      for await (const entry of doneWatch) if (entry.operation === 'PUT') this.#finish()
    })().catch((error) => this.#finish(error))
    this.#poll = setInterval(() => this.check(), pollMs)
    this.#poll.unref()
    if (this.#done) this.stop()
  }

  /** Expected producers without an end marker seen yet. */
  get missing(): string[] {
    return this.#layout.producers.filter((each) => !this.#endedProducers.has(each))
  }

  /** Checks now (cheap unless every producer ended and this process is idle). */
  check(): void {
    if (this.#done || this.missing.length > 0 || !this.#isIdle()) return
    if (this.#checking) {
      this.#again = true
      return
    }
    this.#checking = true
    this.#streamEmpty()
      .then(async (empty) => {
        if (empty && this.#isIdle() && !this.#done) {
          await this.#state.kv.put(
            this.#layout.names.doneKey(this.#attempt),
            json({ at: new Date().toISOString() }),
          )
          this.#finish()
        }
      })
      // A failed check (a stream info request timing out on a loaded machine) is retried by the
      // next settlement, end marker or poll; a missing stream is an error.
      .catch((error) => {
        if (error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND) {
          this.#finish(
            new Error(
              `node "${this.#layout.node}": stream "${this.#layout.names.stream}" is missing: the input cannot end`,
              { cause: error },
            ),
          )
        }
      })
      .finally(() => {
        this.#checking = false
        if (this.#again) {
          this.#again = false
          this.check()
        }
      })
  }

  async #streamEmpty(): Promise<boolean> {
    this.#jsm ??= await jetstreamManager(this.#nc, { checkAPI: false })
    const info = await this.#jsm.streams.info(this.#layout.names.stream)
    return info.state.messages === 0
  }

  #finish(error?: unknown): void {
    if (this.#done) return
    this.#done = true
    this.stop()
    if (error === undefined) this.#resolve()
    else this.#reject(error)
  }

  /** Stops watching (`ended` stays pending if it had not resolved). */
  stop(): void {
    if (this.#poll) clearInterval(this.#poll)
    for (const watch of this.#watches.splice(0)) watch.stop()
  }
}
