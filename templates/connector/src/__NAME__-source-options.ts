import type { SourceSpec } from '@graphflow/core'

/** Options of {@link __CAMEL__Source}. `Item` is the type of the records it yields. */
export interface __PASCAL__SourceOptions<Item> {
  /**
   * Fetches one page of records: called with the page number (`firstPage`, then the next one, ...)
   * and the run's `AbortSignal`, until it returns an empty array. This is the I/O seam: call your
   * API here and pass the signal on, so that a halt or an abort cancels the request.
   */
  fetchPage: (page: number, signal: AbortSignal) => Promise<readonly Item[]> | readonly Item[]
  /** The node's default name (`addNode(spec, { name })` overrides it). @default '__CAMEL__Source' */
  name?: string
  /** The number of the first page. @default 1 */
  firstPage?: number
  /** Stop after this many pages, even if none was empty. @default Infinity */
  maxPages?: number
}

/** The counters a source exposes as `spec.stats`; reset when a run opens it. */
export interface __PASCAL__SourceStats {
  /** Records yielded so far in this run. */
  records: number
  /** Pages fetched so far in this run (the last, empty one included). */
  pages: number
}

/** What {@link __CAMEL__Source} returns: a source of records with live counters. */
export type __PASCAL__SourceSpec<Item> = SourceSpec<Item, __PASCAL__SourceStats>
