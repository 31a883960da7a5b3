import type { IncomingHttpHeaders } from 'node:http'
import { type Dispatcher, request as undiciRequest } from 'undici'
import { linkedController } from './abort.js'

/** A query parameter value; `undefined` and `null` leave the parameter out. */
export type HttpQueryValue = string | number | boolean | null | undefined

/** Query parameters; an array value repeats the parameter (`?tag=a&tag=b`). */
export type HttpQuery = Record<string, HttpQueryValue | readonly (string | number | boolean)[]>

/** The HTTP methods a source uses. */
export type HttpMethod = 'GET' | 'POST'

/** One request as the source sends it. */
/** Merges header sets left to right by case-insensitive name; names come out lower-cased. */
export function mergeHeaders(
  ...sets: (Readonly<Record<string, string>> | undefined)[]
): Record<string, string> {
  const merged: Record<string, string> = {}
  for (const set of sets) {
    for (const [name, value] of Object.entries(set ?? {})) merged[name.toLowerCase()] = value
  }
  return merged
}

/** One request the source sends: method, full URL, headers and an optional JSON body. */
export interface HttpRequest {
  /** `GET` or `POST`. */
  readonly method: HttpMethod
  /** The full URL, query included. */
  readonly url: URL
  /** Request headers (lower or mixed case, as given). */
  readonly headers: Readonly<Record<string, string>>
  /** The JSON body of a `POST`, `undefined` for none. */
  readonly body: unknown
}

/** What one attempt got back. */
export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  text: string
}

/** Why one attempt failed without a response: a network error or a timeout. */
export class AttemptFailure extends Error {
  constructor(
    readonly kind: 'network' | 'timeout',
    readonly original: unknown,
  ) {
    super(kind === 'timeout' ? 'timed out' : describeNetworkError(original))
  }
}

/** Returns a copy of `url` with `query` set on it (replacing parameters of the same name). */
export function withQuery(url: URL, query: HttpQuery | undefined): URL {
  const copy = new URL(url)
  if (!query) return copy
  for (const [key, value] of Object.entries(query)) {
    copy.searchParams.delete(key)
    if (value === undefined || value === null) continue
    if (Array.isArray(value)) for (const each of value) copy.searchParams.append(key, String(each))
    else copy.searchParams.set(key, String(value))
  }
  return copy
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
])
const NOT_RETRYABLE_CODES = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_INVALID_RETURN_VALUE',
  'ERR_INVALID_URL',
  'ERR_INVALID_ARG_TYPE',
])

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

function describeNetworkError(error: unknown): string {
  const code = errorCode(error)
  const message = error instanceof Error ? error.message : String(error)
  return code && !message.includes(code) ? `${message} (${code})` : message
}

/** Options of {@link sendRequest}. */
export interface SendOptions {
  dispatcher: Dispatcher
  /** Milliseconds for the whole attempt: connection, headers and body. */
  timeout: number
  /** Aborts the attempt; the promise then rejects with the signal's reason. */
  signal: AbortSignal
}

/**
 * Sends one request and reads its whole body as text, whatever the status. Rejects with an
 * {@link AttemptFailure} on a network error or when `timeout` elapses (headers or body), with
 * `signal.reason` when `signal` aborts, and with the original error when it is a programming
 * error (an invalid argument) that no retry can fix.
 */
export async function sendRequest(
  request: HttpRequest,
  options: SendOptions,
): Promise<RawResponse> {
  const { controller, dispose } = linkedController([options.signal])
  const timedOut = new Error('request timed out')
  const timer = Number.isFinite(options.timeout)
    ? setTimeout(() => controller.abort(timedOut), options.timeout)
    : undefined
  const defaults: Record<string, string> = { accept: 'application/json' }
  let body: string | undefined
  if (request.body !== undefined) {
    defaults['content-type'] = 'application/json'
    body = JSON.stringify(request.body)
  }
  const headers = mergeHeaders(defaults, request.headers)
  const undiciTimeout = Number.isFinite(options.timeout) ? options.timeout : 0
  try {
    const response = await undiciRequest(request.url, {
      method: request.method,
      headers,
      body,
      dispatcher: options.dispatcher,
      signal: controller.signal,
      headersTimeout: undiciTimeout,
      bodyTimeout: undiciTimeout,
    })
    const text = await response.body.text()
    return { status: response.statusCode, headers: response.headers, text }
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason
    if (controller.signal.reason === timedOut) throw new AttemptFailure('timeout', error)
    const code = errorCode(error)
    if (code && TIMEOUT_CODES.has(code)) throw new AttemptFailure('timeout', error)
    if (code === undefined || NOT_RETRYABLE_CODES.has(code)) throw error
    throw new AttemptFailure('network', error)
  } finally {
    clearTimeout(timer)
    dispose()
  }
}
