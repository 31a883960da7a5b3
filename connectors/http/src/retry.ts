/** How `httpSource` retries 429s, 5xx statuses, network errors and timeouts. */
export interface HttpRetryOptions {
  /** Attempts per page, the first included: `1` means no retry. @default 5 */
  attempts?: number
  /** Milliseconds of the first backoff ceiling; it doubles with each retry. @default 250 */
  baseDelay?: number
  /** Milliseconds the backoff ceiling never exceeds. @default 30_000 */
  maxDelay?: number
  /**
   * The longest `Retry-After` (in milliseconds) that is honoured. A server asking to wait
   * longer fails the source with `HTTP_RETRY_AFTER_TOO_LONG` instead of being silently cut short.
   * @default 60_000
   */
  maxRetryAfter?: number
  /**
   * The statuses that are retried.
   * @default 429 and every 5xx status
   */
  statuses?: readonly number[]
  /**
   * The random source of the jitter, a function returning a number in `[0, 1)`. Inject a fixed
   * one in tests.
   * @default Math.random
   */
  random?: () => number
}

/** {@link HttpRetryOptions} with every default applied. */
export interface ResolvedRetry {
  attempts: number
  baseDelay: number
  maxDelay: number
  maxRetryAfter: number
  statuses: ReadonlySet<number> | undefined
  random: () => number
}

/** True when a response with this status is retried. */
export function isRetryableStatus(status: number, retry: ResolvedRetry): boolean {
  if (retry.statuses) return retry.statuses.has(status)
  return status === 429 || (status >= 500 && status <= 599)
}

/**
 * Exponential backoff with full jitter: a random delay in `[0, min(maxDelay, baseDelay * 2^n))`
 * where `n` is the number of retries made so far, so parallel clients do not retry in lockstep.
 */
export function backoffDelay(retriesSoFar: number, retry: ResolvedRetry): number {
  const ceiling = Math.min(retry.maxDelay, retry.baseDelay * 2 ** retriesSoFar)
  return Math.floor(retry.random() * ceiling)
}

/** The three HTTP-date forms of RFC 9110 section 5.6.7 (IMF-fixdate, RFC 850, asctime). */
const HTTP_DATE = [
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/,
  /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT$/,
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/,
]

/**
 * Parses a `Retry-After` header, delta-seconds (`"120"`) or an HTTP date
 * (`"Wed, 21 Oct 2015 07:28:00 GMT"`), into milliseconds from `now`. A date in the past is `0`;
 * a missing header, or one that is neither an integer nor an RFC 9110 HTTP date (`"2, 3"`,
 * `"soon 5"`, `"1.5"`), is `undefined`: the source then falls back to its backoff.
 */
export function parseRetryAfter(
  header: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim()
  if (!value) return undefined
  if (/^\d+$/.test(value)) return Number(value) * 1000
  if (!HTTP_DATE.some((form) => form.test(value))) return undefined
  // asctime has no zone: it is GMT.
  const date = Date.parse(/GMT$/.test(value) ? value : `${value} GMT`)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/**
 * The wait before retrying: the server's `Retry-After` when it sent one (plus a jitter of up
 * to `baseDelay`, so that clients told the same time do not all come back at once), the
 * jittered backoff otherwise.
 */
export function retryDelay(
  retriesSoFar: number,
  retryAfter: number | undefined,
  retry: ResolvedRetry,
): number {
  if (retryAfter === undefined) return backoffDelay(retriesSoFar, retry)
  return retryAfter + Math.floor(retry.random() * retry.baseDelay)
}
