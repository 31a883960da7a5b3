import { defineSource, type NodeContext, type NodeSpec } from '@graphflow/core'
import { __PASCAL__Error } from './__NAME__-error.js'
import {
  checkFunction,
  checkInteger,
  checkName,
  checkObject,
  describeValue,
  messageOf,
} from './check-options.js'

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

const FACTORY = '__CAMEL__Source'

/**
 * A source that reads a paged API: it calls `fetchPage(1)`, `fetchPage(2)`, ... and yields the
 * records one at a time until a page is empty. The factory only checks its options; the run's
 * signal is taken in `open()`, so the same spec can run again.
 *
 * @example
 * ```ts
 * const pages = [[{ id: 1 }, { id: 2 }], [{ id: 3 }]]
 * const source = __CAMEL__Source({ fetchPage: (page) => pages[page - 1] ?? [] })
 * ```
 */
export function __CAMEL__Source<Item>(options: __PASCAL__SourceOptions<Item>): NodeSpec<[], Item> {
  checkObject(FACTORY, options)
  checkFunction(FACTORY, 'fetchPage', options.fetchPage)
  checkName(FACTORY, options.name)
  checkInteger(FACTORY, 'firstPage', options.firstPage, 0)
  checkInteger(FACTORY, 'maxPages', options.maxPages, 1, true)
  const { fetchPage } = options
  const firstPage = options.firstPage ?? 1
  const lastPage = firstPage + (options.maxPages ?? Number.POSITIVE_INFINITY) - 1
  let signal: AbortSignal | undefined

  async function fetchRecords(page: number, runSignal: AbortSignal): Promise<readonly Item[]> {
    let records: unknown
    try {
      records = await fetchPage(page, runSignal)
    } catch (error) {
      // The run is stopping (halt or abort): end quietly instead of reporting the cancellation.
      if (runSignal.aborted) return []
      throw new __PASCAL__Error(
        `cannot fetch page ${page}: ${messageOf(error)}`,
        '__CONSTANT___FETCH',
        error,
      )
    }
    if (!Array.isArray(records)) {
      throw new __PASCAL__Error(
        `page ${page} is not an array of records: got ${describeValue(records)}`,
        '__CONSTANT___INVALID_PAGE',
      )
    }
    return records
  }

  return defineSource({
    name: options.name ?? FACTORY,
    open(context: NodeContext) {
      signal = context.signal
    },
    async *read() {
      const runSignal = signal
      if (!runSignal) {
        throw new __PASCAL__Error(
          'the source is not open: run it in a graph',
          '__CONSTANT___NOT_OPEN',
        )
      }
      for (let page = firstPage; page <= lastPage && !runSignal.aborted; page++) {
        const records = await fetchRecords(page, runSignal)
        if (records.length === 0) return
        yield* records
      }
    },
    close() {
      signal = undefined
    },
  })
}
