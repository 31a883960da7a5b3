import type { SourceSpec } from '@graphflow/core'
import type { Dispatcher } from 'undici'
import type { HttpRetryInfo, RecordsOption } from './fetch-page.js'
import type { HttpPage, HttpPagination } from './pagination-types.js'
import type { TotalOption } from './read-pages.js'
import type { HttpMethod, HttpQuery } from './request.js'
import type { HttpRetryOptions } from './retry.js'

export type { HttpRetryInfo, RecordsOption } from './fetch-page.js'
export type {
  CursorPagination,
  CustomPagination,
  HttpNextRequest,
  HttpPage,
  HttpPagination,
  HttpResponseInfo,
  LinkPagination,
  OffsetPagination,
  PageNumberPagination,
} from './pagination-types.js'
export type { TotalOption } from './read-pages.js'
export type { HttpMethod, HttpQuery, HttpQueryValue, HttpRequest } from './request.js'
export type { HttpRetryOptions } from './retry.js'

/**
 * What a source may be started (or fed) with to change its first request: a URL (absolute,
 * or relative to `options.url`), or an object whose fields override the options'.
 */
export type HttpStart =
  | string
  | URL
  | {
      /** Replaces `options.url` (absolute, or relative to it). */
      url?: string | URL
      /** Merged over `options.query`. */
      query?: HttpQuery
      /** Merged over `options.headers`. */
      headers?: Record<string, string>
      /** Replaces `options.body`. */
      body?: unknown
    }

/** Credentials sent as the `Authorization` header. */
export type HttpAuth = { bearer: string } | { username: string; password: string }

/** What `onPage` gets after each page is fetched (empty pages included), in page order. */
export interface HttpPageInfo {
  /** The request's method. */
  method: string
  /** The request's full URL, with userinfo and secret query values replaced by `***`. */
  url: string
  /** The page number in this call of the source: 1, 2, 3, ... (a resumed call goes on from the saved page) */
  page: number
  /** The HTTP status. */
  status: number
  /** Records on this page. */
  records: number
  /** Attempts this page took (1 without retries). */
  attempts: number
  /** The source's counters so far in this run. */
  stats: Readonly<HttpSourceStats>
}

/** Live counters of a source over the current (or last) run, for progress displays. */
export interface HttpSourceStats {
  /** Pages fetched (empty ones included). */
  pages: number
  /** Records fetched. */
  records: number
  /** Retries made (429s, 5xx, network errors, timeouts). */
  retries: number
}

/**
 * An incremental load: each run asks only for the records newer than the largest cursor value
 * a previous run stored (see "Resumable and incremental loads" in the README). Needs a run with
 * `checkpoints`, where that value is kept with the source's position.
 */
export interface HttpIncremental {
  /**
   * Where a record's cursor value is: a dotted path (`'updated_at'`, `'meta.modified'`). Every
   * record must have one, all numbers (compared numerically) or all strings (compared
   * lexicographically: ISO 8601 timestamps in one format and time zone). A missing value, a
   * value of another type or a number that is not finite fails with `HTTP_INCREMENTAL`. Required.
   */
  cursorField: string
  /**
   * The query parameter the cursor is sent as, on every request of a load:
   * `?updated_since=<largest value stored by the last complete load>`. The filter may be
   * exclusive (`>`) or inclusive (`>=`): the records the last load stored with that value are
   * recognised (by a digest kept in the position) and dropped. Required.
   */
  param: string
  /**
   * The value sent on a load without a stored state (the first one).
   * @default undefined (no parameter: everything is loaded)
   */
  initial?: string | number
}

/** Options of `httpSource`. `Item` is the type of one record (not checked at run time). */
export interface HttpSourceOptions<Item = unknown> {
  /**
   * The URL of the first request (query included). Userinfo (`https://user:pass@host/`) is
   * sent as Basic auth, like `auth: { username, password }` (setting both is a `TypeError`).
   * Required.
   */
  url: string | URL
  /**
   * The node's default name, the key of its report entries (`addNode(spec, { name })`
   * overrides it). It used to be `'http-source'`: pass `name: 'http-source'` to keep that key.
   * @default 'httpSource'
   */
  name?: string
  /** `GET`, or `POST` with a JSON `body`. @default 'GET' */
  method?: HttpMethod
  /** Query parameters added to `url`. @default {} */
  query?: HttpQuery
  /**
   * Request headers. `accept: application/json` is sent unless overridden. Names must be HTTP
   * tokens and values strings without CR, LF or other control characters (else a `TypeError`).
   * They are sent to the first request's origin and to `trustedOrigins` only.
   * @default {}
   */
  headers?: Record<string, string>
  /**
   * Bearer token or basic credentials, sent as `Authorization` to the first request's origin
   * and to `trustedOrigins` only.
   * @default undefined (none)
   */
  auth?: HttpAuth
  /** The JSON body of a `POST`. @default undefined (no body) */
  body?: unknown
  /** How the next page is asked for. @default undefined (a single request) */
  pagination?: HttpPagination<Item>
  /**
   * Ask only for records newer than those a previous run stored (in a run with `checkpoints`).
   * @default undefined (every run loads everything)
   */
  incremental?: HttpIncremental
  /**
   * Where the records are: a dotted path in the body (`'data.items'`) or a function of the
   * body. Not an array is an `HTTP_BAD_SHAPE` error.
   * @default the body itself, which must be an array
   */
  records?: RecordsOption<Item>
  /** Yield one array of records per page, or each record on its own. @default 'pages' */
  yield?: 'pages' | 'records'
  /**
   * Stop at the first page without records.
   * @default true, except for 'cursor' and 'link' pagination, which end when there is no next
   * cursor or link
   */
  stopOnEmptyPage?: boolean
  /**
   * Stop at the first page with fewer records than the page size (`pagination.size` or
   * `limit`). Off by default because many APIs sometimes return short pages mid-way: turning
   * it on silently drops the rest of such an API's data.
   * @default false
   */
  stopOnShortPage?: boolean
  /**
   * Where the total number of records is in the body (a dotted path or a function): the source
   * stops once it has fetched that many.
   * @default undefined (not used)
   */
  total?: TotalOption
  /** Return `true` to make the page just fetched the last one. @default undefined (not used) */
  stopWhen?: (page: HttpPage<Item>) => boolean
  /**
   * A bound on the pages fetched per call (a resumed call counts from where it resumes, so a run
   * with checkpoints loads a large API in chunks); reaching it is logged. There is no finite default:
   * any number would silently cut a large export short, and the endless cases seen in practice
   * (a repeated request, a page repeated with or without a changing request id) are caught by
   * `detectLoops`. Set it for an API you do not trust.
   * @default Infinity
   */
  maxPages?: number
  /**
   * Fail with `HTTP_LOOP` when a next request repeats an earlier one (same URL and body), or a
   * page has the same body or the same records as the one before.
   * @default true
   */
  detectLoops?: boolean
  /**
   * Pages fetched at once with 'page' and 'offset' pagination, yielded in page order; pages
   * after the last one that were already in flight are discarded.
   * @default 1
   */
  concurrency?: number
  /** Retries of 429s, 5xx, network errors and timeouts; `false` for none. @default {} (5 attempts) */
  retry?: HttpRetryOptions | false
  /** Milliseconds for one attempt, headers and body. @default 30_000 */
  timeout?: number
  /**
   * The most requests started per second by this source (every call of the node, prefetched
   * pages and retries included).
   * @default Infinity (no limit)
   */
  requestsPerSecond?: number
  /**
   * Redirects followed per request, whatever the dispatcher; `0` turns a 3xx into an
   * `HTTP_STATUS` error. A redirect to another origin drops `auth` and the user headers (unless
   * trusted), one from https to http fails with `HTTP_DOWNGRADE`, a loop with
   * `HTTP_REDIRECT_LOOP`; a `POST` is only followed through 307 and 308 (with its body).
   * @default 5
   */
  maxRedirections?: number
  /**
   * Other origins (`'https://eu.api.example.com'`) that next links, next requests and redirects
   * may lead to with `auth` and the user headers kept, for APIs that page across their own
   * hosts. An `http:` origin listed here may also be reached from https.
   * @default [] (only the first request's origin gets them)
   */
  trustedOrigins?: readonly string[]
  /**
   * The largest response body read, in bytes. A larger body fails with `HTTP_BODY_TOO_LARGE`
   * at once (it is not retried).
   * @default 67_108_864 (64 MiB)
   */
  maxBodyBytes?: number
  /**
   * More query parameter and header names (any case) whose values are secrets, besides the
   * built-in ones (`api_key`, `apikey`, `key`, `sig`, names containing `token`, `secret`,
   * `password` or `signature`; credential headers). Their values, URL userinfo and the `auth`
   * credentials are replaced by `***` in errors, log lines and `onPage` / `onRetry`.
   * @default []
   */
  redact?: readonly string[]
  /** Aborting it stops the source with an `HTTP_ABORTED` error. @default undefined */
  signal?: AbortSignal
  /**
   * The undici dispatcher requests go through (a `MockAgent`, a `ProxyAgent`, a shared pool).
   * The caller owns it: it is not closed.
   * @default a keep-alive undici `Agent` opened in `open()` and closed in `close()`
   */
  dispatcher?: Dispatcher
  /** Called after each page is fetched. @default undefined */
  onPage?: (info: HttpPageInfo) => void
  /** Called before each retry wait (retries are also logged through the run's logger). @default undefined */
  onRetry?: (info: HttpRetryInfo) => void
}

/** The start arguments: none, or one {@link HttpStart} override. */
export type HttpStartArgs = [start?: HttpStart]

/**
 * What `httpSource` returns: a source spec (made with core's `defineSource`) plus live counters:
 * pages, records and retries of the current (or last) run, reset by `open()`.
 */
export type HttpSourceSpec<Out> = SourceSpec<Out, HttpSourceStats, HttpStartArgs>
