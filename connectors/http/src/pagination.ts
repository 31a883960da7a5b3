import type { IncomingHttpHeaders } from 'node:http'
import { headerProblem } from './header-check.js'
import { type HttpErrorCode, HttpProblem } from './http-error.js'
import { getPath } from './json-path.js'
import { findNextLink } from './link-header.js'
import type { OriginPolicy } from './origin-policy.js'
import {
  type HttpMethod,
  type HttpQuery,
  type HttpRequest,
  mergeHeaders,
  withQuery,
} from './request.js'

/** A response as user functions (`records`, `cursor`, `total`) see it. */
export interface HttpResponseInfo {
  /** The request that got this response. */
  request: HttpRequest
  /** The HTTP status (2xx). */
  status: number
  /** The response headers, lower-cased names. */
  headers: IncomingHttpHeaders
  /** The parsed JSON body. */
  body: unknown
  /** The page number in this run of the source: 1, 2, 3, ... */
  page: number
}

/** A fetched page: the response and the records extracted from it. */
export interface HttpPage<Item = unknown> extends HttpResponseInfo {
  /** The records of this page. */
  records: Item[]
}

/** `?page=1&per_page=200`, `?page=2&per_page=200`, ... */
export interface PageNumberPagination {
  type: 'page'
  /** The page number parameter. @default 'page' */
  param?: string
  /** The first page number. @default 1 */
  start?: number
  /** The page size parameter, sent when `size` is set. @default 'per_page' */
  sizeParam?: string
  /** The page size to ask for. @default undefined (the API's default, no parameter sent) */
  size?: number
}

/** `?offset=0&limit=100`, `?offset=100&limit=100`, ... (the offset grows by `limit`). */
export interface OffsetPagination {
  type: 'offset'
  /** The offset parameter. @default 'offset' */
  offsetParam?: string
  /** The limit parameter. @default 'limit' */
  limitParam?: string
  /** Records per page, sent as `limitParam`; the offset grows by it. Required. */
  limit: number
  /** The first offset. @default 0 */
  start?: number
}

/** The next page is asked for with a cursor read from the body: ends when there is none. */
export interface CursorPagination {
  type: 'cursor'
  /**
   * Where the next cursor is in the body: a dotted path (`'meta.next_cursor'`) or a function.
   * `null` or `''` (or `undefined` from a function) means there is no next page. A path that is
   * missing from the body of a first page that has records fails with `HTTP_BAD_SHAPE` (most
   * likely a typo: `'next'` for `'next_cursor'`); missing from a later page, it ends the run.
   * Required.
   */
  cursor: string | ((body: unknown, response: HttpResponseInfo) => unknown)
  /** The parameter the cursor is sent as. @default 'cursor' */
  param?: string
  /** Send the cursor as a query parameter or as a field of the JSON body (POST). @default 'query' */
  in?: 'query' | 'body'
}

/**
 * Follows the RFC 8288 `Link: <url>; rel="next"` header: ends when there is none. A link to
 * another origin is followed without `auth` and the user headers (unless the origin is in
 * `trustedOrigins`); a link from https to http is refused with `HTTP_DOWNGRADE`.
 */
export interface LinkPagination {
  type: 'link'
}

/** What a custom pagination function may change for the next request. */
export interface HttpNextRequest {
  /** A new URL, absolute or relative to the last one. @default the last request's URL */
  url?: string | URL
  /** Query parameters set on the URL. @default none changed */
  query?: HttpQuery
  /** Headers merged over the last request's. @default none changed */
  headers?: Record<string, string>
  /** A new JSON body. @default the last request's body */
  body?: unknown
  /** A new method. @default the last request's method */
  method?: HttpMethod
}

/**
 * The next request is whatever a user function makes of the last page: ends on `undefined`. A
 * next request to another origin keeps only the headers `next` returns with it (unless the
 * origin is in `trustedOrigins`); one from https to http is refused with `HTTP_DOWNGRADE`.
 */
export interface CustomPagination<Item = unknown> {
  type: 'custom'
  /** Returns the next request (a URL, or changes to the last request), or `undefined` to stop. */
  next: (last: HttpPage<Item>) => HttpNextRequest | string | URL | undefined | null
}

/** The pagination strategies of `httpSource`. */
export type HttpPagination<Item = unknown> =
  | PageNumberPagination
  | OffsetPagination
  | CursorPagination
  | LinkPagination
  | CustomPagination<Item>

/** Makes the requests of a pagination strategy. */
export interface Paginator<Item> {
  /** The page size when the strategy knows it (page `size`, offset `limit`). */
  readonly pageSize: number | undefined
  /** The request for the page at `index` (0-based), for strategies whose sequence is known. */
  readonly at: ((index: number) => HttpRequest) | undefined
  /** The first request. */
  first(): HttpRequest
  /** The request after `last`, or `undefined` when there is none. */
  next(last: HttpPage<Item>, index: number): HttpRequest | undefined
}

/** Thrown by a paginator when a user function misbehaves (or the API's body does not fit). */
export class PaginationProblem extends HttpProblem {
  constructor(message: string, code: HttpErrorCode = 'HTTP_PAGINATION') {
    super(code, message)
  }
}

function describeKeys(body: unknown): string {
  if (body === null || typeof body !== 'object') return `the body is ${JSON.stringify(body)}`
  if (Array.isArray(body)) return 'the body is an array'
  const keys = Object.keys(body)
  const shown = keys.slice(0, 20).join(', ')
  return keys.length === 0
    ? 'the body is an empty object'
    : `its top-level keys: ${shown}${keys.length > 20 ? `, ... (${keys.length} keys)` : ''}`
}

function emptyCursor(value: unknown): boolean {
  return value === undefined || value === null || value === ''
}

function nextUrl(value: string | URL, base: URL): URL {
  let url: URL
  try {
    url = new URL(value, base)
  } catch {
    throw new PaginationProblem(`pagination.next returned an invalid URL: ${String(value)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PaginationProblem(`pagination.next returned ${url.href}, not an http(s) URL`)
  }
  return url
}

function customNext<Item>(
  result: ReturnType<CustomPagination<Item>['next']>,
  last: HttpRequest,
  policy: OriginPolicy,
): HttpRequest | undefined {
  if (result === undefined || result === null) return undefined
  if (typeof result === 'string' || result instanceof URL) {
    const url = nextUrl(result, last.url)
    return { ...last, url, headers: policy.move(last.url, url, last.headers, 'the next request') }
  }
  if (typeof result !== 'object') {
    throw new PaginationProblem(
      `pagination.next returned ${typeof result}, expected a URL, an object or undefined`,
    )
  }
  const url = withQuery(
    result.url === undefined ? last.url : nextUrl(result.url, last.url),
    result.query,
  )
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    const problem = headerProblem(name, value)
    if (problem) throw new PaginationProblem(`pagination.next returned an invalid ${problem}`)
  }
  const kept = policy.move(last.url, url, last.headers, 'the next request')
  return {
    method: result.method ?? last.method,
    url,
    headers: result.headers ? mergeHeaders(kept, result.headers) : kept,
    body: 'body' in result ? result.body : last.body,
  }
}

/** Makes the paginator of `pagination` (or a single request when it is `undefined`). */
export function createPaginator<Item>(
  pagination: HttpPagination<Item> | undefined,
  base: HttpRequest,
  policy: OriginPolicy,
): Paginator<Item> {
  switch (pagination?.type) {
    case undefined:
      return { pageSize: undefined, at: undefined, first: () => base, next: () => undefined }
    case 'page': {
      const { param = 'page', start = 1, sizeParam = 'per_page', size } = pagination
      const at = (index: number): HttpRequest => ({
        ...base,
        url: withQuery(base.url, {
          [param]: start + index,
          ...(size ? { [sizeParam]: size } : {}),
        }),
      })
      return { pageSize: size, at, first: () => at(0), next: (_last, index) => at(index + 1) }
    }
    case 'offset': {
      const { offsetParam = 'offset', limitParam = 'limit', limit, start = 0 } = pagination
      const at = (index: number): HttpRequest => ({
        ...base,
        url: withQuery(base.url, { [offsetParam]: start + index * limit, [limitParam]: limit }),
      })
      return { pageSize: limit, at, first: () => at(0), next: (_last, index) => at(index + 1) }
    }
    case 'cursor': {
      const { cursor, param = 'cursor', in: where = 'query' } = pagination
      const next = (last: HttpPage<Item>): HttpRequest | undefined => {
        const value =
          typeof cursor === 'function' ? cursor(last.body, last) : getPath(last.body, cursor)
        // JSON has no undefined: a path read as undefined is missing from the body.
        if (
          value === undefined &&
          typeof cursor === 'string' &&
          last.page === 1 &&
          last.records.length > 0
        ) {
          throw new PaginationProblem(
            `cursor path "${cursor}" is missing from the body of page 1 (${describeKeys(last.body)}): null or '' ends the pagination, a missing path is taken for a wrong path that would stop after page 1`,
            'HTTP_BAD_SHAPE',
          )
        }
        if (emptyCursor(value)) return undefined
        if (typeof value === 'object') {
          throw new PaginationProblem(
            `the cursor is an ${Array.isArray(value) ? 'array' : 'object'}, expected a string or a number`,
          )
        }
        const text = String(value)
        if (where === 'query')
          return { ...last.request, url: withQuery(last.request.url, { [param]: text }) }
        const body = last.request.body ?? {}
        if (typeof body !== 'object' || Array.isArray(body)) {
          throw new PaginationProblem('a cursor sent in the body needs an object body (or none)')
        }
        return { ...last.request, body: { ...body, [param]: text } }
      }
      return { pageSize: undefined, at: undefined, first: () => base, next }
    }
    case 'link': {
      const next = (last: HttpPage<Item>): HttpRequest | undefined => {
        const target = findNextLink(last.headers.link)
        if (target === undefined) return undefined
        let url: URL
        try {
          url = new URL(target, last.request.url)
        } catch {
          throw new PaginationProblem(`the Link header's next URL is invalid: ${target}`)
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:') {
          throw new PaginationProblem(`the Link header's next URL ${url.href} is not http(s)`)
        }
        const from = last.request.url
        const headers = policy.move(from, url, last.request.headers, 'the next link')
        return { ...last.request, url, headers }
      }
      return { pageSize: undefined, at: undefined, first: () => base, next }
    }
    case 'custom': {
      const next = (last: HttpPage<Item>) => customNext(pagination.next(last), last.request, policy)
      return { pageSize: undefined, at: undefined, first: () => base, next }
    }
  }
}
