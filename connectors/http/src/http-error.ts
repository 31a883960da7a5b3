import { GraphflowError, type GraphflowErrorOptions } from '@graphflow/core'
import type { Redactor } from './redact.js'

/**
 * The stable codes of an {@link HttpError}:
 * - `HTTP_STATUS`: a status that is not retried (4xx), or still failing after every attempt.
 * - `HTTP_NETWORK`: connection refused or reset, socket closed mid-body, after every attempt.
 * - `HTTP_TIMEOUT`: no complete response within `timeout`, after every attempt.
 * - `HTTP_BAD_JSON`: the body is not JSON.
 * - `HTTP_BAD_SHAPE`: the records path is missing or not an array, the total is not a number, or
 *   the cursor path is missing from a first page that has records.
 * - `HTTP_BODY_TOO_LARGE`: the body is larger than `maxBodyBytes` (not retried).
 * - `HTTP_RETRY_AFTER_TOO_LONG`: the server asked to wait longer than `retry.maxRetryAfter`.
 * - `HTTP_LOOP`: the API sent the same next request (cursor, link, page) or the same page (body or
 *   records) again.
 * - `HTTP_REDIRECT_LOOP`: a redirect leads back to a URL of the same redirect chain.
 * - `HTTP_REDIRECT`: a redirect that is refused: more than `maxRedirections`, a `POST` redirected
 *   by 301/302/303 (it would lose its body), or a `Location` that is not an http(s) URL.
 * - `HTTP_DOWNGRADE`: a next link, next request or redirect from https to http (not trusted).
 * - `HTTP_ABORTED`: the `signal` option was aborted.
 * - `HTTP_PAGINATION`: a user pagination function threw or returned something unusable.
 * - `HTTP_RESUME`: a saved position that this call cannot resume from: made for another request
 *   (URL, method, body, pagination or incremental settings), or not a position of `httpSource`.
 * - `HTTP_INCREMENTAL`: a record of an incremental load without a usable cursor value (missing,
 *   not a string or a finite number, or of another type than the others).
 */
export type HttpErrorCode =
  | 'HTTP_STATUS'
  | 'HTTP_NETWORK'
  | 'HTTP_TIMEOUT'
  | 'HTTP_BAD_JSON'
  | 'HTTP_BAD_SHAPE'
  | 'HTTP_BODY_TOO_LARGE'
  | 'HTTP_RETRY_AFTER_TOO_LONG'
  | 'HTTP_LOOP'
  | 'HTTP_REDIRECT_LOOP'
  | 'HTTP_REDIRECT'
  | 'HTTP_DOWNGRADE'
  | 'HTTP_ABORTED'
  | 'HTTP_PAGINATION'
  | 'HTTP_RESUME'
  | 'HTTP_INCREMENTAL'

/** Where an {@link HttpError} happened. */
export interface HttpErrorDetails {
  /** The error code. */
  code: HttpErrorCode
  /** The request's method. */
  method: string
  /** The request's full URL, query included (userinfo and secret query values redacted). */
  url: string
  /**
   * The page number of this run of the source: 1 for the first request, 2 for the next, ... (a
   * resumed run goes on from the saved page).
   */
  page: number
  /** The last HTTP status received for that page, if any. */
  status?: number | undefined
  /** How many attempts were made for that page. */
  attempts?: number | undefined
  /** The underlying error. */
  cause?: unknown
}

/**
 * What `httpSource` throws when it gives up. The message names the URL, the page and the last
 * status: `[graphflow] [http] GET http://api/items?page=3 (page 3, status 503, 5 attempts): ...`
 *
 * @example
 * ```ts
 * if (error instanceof HttpError && error.code === 'HTTP_STATUS' && error.status === 404) ...
 * ```
 */
export class HttpError extends GraphflowError<HttpErrorCode> {
  override name = 'HttpError'
  /** The request's method. */
  declare readonly method: string
  /** The request's full URL, with userinfo and secret query values replaced by `***`. */
  declare readonly url: string
  /** The page number (1 for the first request of the run; a resumed run goes on from the saved page). */
  declare readonly page: number
  /** The last HTTP status received, if any. */
  declare readonly status: number | undefined
  /** How many attempts were made for that page. */
  declare readonly attempts: number | undefined

  constructor(problem: string, details: HttpErrorDetails) {
    const where = [`page ${details.page}`]
    if (details.status !== undefined) where.push(`status ${details.status}`)
    if (details.attempts !== undefined && details.attempts > 1) {
      where.push(`${details.attempts} attempts`)
    }
    super(`${details.method} ${details.url} (${where.join(', ')}): ${problem}`, {
      status: undefined,
      attempts: undefined,
      ...details,
      scope: 'http',
    })
  }
}

/**
 * What an {@link HttpProblem} takes besides its message: the `code` of the {@link HttpError} it
 * turns into, a `cause`, and the `status` of the response it is about, when there was one.
 */
export type HttpProblemDetails = Omit<GraphflowErrorOptions<HttpErrorCode>, 'scope'> & {
  status?: number | undefined
}

/**
 * A problem found by the source's own machinery, turned into an {@link HttpError} with its
 * `code`, its `text` (the message without the prefix) becoming that error's problem.
 */
export class HttpProblem extends GraphflowError<HttpErrorCode> {
  override name = 'HttpProblem'
  /** The status of the response it is about, when there was one. */
  declare readonly status: number | undefined

  constructor(message: string, details: HttpProblemDetails) {
    super(message, { status: undefined, ...details, scope: 'http' })
  }
}

/**
 * An {@link HttpError} whose URL, message, stack and cause chain show no secret: the one way the
 * source makes its errors.
 */
export function redactedError(
  redactor: Redactor,
  problem: string,
  details: Omit<HttpErrorDetails, 'url'> & { url: URL },
): HttpError {
  redactor.scrub(details.cause)
  return new HttpError(redactor.text(problem), { ...details, url: redactor.url(details.url) })
}
