import { createHash } from 'node:crypto'
import { linkedController } from './abort.js'
import { type FetchedPage, type FetchPageContext, fetchPage } from './fetch-page.js'
import { HttpError, type HttpErrorCode, HttpProblem, redactedError } from './http-error.js'
import { getPath } from './json-path.js'
import type { Paginator } from './pagination.js'
import type { HttpPage, HttpResponseInfo } from './pagination-types.js'
import type { HttpRequest } from './request.js'

/** Where the total number of records is in a body: a dotted path or a function. */
export type TotalOption = string | ((body: unknown, response: HttpResponseInfo) => unknown)

/** How {@link readPages} decides to stop and what it reports. */
export interface ReadPagesOptions<Item> {
  paginator: Paginator<Item>
  fetch: FetchPageContext<Item>
  concurrency: number
  stopOnEmptyPage: boolean
  stopOnShortPage: boolean
  total: TotalOption | undefined
  stopWhen: ((page: HttpPage<Item>) => boolean) | undefined
  maxPages: number
  detectLoops: boolean
  /** Called once per fetched page (empty ones included), in page order. */
  onPage(page: HttpPage<Item>, attempts: number): void
  /** Called when `maxPages` stops a run that had more pages. */
  onMaxPages(): void
  /** Where a resumed call starts: the page index, its request and the records counted before it. */
  start?: ReadStart | undefined
}

/** Where a resumed call starts its sequence. */
export interface ReadStart {
  /** The 0-based index of the first page to fetch (the pages done before it). */
  index: number
  /** That page's request. */
  request: HttpRequest
  /** Records of the sequence before it (for `total`). */
  records: number
}

/**
 * What {@link readPages} yields: a fetched page (empty ones included), then, once what follows
 * it is known, the end of that page with the request after it (`undefined`: the sequence ended).
 */
export type PageStep<Item> =
  | { kind: 'page'; page: HttpPage<Item> }
  | {
      kind: 'end'
      page: HttpPage<Item>
      /** The 0-based index of the page in the sequence. */
      index: number
      /** The request of the next page, `undefined` when the sequence ended with this page. */
      next: HttpRequest | undefined
      /** Records of the sequence up to this page. */
      records: number
    }

/** The request in progress, for error messages (mutated by {@link readPages}). */
export interface ReadPosition {
  request: HttpRequest | undefined
  page: number
  status: number | undefined
}

const prefetchDiscarded = new Error('prefetched page discarded')

function requestKey(request: HttpRequest): string {
  return `${request.method} ${request.url.href} ${JSON.stringify(request.body) ?? ''}`
}

/**
 * A digest of a page's records, to catch an API that ignores the page parameter but varies
 * something else in the body (a request id, a timestamp). `undefined` when the records cannot
 * be serialised (a `records` function returning something that is not JSON).
 */
function recordsKey(records: readonly unknown[]): string | undefined {
  try {
    const json = JSON.stringify(records)
    return json === undefined ? undefined : createHash('sha1').update(json).digest('base64')
  } catch {
    return undefined
  }
}

/**
 * Fetches pages one after another (or up to `concurrency` at once for page-number and offset
 * pagination, handed over in page order) and yields every page, then its end, until a stop
 * rule says this page was the last one. Throws `HTTP_LOOP` when the API repeats itself.
 */
export async function* readPages<Item>(
  options: ReadPagesOptions<Item>,
  signal: AbortSignal,
  position: ReadPosition,
): AsyncGenerator<PageStep<Item>, void, undefined> {
  const { paginator } = options
  let previousText: string | undefined
  let previousRecords: string | undefined
  const { redactor } = options.fetch
  const first = options.start?.index ?? 0
  let count = options.start?.records ?? 0
  let total: number | undefined

  /** `at`: the page the error is about when it is not the current one (never fetched). */
  const fail = (
    code: HttpErrorCode,
    problem: string,
    request: HttpRequest,
    cause?: unknown,
    at: { page: number; status: number | undefined } = position,
  ) =>
    redactedError(redactor, problem, {
      code,
      method: request.method,
      url: request.url,
      page: at.page,
      status: at.status,
      cause,
    })

  const callUser = <Value>(what: string, request: HttpRequest, call: () => Value): Value => {
    try {
      return call()
    } catch (error) {
      if (error instanceof HttpError) throw error
      if (error instanceof HttpProblem) throw fail(error.code, error.text, request)
      throw fail('HTTP_PAGINATION', `${what} threw: ${String(error)}`, request, error)
    }
  }

  /** Checks one fetched page in order; returns whether it is the last one. */
  const settle = ({ page, text, attempts }: FetchedPage<Item>): boolean => {
    position.page = page.page
    position.status = page.status
    position.request = page.request
    const size = page.records.length
    if (options.detectLoops && size > 0) {
      const key = recordsKey(page.records)
      const same =
        text === previousText
          ? 'body'
          : key !== undefined && key === previousRecords
            ? 'records'
            : ''
      if (same !== '') {
        throw fail(
          'HTTP_LOOP',
          `page ${page.page} has the same ${same} as page ${page.page - 1}: the API ignores the pagination parameters or repeats itself`,
          page.request,
        )
      }
      previousRecords = key
    } else previousRecords = undefined
    previousText = text
    count += size
    if (options.total !== undefined) total = readTotal(page, total)
    options.onPage(page, attempts)
    if (size === 0 && options.stopOnEmptyPage) return true
    if (total !== undefined && count >= total) return true
    const pageSize = paginator.pageSize
    if (options.stopOnShortPage && pageSize !== undefined && size < pageSize) return true
    const stopWhen = options.stopWhen
    return (
      stopWhen !== undefined && callUser('stopWhen', page.request, () => stopWhen(page)) === true
    )
  }

  const readTotal = (page: HttpPage<Item>, known: number | undefined): number | undefined => {
    const option = options.total as TotalOption
    const value =
      typeof option === 'function'
        ? callUser('total', page.request, () => option(page.body, page))
        : getPath(page.body, option)
    if (value === undefined || value === null) {
      if (known !== undefined) return known
      const what =
        typeof option === 'function'
          ? 'the total function returned nothing'
          : `total path "${option}" is missing from the body`
      throw fail('HTTP_BAD_SHAPE', what, page.request)
    }
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
    if (typeof number !== 'number' || !Number.isFinite(number)) {
      throw fail(
        'HTTP_BAD_SHAPE',
        `the total is ${JSON.stringify(value)}, expected a number`,
        page.request,
      )
    }
    return number
  }

  const end = (
    page: HttpPage<Item>,
    index: number,
    next: HttpRequest | undefined,
  ): PageStep<Item> => ({ kind: 'end', page, index, next, records: count })

  if (paginator.at !== undefined && options.concurrency > 1) {
    yield* prefetch(options, paginator.at, first, signal, position, settle, end)
    return
  }

  const seen = new Map<string, number>()
  let request: HttpRequest | undefined = options.start?.request ?? paginator.first()
  for (let index = first; ; index++) {
    const pageNumber = index + 1
    // Page-number and offset requests never repeat by construction: only the others are kept.
    if (options.detectLoops && paginator.at === undefined) {
      const key = requestKey(request)
      const earlier = seen.get(key)
      if (earlier !== undefined) {
        throw fail(
          'HTTP_LOOP',
          `the request for page ${pageNumber} is the same as for page ${earlier} (a repeated cursor, link or next request): stopping instead of looping forever`,
          request,
          undefined,
          // This page was never fetched: it has no status (the last one is the previous page's).
          { page: pageNumber, status: undefined },
        )
      }
      seen.set(key, pageNumber)
    }
    position.request = request
    position.page = pageNumber
    const fetched: FetchedPage<Item> = await fetchPage(request, pageNumber, options.fetch, signal)
    const last = settle(fetched)
    yield { kind: 'page', page: fetched.page }
    if (last) {
      yield end(fetched.page, index, undefined)
      return
    }
    const current: HttpRequest = request
    request = callUser('pagination', current, (): HttpRequest | undefined =>
      paginator.next(fetched.page, index),
    )
    // A custom next request may bring new credentials: hide them too.
    if (request !== undefined && request.headers !== current.headers) {
      redactor.learn({ headers: request.headers })
    }
    yield end(fetched.page, index, request)
    if (request === undefined) return
    if (index - first + 1 >= options.maxPages) {
      options.onMaxPages()
      return
    }
  }
}

async function* prefetch<Item>(
  options: ReadPagesOptions<Item>,
  at: (index: number) => HttpRequest,
  first: number,
  signal: AbortSignal,
  position: ReadPosition,
  settle: (fetched: FetchedPage<Item>) => boolean,
  end: (page: HttpPage<Item>, index: number, next: HttpRequest | undefined) => PageStep<Item>,
): AsyncGenerator<PageStep<Item>, void, undefined> {
  const { controller, dispose } = linkedController([signal])
  const inFlight: Array<{ request: HttpRequest; promise: Promise<FetchedPage<Item>> }> = []
  let launched = first
  const fill = () => {
    while (inFlight.length < options.concurrency && launched - first < options.maxPages) {
      const index = launched++
      const request = at(index)
      const promise = fetchPage(request, index + 1, options.fetch, controller.signal)
      promise.catch(() => {})
      inFlight.push({ request, promise })
    }
  }
  try {
    for (let index = first; ; index++) {
      fill()
      const head = inFlight.shift()
      if (head === undefined) return
      position.request = head.request
      position.page = index + 1
      const fetched = await head.promise
      const last = settle(fetched)
      if (!last) fill()
      yield { kind: 'page', page: fetched.page }
      yield end(fetched.page, index, last ? undefined : at(index + 1))
      if (last) return
      if (index - first + 1 >= options.maxPages) {
        options.onMaxPages()
        return
      }
    }
  } finally {
    if (inFlight.length > 0) {
      controller.abort(prefetchDiscarded)
      await Promise.allSettled(inFlight.map((each) => each.promise))
    }
    dispose()
  }
}
