import { type Checkpoint, checkpoint, defineSource, type Logger } from '@graphflow/core'
import { Agent, type Dispatcher } from 'undici'
import { linkedController } from './abort.js'
import { resolveSourceOptions } from './check-options.js'
import { HttpError, HttpProblem, redactedError } from './http-error.js'
import type {
  HttpSourceOptions,
  HttpSourceSpec,
  HttpSourceStats,
  HttpStart,
  HttpStartArgs,
} from './http-source-options.js'
import { type CursorProblem, CursorTracker } from './incremental.js'
import { OriginPolicy } from './origin-policy.js'
import { createPaginator } from './pagination.js'
import type { HttpPage } from './pagination-types.js'
import { RateLimiter } from './rate-limit.js'
import { type ReadPosition, type ReadStart, readPages } from './read-pages.js'
import { Redactor } from './redact.js'
import { type HttpRequest, withQuery } from './request.js'
import {
  type HttpPosition,
  type HttpPositionFor,
  positionAfter,
  positionFor,
  savedPosition,
} from './resume.js'
import { ResumeProblem } from './saved-request.js'
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
  // A run with checkpoints gives a start node `resumeFrom` (undefined: from the beginning).
  let resumable = false
  let resumeFrom: unknown
  // Every sink's saved position: checked too when resumeFrom is undefined (a sink stored
  // nothing), since the sinks ahead skip what they have by unit number.
  let savedPositions: readonly unknown[] = []
  let nodeName = name
  let calls = 0

  const makeAgent = () => new Agent({ keepAliveTimeout: 10_000 })

  async function* httpSource(
    start?: HttpStart,
  ): AsyncGenerator<Item | Item[] | Checkpoint<HttpPosition>, void, undefined> {
    // Positions are yielded by the start call of a run with checkpoints only: a call fed by an
    // upstream node is one of many sequences, which one saved position cannot restart.
    const tracked = resumable && calls++ === 0
    const redactor = new Redactor(options.redact)
    redactor.learn({ secrets: settings.authSecrets })
    const first = baseRequest(options, start, redactor)
    const incremental = options.incremental
    const identity = tracked
      ? positionFor(first, options.pagination, incremental, redactor)
      : undefined
    const check = (position: unknown) =>
      savedPosition(position, {
        identity: identity as HttpPositionFor,
        request: first,
        redactor,
        node: nodeName,
      })
    if (tracked) for (const position of savedPositions) check(position)
    const saved = tracked && resumeFrom !== undefined ? check(resumeFrom) : undefined
    if (saved?.done && incremental === undefined) {
      logger.info(
        `[graphflow] [http] ${nodeName}: the saved load is complete (${saved.pages} pages, ${saved.records} records): nothing to fetch (use another checkpoints.key or remove the saved state to load it again, or set "incremental")`,
      )
      return
    }
    // The value this sequence asks with: a resumed sequence keeps its own, a new one asks for
    // what is newer than the largest value stored.
    const cursor = incremental
      ? new CursorTracker(
          incremental.cursorField,
          saved?.incremental,
          saved?.done === true,
          incremental.initial,
        )
      : undefined
    const since = cursor?.since
    const base =
      incremental && since !== undefined
        ? { ...first, url: withQuery(first.url, { [incremental.param]: since }) }
        : first
    const policy = new OriginPolicy(base.url, trusted)
    const position: ReadPosition = { request: base, page: 1, status: undefined }
    const paginator = createPaginator(options.pagination, base, policy, (param) =>
      redactor.isSecretParam(param),
    )
    const fail = (error: unknown, request: HttpRequest, page: number): HttpError => {
      if (error instanceof HttpError) return error
      const problem = error instanceof HttpProblem ? error : undefined
      return redactedError(
        redactor,
        `httpSource '${nodeName}': ${problem ? problem.text : `a pagination function threw: ${String(error)}`}`,
        {
          code: problem?.code ?? 'HTTP_PAGINATION',
          method: request.method,
          url: request.url,
          page,
          cause: problem ? undefined : error,
        },
      )
    }
    let resumeAt: ReadStart | undefined
    if (saved && !saved.done) {
      try {
        const request = paginator.restore(saved.next as Record<string, unknown>, saved.pages)
        resumeAt = { index: saved.pages, request, records: saved.records }
      } catch (error) {
        throw fail(
          error instanceof ResumeProblem
            ? new ResumeProblem(
                `cannot resume from the saved position: ${error.text}; use another checkpoints.key or remove the saved state to start over`,
              )
            : error,
          base,
          saved.pages + 1,
        )
      }
    }
    const positions = tracked
      ? {
          identity: identity as HttpPositionFor,
          paginator,
          cursor,
          redactor,
          fail: (error: unknown, page: HttpPage<Item>) => fail(error, page.request, page.page),
        }
      : undefined
    // Called without open() (outside a graph): an agent for this call only.
    const ownAgent = dispatcher === undefined && !options.dispatcher ? makeAgent() : undefined
    const callRunSignal = runSignal
    const link = linkedController([options.signal, callRunSignal])
    const pages = readPages<Item>(
      {
        paginator,
        start: resumeAt,
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
      for await (const step of pages) {
        if (step.kind === 'end') {
          if (positions) yield checkpoint(positionAfter(step, positions))
          continue
        }
        let records = step.page.records
        if (cursor) {
          try {
            records = cursor.scan(records)
          } catch (error) {
            const { index, text } = error as CursorProblem
            throw redactedError(
              redactor,
              `httpSource '${nodeName}': record ${index} of this page (0-based) cannot be used for the incremental load: ${text}`,
              {
                code: 'HTTP_INCREMENTAL',
                method: step.page.request.method,
                url: step.page.request.url,
                page: step.page.page,
                status: step.page.status,
              },
            )
          }
        }
        if (records.length === 0) continue
        if (settings.yieldRecords) yield* records
        else yield records
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
      resumable = 'resumeFrom' in context
      resumeFrom = context.resumeFrom
      savedPositions = context.savedPositions ?? []
      nodeName = context.name
      calls = 0
      if (options.dispatcher) dispatcher = options.dispatcher
      else dispatcher = agent = makeAgent()
    },
    async close() {
      const current = agent
      agent = dispatcher = runSignal = undefined
      resumable = false
      resumeFrom = undefined
      savedPositions = []
      await current?.close()
    },
    // The checkpoint() markers are consumed by the executor: the node yields records.
    read: httpSource as (...input: HttpStartArgs) => AsyncGenerator<Item | Item[], void, undefined>,
  })
}
