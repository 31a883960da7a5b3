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
  /** The page number in this run of the source: 1, 2, 3, ... (a resumed run goes on from the saved page) */
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
  /**
   * For resumable loads (a run with `checkpoints`): what restarts your sequence after `last`,
   * saved after each page. JSON, and no secret: the saved state is refused if it holds one
   * the source knows. Give it with `resume` when `next` returns headers, or state that the URL
   * and body of the next request do not carry.
   * @default the next request's method, URL (secret query values of the options taken out,
   * put back on resume) and body
   */
  position?: (last: HttpPage<Item>) => unknown
  /**
   * For resumable loads: turns a value `position` returned back into the request after that
   * page, applied to the first request the way `next`'s result is applied to the last one.
   * Required with `position`.
   * @default restores the default position
   */
  resume?: (position: unknown) => HttpNextRequest | string | URL
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
  /**
   * What restarts the sequence at `next` (the request after `last`, the page at `nextIndex`),
   * for a saved position: JSON without the options' secrets.
   */
  save(next: HttpRequest, nextIndex: number, last: HttpPage<Item>): Record<string, unknown>
  /** The request of the page at `index` from what {@link Paginator.save} returned. */
  restore(saved: Record<string, unknown>, index: number): HttpRequest
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
  isSecret: (name: string) => boolean = () => false,
): Paginator<Item> {
  const sequence = { first: () => base, save: noSave, restore: noRestore }
  switch (pagination?.type) {
    case undefined:
      return { ...sequence, pageSize: undefined, at: undefined, next: () => undefined }
    case 'page': {
      const { param = 'page', start = 1, sizeParam = 'per_page', size } = pagination
      const at = (index: number): HttpRequest => ({
        ...base,
        url: withQuery(base.url, {
          [param]: start + index,
          ...(size ? { [sizeParam]: size } : {}),
        }),
      })
      return {
        pageSize: size,
        at,
        first: () => at(0),
        next: (_last, index) => at(index + 1),
        save: (_next, nextIndex) => ({ page: start + nextIndex }),
        restore(saved, index) {
          if (saved.page !== start + index) {
            throw new ResumeProblem(
              `its page ${JSON.stringify(saved.page)} is not page ${start + index}`,
            )
          }
          return at(index)
        },
      }
    }
    case 'offset': {
      const { offsetParam = 'offset', limitParam = 'limit', limit, start = 0 } = pagination
      const at = (index: number): HttpRequest => ({
        ...base,
        url: withQuery(base.url, { [offsetParam]: start + index * limit, [limitParam]: limit }),
      })
      return {
        pageSize: limit,
        at,
        first: () => at(0),
        next: (_last, index) => at(index + 1),
        save: (_next, nextIndex) => ({ offset: start + nextIndex * limit }),
        restore(saved, index) {
          if (saved.offset !== start + index * limit) {
            throw new ResumeProblem(
              `its offset ${JSON.stringify(saved.offset)} is not the offset of page ${index + 1} (${start + index * limit})`,
            )
          }
          return at(index)
        },
      }
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
        return withCursor(last.request, String(value))
      }
      const withCursor = (request: HttpRequest, text: string): HttpRequest => {
        if (where === 'query') return { ...request, url: withQuery(request.url, { [param]: text }) }
        const body = request.body ?? {}
        if (typeof body !== 'object' || Array.isArray(body)) {
          throw new PaginationProblem('a cursor sent in the body needs an object body (or none)')
        }
        return { ...request, body: { ...body, [param]: text } }
      }
      return {
        pageSize: undefined,
        at: undefined,
        first: () => base,
        next,
        save: (next) => ({
          cursor:
            where === 'query'
              ? next.url.searchParams.get(param)
              : (next.body as Record<string, unknown>)[param],
        }),
        restore(saved) {
          if (typeof saved.cursor !== 'string') {
            throw new ResumeProblem(`its cursor is ${JSON.stringify(saved.cursor)}, not a string`)
          }
          return withCursor(base, saved.cursor)
        },
      }
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
      return {
        pageSize: undefined,
        at: undefined,
        first: () => base,
        next,
        save: (next) => savedUrl(next.url, base.url, isSecret),
        restore: (saved) => restoredRequest(saved, base, policy),
      }
    }
    case 'custom': {
      const { position, resume } = pagination
      let nextHeaders = false
      const next = (last: HttpPage<Item>) => {
        const result = pagination.next(last)
        if (typeof result === 'object' && result !== null && !(result instanceof URL)) {
          if (result.headers !== undefined) nextHeaders = true
        }
        return customNext(result, last.request, policy)
      }
      return {
        pageSize: undefined,
        at: undefined,
        first: () => base,
        next,
        save(next, _nextIndex, last) {
          if (position) return { custom: position(last) }
          if (nextHeaders) {
            throw new PaginationProblem(
              'pagination.next returned headers, which a saved position does not keep (they may be credentials): give pagination.position and pagination.resume to make this source resumable',
            )
          }
          return {
            method: next.method,
            ...savedUrl(next.url, base.url, isSecret),
            ...(next.body === undefined ? {} : { body: next.body }),
          }
        },
        restore(saved) {
          if (resume) {
            if (!('custom' in saved)) throw new ResumeProblem('it has no "custom" position')
            const request = customNext(resume(saved.custom), base, policy)
            if (request === undefined) {
              throw new ResumeProblem('pagination.resume returned no request')
            }
            return request
          }
          const method = saved.method
          if (method !== 'GET' && method !== 'POST') {
            throw new ResumeProblem(`its method is ${JSON.stringify(method)}`)
          }
          return { ...restoredRequest(saved, base, policy), method, body: saved.body }
        },
      }
    }
  }
}

/** Why a saved position cannot be restored (turned into an `HTTP_RESUME` error). */
export class ResumeProblem extends HttpProblem {
  constructor(message: string) {
    super('HTTP_RESUME', message)
  }
}

function noSave(): Record<string, unknown> {
  return {}
}

function noRestore(): never {
  throw new ResumeProblem('a single request has no page to resume at')
}

/**
 * A URL for a saved position: no userinfo, and without the query parameters the first request
 * has and whose values are secrets (an `api_key` of the options): their names are kept in
 * `secrets`, their values put back from the options on resume (a rotated key works too).
 */
function savedUrl(
  url: URL,
  base: URL,
  isSecret: (name: string) => boolean,
): { url: string; secrets?: string[] } {
  const copy = new URL(url)
  copy.username = ''
  copy.password = ''
  const secrets: string[] = []
  for (const name of new Set(copy.searchParams.keys())) {
    if (isSecret(name) && base.searchParams.has(name)) {
      // Emptied in place: the restored URL keeps the order of the parameters.
      copy.searchParams.set(name, '')
      secrets.push(name)
    }
  }
  return secrets.length === 0 ? { url: copy.href } : { url: copy.href, secrets }
}

/** The request of a saved URL: the options' secret query values put back, the headers moved. */
function restoredRequest(
  saved: Record<string, unknown>,
  base: HttpRequest,
  policy: OriginPolicy,
): HttpRequest {
  let url: URL
  try {
    url = new URL(String(saved.url))
  } catch {
    throw new ResumeProblem(`its URL ${JSON.stringify(saved.url)} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ResumeProblem(`its URL ${url.href} is not http(s)`)
  }
  const secrets = saved.secrets ?? []
  if (!Array.isArray(secrets) || !secrets.every((name) => typeof name === 'string')) {
    throw new ResumeProblem('its "secrets" is not a list of parameter names')
  }
  for (const name of secrets) {
    const values = base.url.searchParams.getAll(name)
    url.searchParams.set(name, values[0] ?? '')
    for (const value of values.slice(1)) url.searchParams.append(name, value)
  }
  return { ...base, url, headers: policy.move(base.url, url, base.headers, 'the saved next URL') }
}
