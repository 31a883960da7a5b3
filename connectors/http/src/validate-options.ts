import { checkHeaders, headerProblem } from './header-check.js'
import type { HttpAuth, HttpSourceOptions } from './http-source.js'
import { trustedOriginSet } from './origin-policy.js'
import { checkPagination } from './pagination.js'
import { basicToken, Redactor } from './redact.js'
import { type HttpQuery, type HttpRequest, mergeHeaders, withQuery } from './request.js'

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

function authorization(auth: HttpAuth | undefined): Record<string, string> {
  if (auth === undefined) return {}
  if ('bearer' in auth) return { authorization: `Bearer ${auth.bearer}` }
  return { authorization: `Basic ${basicToken(auth.username, auth.password)}` }
}

/** Userinfo in a URL (`https://user:pass@host/`) as `auth`: undici would not send it. */
function userinfoAuth(url: URL): HttpAuth | undefined {
  if (url.username === '' && url.password === '') return undefined
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text)
    } catch {
      return text
    }
  }
  return { username: decode(url.username), password: decode(url.password) }
}

/** A copy of `url` without its userinfo. */
function withoutUserinfo(url: URL): URL {
  const copy = new URL(url)
  copy.username = ''
  copy.password = ''
  return copy
}

function parseUrl(
  value: string | URL,
  base: string | URL | undefined,
  what: string,
  redactor: Redactor,
): URL {
  try {
    return new URL(value, base)
  } catch {
    throw new TypeError(
      `httpSource ${what}: expected an absolute http(s) URL, got ${redactor.text(String(value))}`,
    )
  }
}

/** The first request of a call: the options, with the start override applied. */
export function baseRequest<Item>(
  options: HttpSourceOptions<Item>,
  start: HttpStart | undefined,
  redactor: Redactor,
): HttpRequest {
  const override =
    typeof start === 'string' || start instanceof URL ? { url: start } : (start ?? {})
  if (typeof override !== 'object' || override === null) {
    throw new TypeError(
      `httpSource start argument: expected a URL or an object, got ${redactor.text(String(start))}`,
    )
  }
  const url =
    override.url === undefined
      ? new URL(options.url)
      : parseUrl(override.url, options.url, 'start URL', redactor)
  redactor.learn({ urls: [url] })
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`httpSource start URL: expected an http(s) URL, got ${redactor.url(url)}`)
  }
  const fromUserinfo = userinfoAuth(url)
  if (fromUserinfo && options.auth) {
    throw new TypeError(
      `httpSource start URL: expected no userinfo when the "auth" option is set, got ${redactor.url(url)}`,
    )
  }
  checkHeaders(override.headers, 'start argument "headers"')
  const headers = mergeHeaders(
    authorization(options.auth ?? fromUserinfo),
    options.headers,
    override.headers,
  )
  const full = withQuery(withQuery(withoutUserinfo(url), options.query), override.query)
  redactor.learn({ headers, urls: [full] })
  return {
    method: options.method ?? 'GET',
    url: full,
    headers,
    body: 'body' in override ? override.body : options.body,
  }
}

function fail(option: string, expected: string, value: unknown): never {
  const got =
    typeof value === 'function'
      ? 'a function'
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value)
  throw new TypeError(`httpSource option "${option}": expected ${expected}, got ${got}`)
}

const isFunction = (value: unknown) => typeof value === 'function'
const isBoolean = (value: unknown) => typeof value === 'boolean'

/** Throws a `TypeError` naming the option when `options` is malformed. */
export function checkOptions<Item>(options: HttpSourceOptions<Item>): void {
  if (typeof options !== 'object' || options === null) fail('options', 'an object', options)
  const redact = options.redact
  if (
    redact !== undefined &&
    !(Array.isArray(redact) && redact.every((each) => typeof each === 'string' && each !== ''))
  ) {
    fail('redact', 'an array of parameter and header names', redact)
  }
  const redactor = new Redactor(redact)
  const url = options.url
  if (typeof url !== 'string' && !(url instanceof URL)) fail('url', 'a URL string or URL', url)
  const parsed = parseUrl(url, undefined, 'option "url"', redactor)
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    fail('url', 'an http(s) URL', redactor.url(parsed))
  const { method, name, auth, query, headers } = options
  if (auth !== undefined && (parsed.username !== '' || parsed.password !== '')) {
    fail(
      'url',
      'no userinfo ("user:password@") when "auth" is set: give the credentials once',
      redactor.url(parsed),
    )
  }
  if (name !== undefined && (typeof name !== 'string' || name === ''))
    fail('name', 'a non-empty string', name)
  if (method !== undefined && method !== 'GET' && method !== 'POST')
    fail('method', "'GET' or 'POST'", method)
  if (query !== undefined && (typeof query !== 'object' || query === null))
    fail('query', 'an object', query)
  checkHeaders(headers, 'option "headers"')
  if (auth !== undefined) {
    const valid =
      typeof auth === 'object' &&
      auth !== null &&
      (typeof (auth as { bearer?: unknown }).bearer === 'string' ||
        (typeof (auth as { username?: unknown }).username === 'string' &&
          typeof (auth as { password?: unknown }).password === 'string'))
    if (!valid)
      fail(
        'auth',
        '{ bearer } or { username, password } strings',
        typeof auth === 'object' ? '(an object of another shape)' : auth,
      )
    if ('bearer' in auth && headerProblem('authorization', auth.bearer)) {
      fail('auth', 'a bearer token without control characters (CR, LF)', '(such a token)')
    }
    if ('username' in auth && auth.username.includes(':')) {
      fail('auth', 'a username without ":" (Basic auth cannot carry it)', '(such a username)')
    }
  }
  checkPagination(options.pagination)
  const records = options.records
  if (records !== undefined && typeof records !== 'string' && !isFunction(records)) {
    fail('records', 'a path string or a function', records)
  }
  const total = options.total
  if (total !== undefined && typeof total !== 'string' && !isFunction(total))
    fail('total', 'a path string or a function', total)
  if (options.yield !== undefined && options.yield !== 'pages' && options.yield !== 'records') {
    fail('yield', "'pages' or 'records'", options.yield)
  }
  for (const key of ['stopOnEmptyPage', 'stopOnShortPage', 'detectLoops'] as const) {
    if (options[key] !== undefined && !isBoolean(options[key])) fail(key, 'a boolean', options[key])
  }
  for (const key of ['stopWhen', 'onPage', 'onRetry'] as const) {
    if (options[key] !== undefined && !isFunction(options[key]))
      fail(key, 'a function', options[key])
  }
  const maxPages = options.maxPages
  if (
    maxPages !== undefined &&
    !(maxPages === Number.POSITIVE_INFINITY || (Number.isInteger(maxPages) && maxPages >= 1))
  ) {
    fail('maxPages', 'an integer >= 1 or Infinity', maxPages)
  }
  const concurrency = options.concurrency
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    fail('concurrency', 'an integer >= 1', concurrency)
  }
  const type = options.pagination?.type
  if (concurrency !== undefined && concurrency > 1 && type !== 'page' && type !== 'offset') {
    fail(
      'concurrency',
      "1 unless pagination.type is 'page' or 'offset' (the only sequences known in advance)",
      concurrency,
    )
  }
  if (
    options.stopOnShortPage &&
    !(
      type === 'offset' ||
      (type === 'page' &&
        options.pagination &&
        'size' in options.pagination &&
        options.pagination.size)
    )
  ) {
    fail(
      'stopOnShortPage',
      "a known page size: 'offset' pagination, or 'page' pagination with a size",
      options.stopOnShortPage,
    )
  }
  const timeout = options.timeout
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0)))
    fail('timeout', 'milliseconds > 0', timeout)
  const rate = options.requestsPerSecond
  if (rate !== undefined && (typeof rate !== 'number' || !(rate > 0)))
    fail('requestsPerSecond', 'a number > 0', rate)
  const redirections = options.maxRedirections
  if (redirections !== undefined && (!Number.isInteger(redirections) || redirections < 0)) {
    fail('maxRedirections', 'an integer >= 0', redirections)
  }
  const maxBodyBytes = options.maxBodyBytes
  if (
    maxBodyBytes !== undefined &&
    !(
      maxBodyBytes === Number.POSITIVE_INFINITY ||
      (Number.isInteger(maxBodyBytes) && maxBodyBytes >= 1)
    )
  ) {
    fail('maxBodyBytes', 'an integer >= 1 or Infinity', maxBodyBytes)
  }
  trustedOriginSet(options.trustedOrigins)
  const signal = options.signal
  if (signal !== undefined && !(signal instanceof AbortSignal))
    fail('signal', 'an AbortSignal', signal)
  const dispatcher = options.dispatcher
  if (
    dispatcher !== undefined &&
    typeof (dispatcher as { dispatch?: unknown })?.dispatch !== 'function'
  ) {
    fail('dispatcher', 'an undici Dispatcher', '(something without dispatch())')
  }
}
