import type { SinkSpec } from '@graphflow/core'

/** Options of {@link __CAMEL__Sink}. `Item` is the type of the records it takes. */
export interface __PASCAL__SinkOptions<Item extends object> {
  /**
   * Stores one batch of records: called with `batchSize` records while the run goes on, and
   * before `close()` with the rest. This is the I/O seam: call your API's bulk write here. The
   * last call also happens after a halt or an abort (everything the sink accepted is stored).
   */
  send: (batch: Item[]) => Promise<void> | void
  /** The node's default name (`addNode(spec, { name })` overrides it). @default '__CAMEL__Sink' */
  name?: string
  /** How many records to buffer before sending them. @default 100 */
  batchSize?: number
}

/** The counters a sink exposes as `spec.stats`; reset when a run opens it. */
export interface __PASCAL__SinkStats {
  /** Records sent so far in this run. */
  records: number
}

/** What {@link __CAMEL__Sink} returns: a sink of records (one or an array per call) with live counters. */
export type __PASCAL__SinkSpec<Item extends object> = SinkSpec<Item, __PASCAL__SinkStats>
