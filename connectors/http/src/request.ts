import type { IncomingHttpHeaders } from 'node:http'
import { messageOf } from '@graphflow/core'
import { type Dispatcher, request as undiciRequest } from 'undici'
import { linkedController } from './abort.js'
import { HttpProblem } from './http-error.js'
import type { OriginPolicy } from './origin-policy.js'

/** A query parameter value; `undefined` and `null` leave the parameter out. */
export type HttpQueryValue = string | number | boolean | null | undefined

/** Query parameters; an array value repeats the parameter (`?tag=a&tag=b`). */
export type HttpQuery = Record<string, HttpQueryValue | readonly (string | number | boolean)[]>

/** The HTTP methods a source uses. */
export type HttpMethod = 'GET' | 'POST'

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
  const message = messageOf(error)
  return code && !message.includes(code) ? `${message} (${code})` : message
}

/** Options of {@link sendRequest}. */
export interface SendOptions {
  dispatcher: Dispatcher
  /** Milliseconds for the whole attempt: connection, redirects, headers and body. */
  timeout: number
  /** Aborts the attempt; the promise then rejects with the signal's reason. */
  signal: AbortSignal
  /** Redirects followed; `0` returns the 3xx response itself. */
  maxRedirections: number
  /** The largest body read, in bytes. */
  maxBodyBytes: number
  /** What a redirect to another origin keeps. */
  policy: OriginPolicy
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/** The next request of a redirect, or an {@link HttpProblem} saying why it is refused. */
function redirectTarget(
  current: HttpRequest,
  status: number,
  location: string,
  chain: readonly string[],
  options: SendOptions,
): HttpRequest {
  let target: URL
  try {
    target = new URL(location, current.url)
  } catch {
    throw new HttpProblem(`HTTP ${status} to an invalid Location ${location}`, {
      code: 'HTTP_REDIRECT',
      status,
    })
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new HttpProblem(`HTTP ${status} to ${target.href}, not an http(s) URL`, {
      code: 'HTTP_REDIRECT',
      status,
    })
  }
  if (current.method !== 'GET' && status !== 307 && status !== 308) {
    throw new HttpProblem(
      `the ${current.method} was redirected by HTTP ${status} to ${target.href}, which would turn it into a GET without its body: refused (only 307 and 308 keep the method and body)`,
      { code: 'HTTP_REDIRECT', status },
    )
  }
  target.hash = ''
  if (chain.includes(target.href)) {
    throw new HttpProblem(`redirect loop: ${[...chain, target.href].join(' -> ')}`, {
      code: 'HTTP_REDIRECT_LOOP',
      status,
    })
  }
  if (chain.length > options.maxRedirections) {
    throw new HttpProblem(
      `more than maxRedirections (${options.maxRedirections}) redirects: ${[...chain, target.href].join(' -> ')}`,
      { code: 'HTTP_REDIRECT', status },
    )
  }
  try {
    const headers = options.policy.move(current.url, target, current.headers, 'the redirect to')
    return { ...current, url: target, headers }
  } catch (error) {
    if (error instanceof HttpProblem)
      throw new HttpProblem(error.text, { code: error.code, status })
    throw error
  }
}

/** Reads a body as text, refusing one larger than `maxBodyBytes`. */
async function readBody(response: Dispatcher.ResponseData, maxBodyBytes: number): Promise<string> {
  const tooLarge = (size: string) => {
    // Destroying an unfinished body makes undici emit an abort error: nobody needs it.
    response.body.on('error', () => {})
    response.body.destroy()
    return new HttpProblem(
      `the body is larger than maxBodyBytes (${maxBodyBytes} bytes): ${size}`,
      { code: 'HTTP_BODY_TOO_LARGE', status: response.statusCode },
    )
  }
  const declared = Number(response.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBodyBytes) {
    throw tooLarge(`content-length ${declared}`)
  }
  try {
    // A declared length within the limit is enforced by the HTTP framing: read it at once.
    if (Number.isFinite(declared)) return await response.body.text()
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length
      if (size > maxBodyBytes) throw tooLarge(`more than ${maxBodyBytes} bytes received`)
      chunks.push(chunk as Buffer)
    }
    return Buffer.concat(chunks).toString('utf8')
  } catch (error) {
    // The longest string V8 can make is about 512 MiB.
    if ((error as { code?: unknown } | null)?.code === 'ERR_STRING_TOO_LONG') {
      throw tooLarge('more than the longest string JavaScript can hold')
    }
    throw error
  }
}

/**
 * Sends one request, following redirects (see {@link OriginPolicy} for what a redirect to another
 * origin keeps), and reads its whole body as text, whatever the status. Rejects with an
 * {@link AttemptFailure} on a network error or when `timeout` elapses (headers or body), with an
 * {@link HttpProblem} for a refused redirect or a body over `maxBodyBytes`, with `signal.reason`
 * when `signal` aborts, and with the original error when it is a programming error (an invalid
 * argument) that no retry can fix.
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
  const undiciTimeout = Number.isFinite(options.timeout) ? options.timeout : 0
  let current = request
  const chain = [request.url.href]
  try {
    for (;;) {
      const defaults: Record<string, string> = { accept: 'application/json' }
      let body: string | undefined
      if (current.body !== undefined) {
        defaults['content-type'] = 'application/json'
        body = JSON.stringify(current.body)
      }
      const response = await undiciRequest(current.url, {
        method: current.method,
        headers: mergeHeaders(defaults, current.headers),
        body,
        dispatcher: options.dispatcher,
        signal: controller.signal,
        headersTimeout: undiciTimeout,
        bodyTimeout: undiciTimeout,
      })
      const location = response.headers.location
      if (
        REDIRECTS.has(response.statusCode) &&
        options.maxRedirections > 0 &&
        typeof location === 'string'
      ) {
        await response.body.dump()
        current = redirectTarget(current, response.statusCode, location, chain, options)
        chain.push(current.url.href)
        continue
      }
      const text = await readBody(response, options.maxBodyBytes)
      return { status: response.statusCode, headers: response.headers, text }
    }
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason
    if (controller.signal.reason === timedOut) throw new AttemptFailure('timeout', error)
    if (error instanceof HttpProblem) throw error
    const code = errorCode(error)
    if (code && TIMEOUT_CODES.has(code)) throw new AttemptFailure('timeout', error)
    if (code === undefined || NOT_RETRYABLE_CODES.has(code)) throw error
    throw new AttemptFailure('network', error)
  } finally {
    clearTimeout(timer)
    dispose()
  }
}
