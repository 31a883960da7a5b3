import { defineSource, describeValue, messageOf } from '@graphflow/core'
import { __PASCAL__Error } from './__NAME__-error.js'
import type {
  __PASCAL__SourceOptions,
  __PASCAL__SourceSpec,
  __PASCAL__SourceStats,
} from './__NAME__-source-options.js'
import { resolveSourceOptions } from './check-options.js'

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
export function __CAMEL__Source<Item>(
  options: __PASCAL__SourceOptions<Item>,
): __PASCAL__SourceSpec<Item> {
  const settings = resolveSourceOptions(options)
  const { fetchPage, firstPage } = settings
  const lastPage = firstPage + settings.maxPages - 1
  /** The run's signal and counters, from `open()` to `close()`. */
  let run: { signal: AbortSignal; stats: __PASCAL__SourceStats } | undefined

  async function fetchRecords(page: number, signal: AbortSignal): Promise<readonly Item[]> {
    let records: unknown
    try {
      records = await fetchPage(page, signal)
    } catch (error) {
      // The run is stopping (halt or abort): end quietly instead of reporting the cancellation.
      if (signal.aborted) return []
      throw new __PASCAL__Error(`cannot fetch page ${page}: ${messageOf(error)}`, {
        code: '__CONSTANT___FETCH',
        page,
        cause: error,
      })
    }
    if (!Array.isArray(records)) {
      throw new __PASCAL__Error(
        `page ${page} is not an array of records: got ${describeValue(records)}`,
        { code: '__CONSTANT___INVALID_PAGE', page },
      )
    }
    return records
  }

  return defineSource({
    name: settings.name,
    stats: (): __PASCAL__SourceStats => ({ records: 0, pages: 0 }),
    open(context) {
      run = { signal: context.signal, stats: context.stats }
    },
    async *read() {
      const current = run
      if (!current) {
        throw new __PASCAL__Error('the source is not open: run it in a graph', {
          code: '__CONSTANT___NOT_OPEN',
        })
      }
      const { signal, stats } = current
      for (let page = firstPage; page <= lastPage && !signal.aborted; page++) {
        const records = await fetchRecords(page, signal)
        stats.pages++
        if (records.length === 0) return
        for (const record of records) {
          stats.records++
          yield record
        }
      }
    },
    close() {
      run = undefined
    },
  })
}
