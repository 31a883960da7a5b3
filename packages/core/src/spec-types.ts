import type { NodeContext, NodeOptions, NodeSpec } from './node-spec.js'
import type { Checkpoint } from './work-tracking.js'

/**
 * Node option defaults a `defineSource` / `defineSink` definition may set: everything but the
 * name and what changes how items reach the function (`unpackInput`, `queue`), which the
 * compile-time edge check of `addEdge` could not see on a spec.
 */
export type SpecOptions = Omit<NodeOptions, 'name' | 'unpackInput' | 'queue'>

/** An empty stats object: the stats of a spec that declares none. */
export type NoStats = Record<never, never>

/**
 * A {@link NodeSpec} with live counters: `spec.stats` is one object for the spec's lifetime,
 * reset to the definition's fresh `stats()` when a run opens the node, updated while it runs.
 */
export interface NodeSpecWithStats<In extends unknown[], Out, Stats extends object = NoStats>
  extends NodeSpec<In, Out> {
  /** Counters of the current or last run, for progress display. */
  readonly stats: Readonly<Stats>
}

/**
 * What `defineSink` returns (and connectors' sink factories): a node that takes one item or an
 * array of items per call and yields nothing.
 */
export type SinkSpec<Item, Stats extends object = NoStats> = NodeSpecWithStats<
  [Item | readonly Item[]],
  never,
  Stats
>

/** What `defineSource` returns (and connectors' source factories). */
export type SourceSpec<
  Out,
  Stats extends object = NoStats,
  StartArgs extends unknown[] = [],
> = NodeSpecWithStats<StartArgs, Out, Stats>

/** What a definition's `open()` gets: the node's context plus this run's mutable stats. */
export interface RunContext<Stats extends object = NoStats> extends NodeContext {
  /** This run's counters (the object `spec.stats` shows), fresh from `stats()`. */
  readonly stats: Stats
}

/**
 * What a sink definition's `close()` gets: the node's closing context (its `signal` is never
 * aborted, so it can be passed to the final flush and commit) and how the writes went.
 */
export interface SinkCloseInfo extends NodeContext {
  /**
   * True when a `write` or `writeBatch` of this run threw or rejected, the last flush before
   * `close()` included: a sink that commits all or nothing should not commit then.
   */
  readonly writeFailed: boolean
}

/** What {@link defineSource} takes. */
export interface SourceDefinition<
  Out,
  StartArgs extends unknown[] = [],
  Stats extends object = NoStats,
> {
  /** The default node name. */
  name: string
  /**
   * Produces the items; called once per start (or per incoming item). It may yield
   * `checkpoint(position)` markers after a unit of items (see "Work tracking" in the core
   * README): with `batchSize`, a marker ends the batch being filled (yielded before it, even
   * when not full), so a unit is always whole batches.
   */
  read(...input: StartArgs): AsyncIterable<Out | Checkpoint> | Iterable<Out | Checkpoint>
  /**
   * Yield arrays of up to this many items instead of items one by one. When `read` throws,
   * the items read before are yielded first. `undefined` yields items.
   * @default undefined
   */
  batchSize?: number | undefined
  /** Fresh counters for a run; `spec.stats` shows them. @default no counters (`{}`) */
  stats?: () => Stats
  /**
   * Opens what `read` needs: once per run, before the first call. In a run with `checkpoints`,
   * `context.resumeFrom` is the position to restart after (see "Resumable loads" in the core
   * README).
   */
  open?(context: RunContext<Stats>): Promise<void> | void
  /** Releases it: once per run, in every outcome (its context's signal is never aborted). */
  close?(context?: NodeContext): Promise<void> | void
  /** Node option defaults the user may override in `addNode`. */
  options?: SpecOptions
  /**
   * Every call of `read` (not only a start call) may yield `checkpoint(position)` markers
   * (see "Work tracking" in the core README). @default false
   */
  checkpoints?: boolean
}

/**
 * What {@link defineSink} takes. Give `write` (one item at a time, at call time) or
 * `writeBatch` (core buffers `batchSize` items and flushes the rest before `close()`, also
 * after a halt or an abort). `In` is what the node accepts (one item or an array of them per
 * call), `Stored` what `prepare` turns it into for `write` / `writeBatch`.
 */
export interface SinkDefinition<In, Stats extends object = NoStats, Stored = In> {
  /** The default node name. */
  name: string
  /** Stores one item, at call time. The node yields nothing. */
  write?(item: Stored): Promise<void> | void
  /**
   * Stores a batch of items: called with `batchSize` items while the run goes on and with the
   * rest before `close()`, in every outcome (done, halted, aborted, failed). Batches are written
   * one after the other, in the order the items came.
   */
  writeBatch?(items: Stored[]): Promise<void> | void
  /** How many items `writeBatch` gets at a time (only with `writeBatch`). @default 256 */
  batchSize?: number
  /**
   * In a run that tracks work (see "Work tracking" in the core README): once the sink's queue
   * stayed empty this long (ms) with no call running, the sink writes what it buffered (a
   * partial batch, through `writeBatch`) and so commits every call that returned, instead of
   * holding them until the next full batch or `close()`. Sources waiting for their positions
   * (a slow trickle) and inbound edges waiting to acknowledge (`@graphflow/nats`) then wait at
   * most about this long. A sink faster than its producer still writes full batches as long as
   * items keep coming within it. With nothing buffered, a sink whose writes call
   * `context.beginCommit()` commits once with no write (the call that filled the last batch
   * returned after that batch's commit began). Costs nothing in other runs.
   * @default 100
   */
  lingerMs?: number
  /**
   * Checks one item at call time: throw to reject the call. A call's items are all checked
   * before any is accepted, so a call is stored all or nothing. `number` is the item's number in
   * the run (1 for the first received), `callSize` how many items its call had.
   */
  check?(item: In, number: number, callSize: number): void
  /**
   * Turns one item into what `write` / `writeBatch` get, at call time (after `check`); throw to
   * reject the call, all or nothing like `check`.
   * @default the item itself
   */
  prepare?(item: In, number: number, callSize: number): Stored
  /** Fresh counters for a run; `spec.stats` shows them. @default no counters (`{}`) */
  stats?: () => Stats
  /** Opens the target: once per run, before the first write. */
  open?(context: RunContext<Stats>): Promise<void> | void
  /** Commits and releases: once per run, in every outcome, after the last batch is written. */
  close?(info: SinkCloseInfo): Promise<void> | void
  /** Node option defaults the user may override in `addNode`. */
  options?: SpecOptions
  /**
   * In a run that tracks work (see "Work tracking" in the core README): what the sink accepted
   * counts as stored only at a commit, `context.beginCommit()`'s `done()` (for instance at the
   * start and the end of a durable `writeBatch`) or when `close()` resolved. `false` for a
   * `write` that stores durably before it resolves.
   * @default true when `writeBatch` or `close` is given, else false
   */
  commits?: boolean
  /**
   * What the sink committed so far, as JSON (a file size, a last row id), stored with its
   * positions in a run with `checkpoints` and handed back to `open()` as `context.savedPoint`
   * when the run resumes (see "Resumable loads" in the core README). Such a sink's batches then
   * end where the unit of its items changes (a batch may grow past `batchSize` to the end of a
   * unit, up to 8 times it), so that a commit holds whole units.
   * @default undefined
   */
  savePoint?(): unknown
}
