// The public pagination options of httpSource and what its pagination functions see.

import type { IncomingHttpHeaders } from 'node:http'
import type { HttpMethod, HttpQuery, HttpRequest } from './request.js'

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
