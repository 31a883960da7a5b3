import { defineSource, type Logger } from '@graphflow/core'
import { Agent, type Dispatcher } from 'undici'
import { linkedController } from './abort.js'
import { resolveSourceOptions } from './check-options.js'
import { redactedError } from './http-error.js'
import type {
  HttpSourceOptions,
  HttpSourceSpec,
  HttpSourceStats,
  HttpStart,
  HttpStartArgs,
} from './http-source-options.js'
import { OriginPolicy } from './origin-policy.js'
import { createPaginator } from './pagination.js'
import { RateLimiter } from './rate-limit.js'
import { type ReadPosition, readPages } from './read-pages.js'
import { Redactor } from './redact.js'
import { baseRequest } from './start-request.js'

export { findNextLink } from './link-header.js'
export { parseRetryAfter } from './retry.js'

const silentLogger: Logger = { info() {}, error() {} }

/**
 * A source node that fetches a JSON API page by page with undici and yields each page's
 * records (an array per page, or one record at a time with `yield: 'records'`).
 *
 * The node may be started with no arguments (it requests `options.url`) or with one
 * {@link HttpStart} that overrides the URL, query, headers or body:
 * `executor.execute({ startNodes: { breweries: [{ query: { by_country: 'Ireland' } }] } })`.
 * An upstream node may also feed it URLs or overrides: one paginated run per item.
 *
 * @example
 * ```ts
 * const breweries = httpSource<Brewery>({
 *   name: 'breweries',
 *   url: 'https://api.openbrewerydb.org/v1/breweries',
 *   query: { per_page: 200 },
 *   pagination: { type: 'page' },
 * })
 * graph.addEdge(graph.addNode(breweries), graph.addNode(writeCsv))
 * ```
 */
export function httpSource<Item = unknown>(
  options: HttpSourceOptions<Item> & { yield: 'records' },
): HttpSourceSpec<Item>
export function httpSource<Item = unknown>(
  options: HttpSourceOptions<Item> & { yield?: 'pages' },
): HttpSourceSpec<Item[]>
export function httpSource<Item = unknown>(
  options: HttpSourceOptions<Item>,
): HttpSourceSpec<Item | Item[]>
export function httpSource<Item = unknown>(
  options: HttpSourceOptions<Item>,
): HttpSourceSpec<Item | Item[]> {
  const settings = resolveSourceOptions(options)
  const { name, timeout, concurrency, retry, maxRedirections, maxBodyBytes, trusted } = settings
  let stats: HttpSourceStats = { pages: 0, records: 0, retries: 0 }
  // One limiter per source: every call of the node (and every prefetched page) shares it.
  const limiter =
    options.requestsPerSecond === undefined ? undefined : new RateLimiter(options.requestsPerSecond)
  let agent: Agent | undefined
  let dispatcher: Dispatcher | undefined
  let runSignal: AbortSignal | undefined
  let logger: Logger = silentLogger

  const makeAgent = () => new Agent({ keepAliveTimeout: 10_000 })

  async function* httpSource(start?: HttpStart): AsyncGenerator<Item | Item[], void, undefined> {
    const redactor = new Redactor(options.redact)
    redactor.learn({ secrets: settings.authSecrets })
    const base = baseRequest(options, start, redactor)
    const policy = new OriginPolicy(base.url, trusted)
    const position: ReadPosition = { request: base, page: 1, status: undefined }
    // Called without open() (outside a graph): an agent for this call only.
    const ownAgent = dispatcher === undefined && !options.dispatcher ? makeAgent() : undefined
    const callRunSignal = runSignal
    const link = linkedController([options.signal, callRunSignal])
    const pages = readPages<Item>(
      {
        paginator: createPaginator(options.pagination, base, policy),
        fetch: {
          dispatcher: dispatcher ?? options.dispatcher ?? (ownAgent as Agent),
          timeout,
          retry,
          limiter,
          records: options.records,
          maxRedirections,
          maxBodyBytes,
          policy,
          redactor,
          onRetry(info) {
            stats.retries++
            logger.info(
              `[graphflow] [http] ${name}: ${info.method} ${info.url} (page ${info.page}, attempt ${info.attempt}/${info.attempts}) failed: ${info.error}; retrying in ${info.delay} ms`,
            )
            options.onRetry?.(info)
          },
        },
        concurrency,
        stopOnEmptyPage: settings.stopOnEmptyPage,
        stopOnShortPage: settings.stopOnShortPage,
        total: options.total,
        stopWhen: options.stopWhen,
        maxPages: settings.maxPages,
        detectLoops: settings.detectLoops,
        onPage(page, attempts) {
          stats.pages++
          stats.records += page.records.length
          options.onPage?.({
            method: page.request.method,
            url: redactor.url(page.request.url),
            page: page.page,
            status: page.status,
            records: page.records.length,
            attempts,
            stats: { ...stats },
          })
        },
        onMaxPages() {
          logger.info(
            `[graphflow] [http] ${name}: stopped at maxPages (${options.maxPages}) although the API has more pages`,
          )
        },
      },
      link.controller.signal,
      position,
    )
    try {
      for await (const page of pages) {
        if (settings.yieldRecords) yield* page.records
        else yield page.records
      }
    } catch (error) {
      if (callRunSignal?.aborted) return
      if (options.signal?.aborted) {
        const request = position.request ?? base
        throw redactedError(redactor, 'aborted by the signal option', {
          code: 'HTTP_ABORTED',
          method: request.method,
          url: request.url,
          page: position.page,
          status: position.status,
          cause: options.signal.reason,
        })
      }
      throw error
    } finally {
      link.dispose()
      await ownAgent?.close()
    }
  }

  return defineSource({
    name,
    stats: (): HttpSourceStats => ({ pages: 0, records: 0, retries: 0 }),
    open(context) {
      stats = context.stats
      runSignal = context.signal
      logger = context.logger
      if (options.dispatcher) dispatcher = options.dispatcher
      else dispatcher = agent = makeAgent()
    },
    async close() {
      const current = agent
      agent = dispatcher = runSignal = undefined
      await current?.close()
    },
    read: httpSource as (...input: HttpStartArgs) => AsyncGenerator<Item | Item[], void, undefined>,
  })
}
