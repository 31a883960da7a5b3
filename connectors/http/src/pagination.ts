import { headerProblem } from './header-check.js'
import { HttpProblem, type HttpProblemDetails } from './http-error.js'
import { getPath } from './json-path.js'
import { findNextLink } from './link-header.js'
import type { OriginPolicy } from './origin-policy.js'
import type { CustomPagination, HttpPage, HttpPagination } from './pagination-types.js'
import { type HttpRequest, mergeHeaders, withQuery } from './request.js'
import { ResumeProblem, restoredRequest, savedUrl } from './saved-request.js'

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
  override name = 'PaginationProblem'

  constructor(message: string, details: Partial<HttpProblemDetails> = {}) {
    super(message, { code: 'HTTP_PAGINATION', ...details })
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
            { code: 'HTTP_BAD_SHAPE' },
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

function noSave(): Record<string, unknown> {
  return {}
}

function noRestore(): never {
  throw new ResumeProblem('a single request has no page to resume at')
}
