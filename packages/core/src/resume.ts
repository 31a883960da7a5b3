// Resumable loads: the state a run with `checkpoints` saves and reads back (see "Resumable
// loads" in the core README). Only used by such a run.

import type { CheckpointStore } from './checkpoint-store.js'
import { messageOf } from './describe-value.js'
import { CheckpointStateError, InvalidAsyncGraphError } from './errors.js'
import { type OptionChecks, optionChecks } from './option-checks.js'
import type { RunNode } from './run-node.js'

/** The key a run's state is stored under when `checkpoints.key` is not given. */
export const DEFAULT_CHECKPOINT_KEY = 'graphflow'

const STATE_FORMAT = 'graphflow-resume'
const STATE_VERSION = 1

/** Options of `execute({ checkpoints })`. */
export interface CheckpointOptions {
  /** Where the run's state is read from when it starts and written to as positions are stored. */
  store: CheckpointStore
  /**
   * The key of this load's state in the store: give each graph (or each load of one) its own
   * key when several share a store. @default 'graphflow'
   */
  key?: string
}

/** What a sink has stored of one source: the last position and the number of that unit. @internal */
export interface SinkState {
  /** The position of the last unit the sink stored (with every earlier one); `null` with `seq` 0. */
  position: unknown
  /**
   * That unit's number, counting the source's units from 1 across runs; 0 for a sink with a
   * `savePoint` that stored nothing yet (its `data` is where it started).
   */
  seq: number
  /** What the sink's `savePoint()` returned when the entry was saved (sinks with one only). */
  data?: unknown
}

/** The saved state: per source node, per sink. @internal */
export interface ResumeState {
  format: typeof STATE_FORMAT
  version: typeof STATE_VERSION
  sources: Record<string, Record<string, SinkState>>
}

/** `record[key]` when it is the record's own (node names like `constructor` are no accident). @internal */
export function ownEntry<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined
}

function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  })
}

/** Checks `execute`'s `checkpoints` option. @internal */
export function checkCheckpointOptions(given: unknown): Required<CheckpointOptions> | undefined {
  if (given === undefined) return undefined
  const check: OptionChecks = optionChecks('execute')
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    check.fail('checkpoints', '{ store, key? }', given)
  }
  const { store } = given as CheckpointOptions
  const methods = store as Partial<CheckpointStore> | null | undefined
  if (typeof methods?.get !== 'function' || typeof methods.put !== 'function') {
    check.fail('checkpoints.store', 'a CheckpointStore (get and put methods)', store)
  }
  const key = check.string(
    'checkpoints.key',
    (given as CheckpointOptions).key,
    DEFAULT_CHECKPOINT_KEY,
  )
  return { store, key }
}

/** Reads a run's state; `undefined` when the store has none under the key. @internal */
export async function loadState(options: Required<CheckpointOptions>): Promise<ResumeState> {
  const value = await options.store.get(options.key)
  if (value === undefined || value === null) {
    return { format: STATE_FORMAT, version: STATE_VERSION, sources: {} }
  }
  const state = value as Partial<ResumeState>
  const refuse = (what: string) =>
    new CheckpointStateError(
      `checkpoint state under key '${options.key}' ${what}; give another "checkpoints.key" or remove it to start over`,
    )
  if (typeof state !== 'object' || state.format !== STATE_FORMAT) {
    throw refuse(`is not the state of a graphflow run (expected "format": "${STATE_FORMAT}")`)
  }
  if (state.version !== STATE_VERSION) {
    throw refuse(`has version ${String(state.version)}, this core reads version ${STATE_VERSION}`)
  }
  const sources = state.sources
  if (typeof sources !== 'object' || sources === null) throw refuse('has no "sources"')
  for (const [node, sinks] of Object.entries(sources)) {
    if (typeof sinks !== 'object' || sinks === null) throw refuse(`has a bad entry for '${node}'`)
    for (const [sink, entry] of Object.entries(sinks)) {
      if (
        typeof entry !== 'object' ||
        entry === null ||
        !Number.isSafeInteger(entry.seq) ||
        entry.seq < 0
      ) {
        throw refuse(`has a bad entry for source '${node}', sink '${sink}'`)
      }
    }
  }
  return state as ResumeState
}

/** A change of one sink's entry, for {@link StateWriter.putWith}. @internal */
export interface EntryChange {
  node: string
  sink: string
  position: unknown
  seq: number
  data?: unknown
}

/**
 * Writes the state as it advances. An async store: at most one write in flight, the latest
 * state wins (a write that starts takes the state as it is then). A store with `putSync`:
 * written at once on every change (a state equal to the last one written is not written
 * again). @internal
 */
export class StateWriter {
  #dirty = false
  #writing: Promise<void> | undefined
  /** The text of the state last written through `putSync`. */
  #lastSync: string | undefined
  /** The text {@link putWith} wrote, until its commit settles. */
  #previewed: string | undefined
  /** The error of the last write, cleared by a later write that succeeded. */
  failure: unknown

  constructor(
    readonly options: Required<CheckpointOptions>,
    readonly state: ResumeState,
    readonly onError: (error: unknown) => void,
  ) {}

  /** True when the store writes synchronously (`putSync`). */
  get synchronous(): boolean {
    return typeof this.options.store.putSync === 'function'
  }

  /** Records what a sink stored of a source (the position and data are copied through JSON). */
  update(node: string, sink: string, position: unknown, seq: number, data?: unknown): void {
    setEntry(this.state, { node, sink, position, seq, data }, data !== undefined)
    this.#changed()
  }

  /**
   * The state with `changes` applied, written now through `putSync` (not kept: the changes
   * reach the state when the commit they preview is done). Throws what `putSync` throws.
   */
  putWith(changes: readonly EntryChange[]): void {
    const putSync = this.options.store.putSync
    if (typeof putSync !== 'function') return
    const preview = JSON.parse(JSON.stringify(this.state)) as ResumeState
    for (const change of changes) setEntry(preview, change, change.data !== undefined)
    const text = JSON.stringify(preview)
    if (text === this.#lastSync) return // the store holds it, outside this transaction
    // Until the commit is done, what the store holds is not known (a rollback takes it back).
    this.#lastSync = undefined
    putSync.call(this.options.store, this.options.key, preview)
    this.#previewed = text
  }

  /** The commit whose state {@link putWith} wrote is done (true) or failed (false). */
  settlePreview(committed: boolean): void {
    if (this.#previewed === undefined) return
    if (committed) this.#lastSync = this.#previewed
    this.#previewed = undefined
  }

  #changed(): void {
    if (this.synchronous) {
      const text = JSON.stringify(this.state)
      if (text === this.#lastSync) return
      try {
        ;(this.options.store.putSync as (key: string, value: unknown) => void).call(
          this.options.store,
          this.options.key,
          JSON.parse(text),
        )
        this.#lastSync = text
        this.failure = undefined
      } catch (error) {
        this.failure = error ?? new Error('checkpoint store putSync() threw')
        this.onError(error)
      }
      return
    }
    this.#dirty = true
    this.#writing ??= this.#write()
  }

  async #write(): Promise<void> {
    try {
      while (this.#dirty) {
        this.#dirty = false
        const snapshot = JSON.parse(JSON.stringify(this.state)) as ResumeState
        try {
          await this.options.store.put(this.options.key, snapshot)
          this.failure = undefined
        } catch (error) {
          this.failure = error ?? new Error('checkpoint store put() rejected')
          this.onError(error)
        }
      }
    } finally {
      this.#writing = undefined
    }
  }

  /** Resolves once the latest state was written (or its write failed). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing
  }
}

/** Sets one entry of a state (position and data copied through JSON). */
function setEntry(state: ResumeState, change: EntryChange, withData: boolean): void {
  const copy = (value: unknown, what: string): unknown => {
    let text: string | undefined
    try {
      text = JSON.stringify(value)
    } catch (error) {
      throw new TypeError(`its checkpoint ${what} is not JSON: ${messageOf(error)}`)
    }
    if (text === undefined)
      throw new TypeError(`its checkpoint ${what} is not JSON: ${String(value)}`)
    return JSON.parse(text)
  }
  const entry: SinkState = { position: copy(change.position, 'position'), seq: change.seq }
  if (withData) entry.data = copy(change.data, `save point (of sink '${change.sink}')`)
  const sources = state.sources
  let sinks = ownEntry(sources, change.node)
  if (sinks === undefined) {
    sinks = {}
    setOwn(sources, change.node, sinks)
  }
  setOwn(sinks, change.sink, entry)
}

/**
 * A run with checkpoints: the sinks with a `savePoint` and the one node opening units that
 * reaches each. Refuses what their saved data could not follow exactly: such a sink with
 * `maxTasks` above 1 (its batches would not follow its calls), or reached by two nodes that
 * open units (one saved data could not stand for two positions). @internal
 */
export function savePointSinks(nodes: readonly RunNode[]): Map<RunNode, RunNode> {
  const found = new Map<RunNode, RunNode>()
  const sinks = nodes.filter(
    (node) => node.destinations.length === 0 && !node.remote && node.config.savePoint,
  )
  if (sinks.length === 0) return found
  for (const sink of sinks) {
    if (sink.config.maxTasks !== 1) {
      throw new InvalidAsyncGraphError(
        `sink '${sink.name}' keeps a save point with its positions, so in a run with "checkpoints" it runs with maxTasks 1, got maxTasks ${sink.config.maxTasks}`,
      )
    }
  }
  for (const node of nodes) {
    if (node.remote || (node.startArgs === undefined && !node.config.checkpoints)) continue
    const seen = new Set<RunNode>()
    const visit = (at: RunNode): void => {
      if (seen.has(at)) return
      seen.add(at)
      if (at.config.savePoint && at.destinations.length === 0 && !at.remote) {
        const other = found.get(at)
        if (other !== undefined && other !== node) {
          throw new InvalidAsyncGraphError(
            `sink '${at.name}' keeps a save point with its positions and is reached by two nodes that yield checkpoints ('${other.name}' and '${node.name}'): in a run with "checkpoints" give each source its own sink`,
          )
        }
        found.set(at, node)
      }
      for (const destination of at.destinations) visit(destination)
    }
    visit(node)
  }
  return found
}
