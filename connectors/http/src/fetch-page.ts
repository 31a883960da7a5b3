import { describeValue } from '@graphflow/core'
import type { Dispatcher } from 'undici'
import { sleep } from './abort.js'
import { type HttpError, type HttpErrorCode, HttpProblem, redactedError } from './http-error.js'
import { getPath } from './json-path.js'
import type { OriginPolicy } from './origin-policy.js'
import type { HttpPage, HttpResponseInfo } from './pagination-types.js'
import type { RateLimiter } from './rate-limit.js'
import type { Redactor } from './redact.js'
import { AttemptFailure, type HttpRequest, type RawResponse, sendRequest } from './request.js'
import { isRetryableStatus, parseRetryAfter, type ResolvedRetry, retryDelay } from './retry.js'

/** What `onRetry` gets before each wait. */
export interface HttpRetryInfo {
  /** The request's method. */
  method: string
  /** The request's full URL, with userinfo and secret query values replaced by `***`. */
  url: string
  /** The page number in this run of the source (a resumed run goes on from the saved page). */
  page: number
  /** The attempt that failed (1 for the first). */
  attempt: number
  /** The attempts allowed per page. */
  attempts: number
  /** Why it is retried. */
  reason: 'status' | 'network' | 'timeout'
  /** The status of the failed attempt, when there was a response. */
  status: number | undefined
  /** A one-line description of the failure (secrets replaced by `***`). */
  error: string
  /** Milliseconds the source waits before the next attempt. */
  delay: number
  /** The server's `Retry-After` in milliseconds, when it sent one. */
  retryAfter: number | undefined
}

/** Where records come from: a dotted path or a function of the body. */
export type RecordsOption<Item> =
  | string
  | ((body: unknown, response: HttpResponseInfo) => readonly Item[] | Item[])

/** What {@link fetchPage} needs besides the request. */
export interface FetchPageContext<Item> {
  dispatcher: Dispatcher
  timeout: number
  retry: ResolvedRetry
  limiter: RateLimiter | undefined
  records: RecordsOption<Item> | undefined
  /** Redirects followed per request. */
  maxRedirections: number
  /** The largest body read, in bytes. */
  maxBodyBytes: number
  /** What a redirect to another origin keeps. */
  policy: OriginPolicy
  /** Hides secrets in the URLs and messages the source hands out. */
  redactor: Redactor
  /** Called before every retry wait. */
  onRetry(info: HttpRetryInfo): void
}

/** A fetched page and its raw body text (kept to detect an API serving the same page again). */
export interface FetchedPage<Item> {
  page: HttpPage<Item>
  text: string
  attempts: number
}

const SNIPPET_LENGTH = 200

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  if (flat === '') return '(empty body)'
  return flat.length > SNIPPET_LENGTH ? `${flat.slice(0, SNIPPET_LENGTH)}...` : flat
}

function extractRecords<Item>(
  records: RecordsOption<Item> | undefined,
  info: HttpResponseInfo,
): Item[] {
  if (typeof records === 'function') {
    const value = records(info.body, info)
    if (!Array.isArray(value)) {
      throw new Error(`the records function returned ${describeValue(value)}, expected an array`)
    }
    return value as Item[]
  }
  const path = records ?? ''
  const value = getPath(info.body, path)
  if (Array.isArray(value)) return value as Item[]
  const what = path === '' ? 'the body' : `records path "${path}"`
  if (value === undefined)
    throw new Error(`${what} is missing from the body (${snippet(JSON.stringify(info.body))})`)
  throw new Error(`${what} is ${describeValue(value)}, expected an array`)
}

/**
 * Fetches one page: waits for the rate limiter, sends the request, retries 429/5xx, network
 * errors and timeouts with jittered backoff (honouring `Retry-After` up to `maxRetryAfter`),
 * parses the JSON and extracts the records. Throws an {@link HttpError} when it gives up, and
 * the signal's reason when the signal aborts.
 */
export async function fetchPage<Item>(
  request: HttpRequest,
  page: number,
  context: FetchPageContext<Item>,
  signal: AbortSignal,
): Promise<FetchedPage<Item>> {
  const { retry, redactor } = context
  let shownUrl: string | undefined
  const url = () => {
    shownUrl ??= redactor.url(request.url)
    return shownUrl
  }
  let status: number | undefined
  const fail = (code: HttpErrorCode, problem: string, attempts: number, cause?: unknown) =>
    redactedError(redactor, problem, {
      code,
      method: request.method,
      url: request.url,
      page,
      status,
      attempts,
      cause,
    })
  /** Tells `onRetry` about the retry after `attempt` and waits out its delay. */
  const wait = (
    attempt: number,
    reason: HttpRetryInfo['reason'],
    problem: string,
    retryAfter: number | undefined,
  ) => {
    const delay = retryDelay(attempt - 1, retryAfter, retry)
    context.onRetry({
      method: request.method,
      url: url(),
      page,
      attempt,
      attempts: retry.attempts,
      reason,
      status: reason === 'status' ? status : undefined,
      error: problem,
      delay,
      retryAfter,
    })
    return sleep(delay, signal)
  }
  for (let attempt = 1; ; attempt++) {
    await context.limiter?.wait(signal)
    let response: RawResponse
    try {
      response = await sendRequest(request, {
        dispatcher: context.dispatcher,
        timeout: context.timeout,
        signal,
        maxRedirections: context.maxRedirections,
        maxBodyBytes: context.maxBodyBytes,
        policy: context.policy,
      })
    } catch (error) {
      if (signal.aborted) throw signal.reason
      if (error instanceof HttpProblem) {
        status = error.status ?? status
        throw fail(error.code, error.text, attempt)
      }
      if (!(error instanceof AttemptFailure)) {
        throw fail('HTTP_NETWORK', `request failed: ${String(error)}`, attempt, error)
      }
      const code = error.kind === 'timeout' ? 'HTTP_TIMEOUT' : 'HTTP_NETWORK'
      const problem = redactor.text(
        error.kind === 'timeout'
          ? `no complete response within ${context.timeout} ms`
          : error.message,
      )
      if (attempt >= retry.attempts)
        throw fail(code, `gave up: ${problem}`, attempt, error.original)
      await wait(attempt, error.kind, problem, undefined)
      continue
    }
    status = response.status
    if (status >= 200 && status < 300) return parse(request, page, response, context, attempt, fail)
    const problem = redactor.text(`HTTP ${status}: ${snippet(response.text)}`)
    if (!isRetryableStatus(status, retry)) throw fail('HTTP_STATUS', problem, attempt)
    const retryAfter = parseRetryAfter(response.headers['retry-after'])
    if (retryAfter !== undefined && retryAfter > retry.maxRetryAfter) {
      throw fail(
        'HTTP_RETRY_AFTER_TOO_LONG',
        `the server asked to retry after ${retryAfter} ms, more than retry.maxRetryAfter (${retry.maxRetryAfter} ms)`,
        attempt,
      )
    }
    if (attempt >= retry.attempts) throw fail('HTTP_STATUS', `gave up: ${problem}`, attempt)
    await wait(attempt, 'status', problem, retryAfter)
  }
}

function parse<Item>(
  request: HttpRequest,
  page: number,
  response: RawResponse,
  context: FetchPageContext<Item>,
  attempts: number,
  fail: (code: HttpErrorCode, problem: string, attempts: number, cause?: unknown) => HttpError,
): FetchedPage<Item> {
  let body: unknown
  try {
    body = JSON.parse(response.text)
  } catch (error) {
    const type = response.headers['content-type'] ?? 'no content-type'
    throw fail(
      'HTTP_BAD_JSON',
      `the body is not JSON (${String(type)}): ${snippet(response.text)}`,
      attempts,
      error,
    )
  }
  const info: HttpResponseInfo = {
    request,
    status: response.status,
    headers: response.headers,
    body,
    page,
  }
  let records: Item[]
  try {
    records = extractRecords(context.records, info)
  } catch (error) {
    throw fail('HTTP_BAD_SHAPE', (error as Error).message, attempts, error)
  }
  return { page: { ...info, records }, text: response.text, attempts }
}
