// Resumable loads: the state a run with `checkpoints` saves and reads back (see "Resumable
// loads" in the core README). Only used by such a run.

import type { CheckpointStore } from './checkpoint-store.js'
import { CheckpointStateError } from './errors.js'

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
  /** The position of the last unit the sink stored (with every earlier one). */
  position: unknown
  /** That unit's number, counting the source's units from 1 across runs. */
  seq: number
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
  if (typeof given !== 'object' || given === null) {
    throw new TypeError(`execute "checkpoints": expected { store, key? }, got ${String(given)}`)
  }
  const { store, key = DEFAULT_CHECKPOINT_KEY } = given as CheckpointOptions
  const methods = store as Partial<CheckpointStore> | null | undefined
  if (typeof methods?.get !== 'function' || typeof methods.put !== 'function') {
    throw new TypeError(
      `execute "checkpoints.store": expected a CheckpointStore (get and put methods), got ${String(store)}`,
    )
  }
  if (typeof key !== 'string' || key === '') {
    throw new TypeError(
      `execute "checkpoints.key": expected a non-empty string, got ${String(key)}`,
    )
  }
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
        entry.seq < 1
      ) {
        throw refuse(`has a bad entry for source '${node}', sink '${sink}'`)
      }
    }
  }
  return state as ResumeState
}

/**
 * Writes the state as it advances: at most one write in flight, the latest state wins (a write
 * that starts takes the state as it is then). @internal
 */
export class StateWriter {
  #dirty = false
  #writing: Promise<void> | undefined
  /** The error of the last write, cleared by a later write that succeeded. */
  failure: unknown

  constructor(
    readonly options: Required<CheckpointOptions>,
    readonly state: ResumeState,
    readonly onError: (error: unknown) => void,
  ) {}

  /** Records what a sink stored of a source (the position is copied through JSON). */
  update(node: string, sink: string, position: unknown, seq: number): void {
    let text: string | undefined
    try {
      text = JSON.stringify(position)
    } catch (error) {
      throw new TypeError(`its checkpoint position is not JSON: ${(error as Error).message}`)
    }
    if (text === undefined) {
      throw new TypeError(`its checkpoint position is not JSON: ${String(position)}`)
    }
    const sources = this.state.sources
    let sinks = ownEntry(sources, node)
    if (sinks === undefined) {
      sinks = {}
      setOwn(sources, node, sinks)
    }
    setOwn(sinks, sink, { position: JSON.parse(text), seq })
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
