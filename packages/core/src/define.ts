import type { NodeContext, NodeSpec } from './node-spec.js'
import { optionChecks } from './option-checks.js'
import type {
  NoStats,
  RunContext,
  SinkDefinition,
  SinkSpec,
  SourceDefinition,
  SourceSpec,
} from './spec-types.js'
import { CALL_UNIT, Checkpoint } from './work-tracking.js'

const DEFAULT_BATCH_SIZE = 256

function checkSpecName(name: unknown, helper: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`${helper}: expected "name" to be a non-empty string, got ${String(name)}`)
  }
}

/**
 * One stats object for a spec's lifetime, reset in place to `make()` when a run opens the node
 * (so `spec.stats` read before, during or after a run is always the current run's).
 */
function statsOf<Stats extends object>(make: (() => Stats) | undefined, helper: string) {
  if (make !== undefined && typeof make !== 'function') {
    throw new TypeError(`${helper}: expected "stats" to be a function returning fresh counters`)
  }
  const fresh = (): Stats => (make ? make() : ({} as Stats))
  const stats = fresh()
  return {
    stats,
    reset(): void {
      for (const key of Object.keys(stats)) delete (stats as Record<string, unknown>)[key]
      Object.assign(stats, fresh())
    },
  }
}

function runContext<Stats extends object>(context: NodeContext, stats: Stats): RunContext<Stats> {
  return { ...context, stats }
}

/** A defined spec's `open`: starts the run (`start`: fresh stats, ...), then the definition's. */
function openRun<Stats extends object, Result>(
  stats: Stats,
  start: () => void,
  open: ((context: RunContext<Stats>) => Result) | undefined,
) {
  return (context: NodeContext): Result | undefined => {
    start()
    return open?.(runContext(context, stats))
  }
}

/**
 * Checks and returns a {@link NodeSpec}: the identity with validation and inference.
 *
 * @example
 * ```ts
 * export function upperCase() {
 *   return defineNode({
 *     name: 'upper-case',
 *     fn: async function* upperCase(text: string) { yield text.toUpperCase() },
 *   })
 * }
 * ```
 */
export function defineNode<In extends unknown[], Out>(spec: NodeSpec<In, Out>): NodeSpec<In, Out> {
  checkSpecName(spec.name, 'defineNode')
  if (typeof spec.fn !== 'function') {
    throw new TypeError(`defineNode: expected "fn" to be a function, got ${typeof spec.fn}`)
  }
  return spec
}

/**
 * Makes a source spec from a `read` function that returns any (async) iterable, with optional
 * batching (`batchSize`: arrays of items) and counters (`stats`, updated through the
 * `context.stats` that `open()` gets). A `checkpoint(position)` that `read` yields closes a
 * unit: with `batchSize`, the partial batch read before it is yielded first, then the marker.
 *
 * @example
 * ```ts
 * const numbers = defineSource({ name: 'numbers', read: () => [1, 2, 3] })
 * graph.addNode(numbers)
 * ```
 */
export function defineSource<Out, StartArgs extends unknown[] = [], Stats extends object = NoStats>(
  definition: SourceDefinition<Out, StartArgs, Stats> & { batchSize: number },
): SourceSpec<Out[], Stats, StartArgs>
export function defineSource<Out, StartArgs extends unknown[] = [], Stats extends object = NoStats>(
  definition: SourceDefinition<Out, StartArgs, Stats> & { batchSize?: undefined },
): SourceSpec<Out, Stats, StartArgs>
export function defineSource<Out, StartArgs extends unknown[] = [], Stats extends object = NoStats>(
  definition: SourceDefinition<Out, StartArgs, Stats>,
): SourceSpec<Out | Out[], Stats, StartArgs>
export function defineSource<Out, StartArgs extends unknown[], Stats extends object>(
  definition: SourceDefinition<Out, StartArgs, Stats>,
): SourceSpec<Out | Out[], Stats, StartArgs> {
  checkSpecName(definition.name, 'defineSource')
  const check = optionChecks(`defineSource '${definition.name}'`)
  check.requiredFunction('read', definition.read)
  const batchSize = check.integer('batchSize', definition.batchSize, undefined, { min: 1 })
  const { stats, reset } = statsOf(definition.stats, 'defineSource')
  const read = definition.read.bind(definition)
  const open = definition.open?.bind(definition)
  const fn =
    batchSize === undefined
      ? async function* source(...input: StartArgs): AsyncGenerator<Out, void, undefined> {
          yield* read(...input) as AsyncIterable<Out>
        }
      : async function* source(...input: StartArgs): AsyncGenerator<Out[], void, undefined> {
          let batch: Out[] = []
          try {
            for await (const item of read(...input)) {
              if (item instanceof Checkpoint) {
                // A unit ends with a batch: the batch read so far, then the marker after it.
                if (batch.length > 0) yield batch
                batch = []
                yield item as unknown as Out[]
                continue
              }
              if (batch.push(item) >= batchSize) {
                yield batch
                batch = []
              }
            }
          } catch (error) {
            // What was read before the failure is delivered, then the failure.
            if (batch.length > 0) yield batch
            throw error
          }
          if (batch.length > 0) yield batch
        }
  // Stack traces show the read function's name (`csvSource`), not a generic one.
  if (definition.read.name && definition.read.name !== 'read') {
    Object.defineProperty(fn, 'name', { value: definition.read.name })
  }
  return {
    name: definition.name,
    stats,
    fn,
    open: openRun(stats, reset, open),
    close: definition.close?.bind(definition),
    options: definition.options,
    checkpoints: definition.checkpoints === true,
  }
}

/** For a `close()` called without a context (by hand, outside an executor). */
const neverAborted = new AbortController().signal

/** One run of a sink: what is buffered and how far the items are counted. */
interface SinkRunState<Stored> {
  buffer: Stored[]
  received: number
  /** The batch being written, while one is. */
  writing: Promise<void> | undefined
  writeFailed: boolean
  /**
   * A sink with a `savePoint` in a run with checkpoints: the unit of the current call's item.
   * Batches then end where it changes.
   */
  unitOf: (() => unknown) | undefined
  /** The unit of the last call's item. */
  lastUnit: unknown
  /** `batchSize` items are buffered: written before the first item of another unit. */
  due: boolean
}

/** A batch kept open to the end of a unit grows up to this many times `batchSize`. */
const UNIT_BATCH_LIMIT = 8

function isPromiseLike(value: unknown): value is PromiseLike<void> {
  return typeof (value as PromiseLike<void> | undefined)?.then === 'function'
}

/**
 * Makes a sink spec. Core does the rest: it takes one item or an array of items per call
 * (flattened), runs `check` / `prepare` on each item at call time (all or nothing per call),
 * calls `write` per item, or buffers for `writeBatch` and writes the last partial batch before
 * `close()`, also after a halt or an abort: everything the sink accepted is stored.
 * `stats()` gives fresh counters per run, shown as `spec.stats`.
 *
 * @example
 * ```ts
 * const lines: string[] = []
 * const collect = defineSink({ name: 'collect', write: (line: string) => { lines.push(line) } })
 *
 * const table = defineSink({
 *   name: 'table',
 *   stats: () => ({ records: 0 }),
 *   open(context) { stats = context.stats },
 *   writeBatch: async (rows: Row[]) => { await db.insert(rows); stats.records += rows.length },
 *   batchSize: 500,
 * })
 * ```
 */
export function defineSink<In, Stats extends object = NoStats>(
  definition: SinkDefinition<In, Stats, In> & { prepare?: undefined },
): SinkSpec<In, Stats>
export function defineSink<In, Stats extends object, Stored>(
  definition: SinkDefinition<In, Stats, Stored> & {
    prepare(item: In, number: number, callSize: number): Stored
  },
): SinkSpec<In, Stats>
export function defineSink<In, Stats extends object, Stored>(
  definition: SinkDefinition<In, Stats, Stored>,
): SinkSpec<In, Stats> {
  checkSpecName(definition.name, 'defineSink')
  const check = optionChecks(`defineSink '${definition.name}'`)
  const write = check.function('write', definition.write, undefined)?.bind(definition)
  const writeBatch = check
    .function('writeBatch', definition.writeBatch, undefined)
    ?.bind(definition)
  if (!write && !writeBatch) check.fail('write', 'a function (or "writeBatch")', write)
  if (writeBatch === undefined && definition.batchSize !== undefined) {
    check.fail('batchSize', 'no batch size without "writeBatch"', definition.batchSize)
  }
  const batchSize = check.integer('batchSize', definition.batchSize, DEFAULT_BATCH_SIZE, {
    min: 1,
  })
  const checkItem = check.function('check', definition.check, undefined)?.bind(definition)
  const prepare = check.function('prepare', definition.prepare, undefined)?.bind(definition)
  const open = definition.open?.bind(definition)
  const close = definition.close?.bind(definition)
  const { stats, reset } = statsOf(definition.stats, 'defineSink')
  let run: SinkRunState<Stored> | undefined

  const newRun = (): SinkRunState<Stored> => {
    run = {
      buffer: [],
      received: 0,
      writing: undefined,
      writeFailed: false,
      unitOf: undefined,
      lastUnit: undefined,
      due: false,
    }
    return run
  }

  /** Writes what is buffered, after the batch being written (batches never overlap). */
  const flush = (state: SinkRunState<Stored>): Promise<void> | undefined => {
    const batch = state.buffer
    state.buffer = []
    const write = writeBatch as (items: Stored[]) => Promise<void> | void
    const previous = state.writing
    let result: Promise<void> | void
    try {
      result = previous ? previous.then(() => write(batch)) : write(batch)
    } catch (error) {
      state.writeFailed = true
      throw error
    }
    if (!isPromiseLike(result)) return undefined
    const writing: Promise<void> = Promise.resolve(result).then(
      () => {
        if (state.writing === writing) state.writing = undefined
      },
      (error: unknown) => {
        if (state.writing === writing) state.writing = undefined
        state.writeFailed = true
        throw error
      },
    )
    // A later batch waits for this one, not for its failure: that is reported to its own call.
    state.writing = writing.catch(() => {})
    return writing
  }

  const accept = (state: SinkRunState<Stored>, input: readonly In[]): Stored[] => {
    const items = input as readonly In[]
    const count = items.length
    const first = state.received + 1
    state.received += count
    if (!checkItem && !prepare) return items as unknown as Stored[]
    const stored = new Array<Stored>(count)
    for (let index = 0; index < count; index++) {
      const item = items[index] as In
      checkItem?.(item, first + index, count)
      stored[index] = prepare ? prepare(item, first + index, count) : (item as unknown as Stored)
    }
    return stored
  }

  async function writeEach(state: SinkRunState<Stored>, items: Stored[]): Promise<void> {
    const each = write as (item: Stored) => Promise<void> | void
    try {
      for (const item of items) {
        const result = each(item)
        if (isPromiseLike(result)) await result
      }
    } catch (error) {
      state.writeFailed = true
      throw error
    }
  }

  /**
   * A call of a sink with a save point: the batch is written before the first item of another
   * unit, so that each commit holds whole units (and the items of returned calls only).
   */
  async function acceptByUnit(state: SinkRunState<Stored>, input: In | readonly In[]) {
    const unit = (state.unitOf as () => unknown)()
    const items = accept(state, Array.isArray(input) ? input : [input as In])
    if (!writeBatch) return await writeEach(state, items)
    let failure: { error: unknown } | undefined
    if (
      (state.due && unit !== state.lastUnit) ||
      state.buffer.length >= batchSize * UNIT_BATCH_LIMIT
    ) {
      state.due = false
      try {
        const writing = flush(state)
        if (writing) await writing
      } catch (error) {
        // This call's items are accepted all the same (written with the next batch); the
        // failure of the batch before them is reported by this call.
        failure = { error }
      }
    }
    state.lastUnit = unit
    const buffer = state.buffer
    for (let index = 0; index < items.length; index++) buffer.push(items[index] as Stored)
    if (buffer.length >= batchSize) state.due = true
    if (failure) throw failure.error
  }

  const fn = async function* sink(
    input: In | readonly In[],
  ): AsyncGenerator<never, void, undefined> {
    const state = run ?? newRun()
    if (state.unitOf !== undefined) return await acceptByUnit(state, input)
    if (!Array.isArray(input)) {
      // One item: the hot path of record-by-record flows, without a per-call array.
      const number = ++state.received
      const item = input as In
      checkItem?.(item, number, 1)
      const stored = prepare ? prepare(item, number, 1) : (item as unknown as Stored)
      if (!writeBatch) return await writeEach(state, [stored])
      if (state.buffer.push(stored) >= batchSize) {
        const writing = flush(state)
        if (writing) await writing
      }
      return
    }
    const items = accept(state, input)
    if (items.length === 0) return
    if (!writeBatch) return await writeEach(state, items)
    const buffer = state.buffer
    for (let index = 0; index < items.length; index++) buffer.push(items[index] as Stored)
    if (buffer.length >= batchSize) {
      const writing = flush(state)
      if (writing) await writing
    }
  }
  // Stack traces show the sink's name (`csvSink`), not a generic one.
  Object.defineProperty(fn, 'name', { value: definition.name })
  return {
    name: definition.name,
    stats,
    fn,
    open(context: NodeContext) {
      reset()
      const state = newRun()
      const unitOf = (context as { [CALL_UNIT]?: () => unknown })[CALL_UNIT]
      if (definition.savePoint && typeof unitOf === 'function') state.unitOf = unitOf
      return open?.(runContext(context, stats))
    },
    async close(context?: NodeContext) {
      const state = run
      run = undefined
      let failure: { error: unknown } | undefined
      if (state) {
        try {
          if (state.writing) await state.writing
          if (state.buffer.length > 0) await flush(state)
        } catch (error) {
          failure = { error }
        }
      }
      try {
        const closing = context ?? {
          name: definition.name,
          signal: neverAborted,
          logger: console,
          beginCommit: () => () => {},
        }
        await close?.({ ...closing, writeFailed: state?.writeFailed ?? false })
      } catch (error) {
        failure ??= { error }
      }
      if (failure) throw failure.error
    },
    options: definition.options,
    commits: definition.commits ?? (definition.writeBatch !== undefined || close !== undefined),
    savePoint: check.function('savePoint', definition.savePoint, undefined)?.bind(definition),
  }
}
