// Work tracking: knowing when everything derived from an item is done (see the core README,
// "Work tracking"). An acker in the spirit of Apache Storm's, with reference counts per origin
// and per sink. Only used by a run that asks for it; otherwise nothing here is allocated.

/** A marker a source yields to close a unit of its output; made by {@link checkpoint}. */
export class Checkpoint<Position = unknown> {
  /** Where the source would restart after this unit (JSON-serialisable for a store). */
  readonly position: Position
  /** @internal use {@link checkpoint} */
  constructor(position: Position) {
    this.position = position
    Object.freeze(this)
  }
}

/**
 * Closes a unit of a source's output: the items the call yielded since its previous marker
 * (or since it started) form one unit, and `position` is where the source restarts once that
 * unit is stored. The executor consumes the marker (it is never forwarded) and emits
 * `position-stored` when every item derived from the unit was committed by a sink.
 *
 * @example
 * ```ts
 * async function* pages() {
 *   for (let page = 1; page <= 3; page++) {
 *     yield* await fetchPage(page)
 *     yield checkpoint({ page })
 *   }
 * }
 * ```
 */
export function checkpoint<Position>(position: Position): Checkpoint<Position> {
  return new Checkpoint(position)
}

/** What an inbound queue's `onDone` gets, once. */
export interface WorkResult {
  /** True when every call on the item and on everything derived from it succeeded and was committed. */
  ok: boolean
  /** The errors of the failed calls (a call's error is listed once per origin it carried). */
  errors: Error[]
}

/** Called once when everything derived from an item pushed with it is done. */
export type OnDone = (result: WorkResult) => void

/** The position of a unit closed without a marker (a call that ended after its last one). @internal */
export const NO_POSITION: unique symbol = Symbol('graphflow.no-position')

/** The units of one source node, in the order they were opened. @internal */
export interface SourceUnits {
  readonly node: string
  /** The sinks reachable from the node (indexes). */
  readonly sinks: readonly number[]
  /** Opened units not yet passed by every sink; `units[0]` has sequence number `base`. */
  units: Origin[]
  base: number
  next: number
  /** Per sink index: the sequence number of the first unit it has not stored. */
  readonly frontier: Map<number, number>
  /**
   * A resumed run: per sink index, the sequence number of the first unit the sink had not
   * stored when the run started (the units before it are not delivered to it again).
   */
  readonly skipBelow: Map<number, number> | undefined
  /**
   * Per sink index, for sinks with a `savePoint`: the highest sequence number among the units
   * the sink's done commits carried (what its saved data may hold).
   */
  readonly committedMax: Map<number, number>
}

/**
 * The context key under which a sink with a `savePoint` finds, in a run with checkpoints, a
 * function returning a token of the unit its current call's item comes from (`undefined`
 * for none): `defineSink` ends batches where it changes. @internal
 */
export const CALL_UNIT: unique symbol = Symbol('graphflow.call-unit')

/** The unit (of a source) with the highest number an item derives from: a token compared by identity. @internal */
export function unitToken(lineage: Lineage | undefined): Origin | undefined {
  if (lineage === undefined) return undefined
  let found: Origin | undefined
  for (let index = 0; index < lineage.length; index++) {
    const origin = lineage[index] as Origin
    if (origin.source !== undefined && (found === undefined || origin.seq > found.seq)) {
      found = origin
    }
  }
  return found
}

/** A position a commit would store, as {@link Tracker.preview} finds it. @internal */
export interface PendingPosition {
  readonly units: SourceUnits
  readonly position: unknown
  readonly seq: number
}

/** The thing someone waits on: an inbound item, or a unit of a source's output. @internal */
export class Origin {
  /** Holds left, over every sink. */
  total = 0
  /** Holds left per sink index. */
  readonly counts: Int32Array
  failed = false
  readonly errors: Error[] = []
  done = false
  position: unknown = NO_POSITION
  constructor(
    sinkCount: number,
    readonly onDone: OnDone | undefined,
    readonly source: SourceUnits | undefined,
    readonly seq: number,
  ) {
    this.counts = new Int32Array(sinkCount)
  }
}

/** The origins an item derives from; each element is one hold (duplicates are several holds). */
export type Lineage = Origin[]

/** What `position-stored` reports. */
export interface PositionStored {
  /** The source node that yielded the checkpoint. */
  node: string
  /** The checkpoint's position. */
  position: unknown
  /** The sink whose frontier passed the position: it committed every item derived from the unit and from every earlier unit of the node. */
  sink: string
  /** True when every sink reachable from the node has now stored the position: the run may resume after it. */
  complete: boolean
}

/** The executor's bookkeeping for one tracked run. @internal */
export class Tracker {
  stopped = false
  /** True once a resumed source has a sink ahead of others: puts check {@link Tracker.skips}. */
  skipping = false
  /** The run's sinks (leaf nodes), by index. */
  readonly sinks: readonly string[]
  #onPosition: (event: PositionStored, seq: number, units: SourceUnits, sink: number) => void
  #onError: (error: unknown) => void

  constructor(
    sinks: readonly string[],
    /** `seq`: the unit's number counted from 1 (across runs for a resumed run). */
    onPosition: (event: PositionStored, seq: number, units: SourceUnits, sink: number) => void,
    onError: (error: unknown) => void,
  ) {
    this.sinks = sinks
    this.#onPosition = onPosition
    this.#onError = onError
  }

  /** A new origin, held once for every sink in `reach` (the hold of whoever creates it). */
  origin(reach: readonly number[], onDone?: OnDone, source?: SourceUnits): Origin {
    const seq = source ? source.next++ : 0
    const origin = new Origin(this.sinks.length, onDone, source, seq)
    if (source) source.units.push(origin)
    this.retainOne(origin, reach)
    return origin
  }

  /**
   * The units of a source node. A resumed run gives `stored`: per sink index, how many units
   * of the node the sink has stored over the earlier runs; numbering continues after the
   * smallest of them.
   */
  sourceUnits(node: string, reach: readonly number[], stored?: Map<number, number>): SourceUnits {
    const frontier = new Map<number, number>()
    let base = Number.POSITIVE_INFINITY
    for (const sink of reach) {
      const seq = stored?.get(sink) ?? 0
      frontier.set(sink, seq)
      base = Math.min(base, seq)
    }
    if (base === Number.POSITIVE_INFINITY) base = 0
    let skipBelow: Map<number, number> | undefined
    for (const seq of frontier.values()) if (seq > base) skipBelow = frontier
    if (skipBelow) this.skipping = true
    return {
      node,
      sinks: reach,
      units: [],
      base,
      next: base,
      frontier,
      skipBelow: skipBelow && new Map(skipBelow),
      committedMax: new Map(),
    }
  }

  /** Notes the units a sink's commit carried (before it releases them): see `committedMax`. */
  noteCommitted(sink: number, lineages: readonly Lineage[]): void {
    for (const lineage of lineages) {
      for (let index = 0; index < lineage.length; index++) {
        const origin = lineage[index] as Origin
        const units = origin.source
        if (units === undefined) continue
        const max = units.committedMax.get(sink)
        if (max === undefined || origin.seq > max) units.committedMax.set(sink, origin.seq)
      }
    }
  }

  /**
   * True when what a sink's commits carried holds no unit at or past `seq` (a unit count): its
   * saved data then holds exactly the units before it.
   */
  committedBelow(units: SourceUnits, sink: number, seq: number): boolean {
    return (units.committedMax.get(sink) ?? -1) < seq
  }

  /**
   * The positions a sink's frontier would pass once a commit carrying `lineages` is done,
   * without changing anything: per source, the last position passed, when the commit (with the
   * earlier ones) carried no later unit.
   */
  preview(sink: number, lineages: readonly Lineage[]): PendingPosition[] {
    const held = new Map<Origin, number>()
    for (const lineage of lineages) {
      for (const origin of lineage) held.set(origin, (held.get(origin) ?? 0) + 1)
    }
    const maxima = new Map<SourceUnits, number>()
    for (const origin of held.keys()) {
      const units = origin.source
      if (units === undefined) continue
      const max = Math.max(maxima.get(units) ?? -1, units.committedMax.get(sink) ?? -1)
      maxima.set(units, Math.max(max, origin.seq))
    }
    const found: PendingPosition[] = []
    for (const [units, max] of maxima) {
      let seq = units.frontier.get(sink)
      if (seq === undefined) continue
      let last: PendingPosition | undefined
      while (seq < units.next) {
        const unit = units.units[seq - units.base] as Origin
        if ((unit.counts[sink] as number) - (held.get(unit) ?? 0) !== 0 || unit.failed) break
        seq++
        if (unit.position !== NO_POSITION) last = { units, position: unit.position, seq }
      }
      if (last !== undefined && max < last.seq) found.push(last)
    }
    return found
  }

  /**
   * True when every sink in `reach` already stored, in an earlier run, every unit the lineage
   * derives from (an item derived from no unit, or from one unit a sink lacks, is delivered).
   */
  skips(lineage: Lineage, reach: readonly number[]): boolean {
    let units = 0
    for (let index = 0; index < lineage.length; index++) {
      const origin = lineage[index] as Origin
      const source = origin.source
      if (source === undefined) continue
      const below = source.skipBelow
      if (below === undefined) return false
      for (let at = 0; at < reach.length; at++) {
        const stored = below.get(reach[at] as number)
        if (stored === undefined || origin.seq >= stored) return false
      }
      units++
    }
    return units > 0
  }

  retainOne(origin: Origin, reach: readonly number[]): void {
    const counts = origin.counts
    for (let index = 0; index < reach.length; index++) {
      const sink = reach[index] as number
      counts[sink] = (counts[sink] as number) + 1
    }
    origin.total += reach.length
  }

  retain(lineage: Lineage, reach: readonly number[]): void {
    for (let index = 0; index < lineage.length; index++) {
      this.retainOne(lineage[index] as Origin, reach)
    }
  }

  release(lineage: Lineage, reach: readonly number[]): void {
    for (let index = 0; index < lineage.length; index++) {
      this.releaseOne(lineage[index] as Origin, reach)
    }
  }

  releaseOne(origin: Origin, reach: readonly number[]): void {
    if (this.stopped) return
    const counts = origin.counts
    for (let index = 0; index < reach.length; index++) {
      const sink = reach[index] as number
      const left = (counts[sink] as number) - 1
      counts[sink] = left
      if (left === 0 && origin.source) this.#advance(origin.source, sink)
    }
    origin.total -= reach.length
    if (origin.total === 0 && !origin.done) {
      origin.done = true
      if (origin.onDone) {
        try {
          origin.onDone({ ok: !origin.failed, errors: origin.errors })
        } catch (error) {
          this.#onError(error)
        }
      }
    }
  }

  fail(lineage: Lineage | undefined, error: Error): void {
    if (!lineage) return
    for (const origin of lineage) {
      origin.failed = true
      if (!origin.errors.includes(error)) origin.errors.push(error)
    }
  }

  /** Moves a sink's frontier over the units it has fully stored, in order; a failed unit stops it. */
  #advance(source: SourceUnits, sink: number): void {
    let seq = source.frontier.get(sink) as number
    while (seq < source.next) {
      const unit = source.units[seq - source.base] as Origin
      if (unit.counts[sink] !== 0 || unit.failed) break
      seq++
      source.frontier.set(sink, seq)
      if (unit.position === NO_POSITION) continue
      let complete = true
      for (const other of source.sinks) {
        if ((source.frontier.get(other) as number) < seq) complete = false
      }
      try {
        this.#onPosition(
          {
            node: source.node,
            position: unit.position,
            sink: this.sinks[sink] as string,
            complete,
          },
          seq,
          source,
          sink,
        )
      } catch (error) {
        this.#onError(error)
      }
    }
    // Forget the units every sink has passed.
    let passed = Number.POSITIVE_INFINITY
    for (const value of source.frontier.values()) passed = Math.min(passed, value)
    if (passed - source.base >= 256) {
      source.units.splice(0, passed - source.base)
      source.base = passed
    }
  }
}

/** Removes repeated origins (a batch carries one hold per item; its outputs need one per origin). @internal */
export function distinct(lineage: Lineage): Lineage {
  if (lineage.length < 2) return lineage
  return [...new Set(lineage)]
}

/** The release of a hold on nothing. */
const releaseNothing = (): void => {}

/** A put that returned a promise and has not settled. @internal */
interface PutInFlight {
  readonly lineage: Lineage
  /**
   * True when the put pushed nothing in its synchronous part: its hold moved here from
   * `pending` (its item may still go into a later push), and goes back to `pending` when the
   * put settles. False: the put's own push took its hold, this is one more.
   */
  readonly parked: boolean
}

/**
 * The tracking state of one node's queue for a tracked run: the lineage of the put in
 * progress and the lineage of puts that pushed nothing yet. Every origin in `pending` is one
 * hold for the node's sinks, handed to the next entry pushed.
 * @internal
 */
export class QueueTrack {
  /** The lineage of the put whose synchronous part runs. */
  current: Lineage | undefined = undefined
  /** Lineage retained for settled puts that pushed nothing yet. */
  pending: Origin[] = []
  /** The lineage of the entry the last `tryGet()` returned. */
  taken: Lineage | undefined = undefined
  /**
   * The puts that returned a promise and have not settled, each holding its lineage once: a
   * push outside a put's synchronous part cannot tell which put it comes from, so it carries
   * all of them (over-attributing), and each keeps its own hold until it settled and a push
   * after that (or the end) carried it: its item may sit in a batch a later push stores.
   */
  readonly inFlight: PutInFlight[] = []
  /** The lineage the last `endPut()` moved to `pending` (the tail of it), until `putInFlight`. */
  #parked: Lineage | undefined = undefined

  constructor(
    readonly tracker: Tracker,
    readonly reach: readonly number[],
    /** An outbound queue: it does not push; a put's hold ends with the put, `hold()` keeps it. */
    readonly outbound = false,
    /** Called for each origin pushed (`push(item, onDone)`): the node counts it in `in`. */
    readonly onOrigin?: () => void,
  ) {}

  /** True while the put in progress holds `current` and no push took that hold yet. */
  held = false

  /**
   * Starts a put carrying `lineage`: it is retained for the node's sinks, a hold the first
   * push of the put takes over. Lineage arrays are shared between entries, never mutated.
   */
  beginPut(lineage: Lineage): void {
    this.tracker.retain(lineage, this.reach)
    this.current = lineage
    this.held = true
    this.#parked = undefined
  }

  /** Ends the put's synchronous part: a hold no push took stays pending, for the next push. */
  endPut(): void {
    const current = this.current
    if (current === undefined) return
    if (this.held) {
      if (this.outbound) this.tracker.release(current, this.reach)
      else {
        for (let index = 0; index < current.length; index++) {
          this.pending.push(current[index] as Origin)
        }
        this.#parked = current
      }
      this.held = false
    }
    this.current = undefined
  }

  /**
   * The lineage of an entry being pushed: the pending holds and the hold of the put in
   * progress; a second push of the same put retains its lineage again; outside a put's
   * synchronous part, also every put in flight (retained again: each keeps its own hold).
   */
  carry(onDone: OnDone | undefined): Lineage | undefined {
    let lineage: Lineage | undefined
    const current = this.current
    if (this.pending.length > 0) {
      lineage = this.pending
      this.pending = []
    }
    if (current !== undefined) {
      if (!this.held) this.tracker.retain(current, this.reach)
      this.held = false
      lineage = lineage ? lineage.concat(current) : current
    } else if (this.inFlight.length > 0) {
      lineage ??= []
      for (const put of this.inFlight) {
        this.tracker.retain(put.lineage, this.reach)
        for (const origin of put.lineage) lineage.push(origin)
      }
    }
    if (onDone) {
      this.onOrigin?.()
      const origin = this.tracker.origin(this.reach, onDone)
      lineage = lineage ? [...lineage, origin] : [origin]
    }
    return lineage
  }

  /** A hold on the current put's lineage (an outbound publish not yet acknowledged). */
  hold(): () => void {
    // The put's lineage is never mutated: the hold shares it. Outside a put's synchronous
    // part: every put still in flight, conservatively.
    const lineage = this.current ?? [
      ...this.pending,
      ...this.inFlight.flatMap((put) => put.lineage),
    ]
    if (lineage.length === 0) return releaseNothing
    this.tracker.retain(lineage, this.reach)
    let held = true
    return () => {
      if (!held) return
      held = false
      this.tracker.release(lineage, this.reach)
    }
  }

  /**
   * Holds a put's lineage while its returned promise has not settled. Called right after the
   * put's `endPut()`: a hold that `endPut()` left pending moves here, so that no push takes it
   * while the put may still add its item to what a later push stores.
   */
  putInFlight(lineage: Lineage): void {
    const parked = this.#parked === lineage
    this.#parked = undefined
    if (parked) this.pending.length -= lineage.length
    else this.tracker.retain(lineage, this.reach)
    this.inFlight.push({ lineage, parked })
  }

  /**
   * A put settled: a parked hold goes back to `pending`, for the next push (or the end) to
   * carry; the extra hold of a put that pushed is released.
   */
  putSettled(lineage: Lineage): void {
    const inFlight = this.inFlight
    let index = 0
    while (index < inFlight.length && (inFlight[index] as PutInFlight).lineage !== lineage) index++
    if (index === inFlight.length) return
    const put = inFlight.splice(index, 1)[0] as PutInFlight
    if (!put.parked) this.tracker.release(lineage, this.reach)
    else for (let at = 0; at < lineage.length; at++) this.pending.push(lineage[at] as Origin)
  }

  /** Releases the lineage of puts that never pushed (once the queue ended and drained). */
  drain(): void {
    const pending = this.pending
    this.pending = []
    this.tracker.release(pending, this.reach)
  }
}
