import { type OptionChecks, optionChecks } from '@graphflow/core'
import { checkHeaders, headerProblem } from './header-check.js'
import type { HttpSourceOptions } from './http-source-options.js'
import { trustedOriginSet } from './origin-policy.js'
import { Redactor } from './redact.js'
import type { HttpRetryOptions, ResolvedRetry } from './retry.js'
import { parseUrl } from './start-request.js'

/** `httpSource`'s options, checked, with every default applied once. */
export interface HttpSourceSettings {
  name: string
  timeout: number
  concurrency: number
  yieldRecords: boolean
  retry: ResolvedRetry
  maxRedirections: number
  maxBodyBytes: number
  maxPages: number
  trusted: ReadonlySet<string>
  stopOnEmptyPage: boolean
  stopOnShortPage: boolean
  detectLoops: boolean
  /** The `auth` credentials, learned as secrets by every call's redactor. */
  authSecrets: (string | undefined)[]
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024

function checkAuth(check: OptionChecks, options: HttpSourceOptions<unknown>): void {
  const auth = options.auth
  if (auth === undefined) return
  const valid =
    typeof auth === 'object' &&
    auth !== null &&
    (typeof (auth as { bearer?: unknown }).bearer === 'string' ||
      (typeof (auth as { username?: unknown }).username === 'string' &&
        typeof (auth as { password?: unknown }).password === 'string'))
  // The credentials are never shown: only what kind of value was given.
  if (!valid) {
    check.fail(
      'auth',
      '{ bearer } or { username, password } strings',
      auth,
      typeof auth === 'object' ? 'an object of another shape' : typeof auth,
    )
  }
  if ('bearer' in auth && headerProblem('authorization', auth.bearer)) {
    check.fail(
      'auth',
      'a bearer token without control characters (CR, LF)',
      auth.bearer,
      'such a token',
    )
  }
  if ('username' in auth && auth.username.includes(':')) {
    check.fail(
      'auth',
      'a username without ":" (Basic auth cannot carry it)',
      auth.username,
      'such a username',
    )
  }
}

/** Throws a `TypeError` naming the option when `pagination` is malformed. */
function checkPagination(check: OptionChecks, pagination: unknown): void {
  if (pagination === undefined) return
  if (typeof pagination !== 'object' || pagination === null) {
    check.fail('pagination', 'an object', pagination)
  }
  const given = pagination as Record<string, unknown>
  const type = check.oneOf(
    'pagination.type',
    given.type,
    ['page', 'offset', 'cursor', 'link', 'custom'],
    undefined,
  )
  switch (type) {
    case 'page':
      check.string('pagination.param', given.param, undefined)
      check.string('pagination.sizeParam', given.sizeParam, undefined)
      check.integer('pagination.start', given.start, undefined, { min: 0 })
      check.integer('pagination.size', given.size, undefined, { min: 1 })
      return
    case 'offset':
      check.string('pagination.offsetParam', given.offsetParam, undefined)
      check.string('pagination.limitParam', given.limitParam, undefined)
      if (given.limit === undefined) check.fail('pagination.limit', 'an integer >= 1', undefined)
      check.integer('pagination.limit', given.limit, undefined, { min: 1 })
      check.integer('pagination.start', given.start, undefined, { min: 0 })
      return
    case 'cursor':
      if (typeof given.cursor !== 'string' && typeof given.cursor !== 'function') {
        check.fail('pagination.cursor', 'a path string or a function', given.cursor)
      }
      check.string('pagination.param', given.param, undefined)
      check.oneOf('pagination.in', given.in, ['query', 'body'], undefined)
      return
    case 'custom': {
      check.requiredFunction('pagination.next', given.next as () => unknown)
      const position = check.function(
        'pagination.position',
        given.position as (() => unknown) | undefined,
        undefined,
      )
      const resume = check.function(
        'pagination.resume',
        given.resume as (() => unknown) | undefined,
        undefined,
      )
      if ((position === undefined) !== (resume === undefined)) {
        check.fail(
          position === undefined ? 'pagination.position' : 'pagination.resume',
          `a function, given with pagination.${position === undefined ? 'resume' : 'position'}`,
          undefined,
        )
      }
      return
    }
    case 'link':
      return
    default:
      check.fail('pagination.type', 'one of "page", "offset", "cursor", "link", "custom"', type)
  }
}

/** The query parameters the pagination sets (the incremental parameter must be another one). */
function paginationParams(pagination: HttpSourceOptions<unknown>['pagination']): string[] {
  switch (pagination?.type) {
    case 'page':
      return [pagination.param ?? 'page', pagination.sizeParam ?? 'per_page']
    case 'offset':
      return [pagination.offsetParam ?? 'offset', pagination.limitParam ?? 'limit']
    case 'cursor':
      return pagination.in === 'body' ? [] : [pagination.param ?? 'cursor']
    default:
      return []
  }
}

/** Throws a `TypeError` naming the option when `incremental` is malformed. */
function checkIncremental(check: OptionChecks, options: HttpSourceOptions<unknown>): void {
  const incremental = options.incremental
  if (incremental === undefined) return
  if (typeof incremental !== 'object' || incremental === null) {
    check.fail('incremental', 'an object { cursorField, param, initial? }', incremental)
  }
  check.requiredString('incremental.cursorField', incremental.cursorField)
  check.requiredString('incremental.param', incremental.param)
  const initial = incremental.initial
  if (
    initial !== undefined &&
    typeof initial !== 'string' &&
    !(typeof initial === 'number' && Number.isFinite(initial))
  ) {
    check.fail('incremental.initial', 'a string or a finite number', initial)
  }
  if (paginationParams(options.pagination).includes(incremental.param)) {
    check.fail(
      'incremental.param',
      'a query parameter the pagination does not set',
      incremental.param,
    )
  }
}

function milliseconds(check: OptionChecks, option: string, value: unknown, fallback: number) {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0)) check.fail(option, 'milliseconds >= 0', value)
  return value as number
}

/** Checks `retry` and applies the defaults of {@link HttpRetryOptions}; `false` means a single attempt. */
export function resolveRetry(
  options: HttpRetryOptions | false | undefined,
  check: OptionChecks = optionChecks('httpSource'),
): ResolvedRetry {
  const given = options === false ? { attempts: 1 } : (options ?? {})
  if (typeof given !== 'object' || given === null) check.fail('retry', 'an object or false', given)
  const statuses = given.statuses
  if (statuses !== undefined && !Array.isArray(statuses)) {
    check.fail('retry.statuses', 'an array of numbers', statuses)
  }
  const retry: ResolvedRetry = {
    attempts: check.integer('retry.attempts', given.attempts, 5, { min: 1 }),
    baseDelay: milliseconds(check, 'retry.baseDelay', given.baseDelay, 250),
    maxDelay: milliseconds(check, 'retry.maxDelay', given.maxDelay, 30_000),
    maxRetryAfter: milliseconds(check, 'retry.maxRetryAfter', given.maxRetryAfter, 60_000),
    statuses: statuses ? new Set(statuses) : undefined,
    random: check.function('retry.random', given.random, Math.random),
  }
  return retry
}

function pathOrFunction(check: OptionChecks, option: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'string' && typeof value !== 'function') {
    check.fail(option, 'a path string or a function', value)
  }
}

/**
 * Checks `httpSource`'s options (a `TypeError` naming the option, with URLs and credentials
 * redacted) and resolves every default once.
 */
export function resolveSourceOptions<Item>(options: HttpSourceOptions<Item>): HttpSourceSettings {
  const check = optionChecks('httpSource')
  check.object(options)
  const redact = options.redact
  if (
    redact !== undefined &&
    !(Array.isArray(redact) && redact.every((each) => typeof each === 'string' && each !== ''))
  ) {
    check.fail('redact', 'an array of parameter and header names', redact)
  }
  const redactor = new Redactor(redact)
  const url = options.url
  if (typeof url !== 'string' && !(url instanceof URL)) {
    check.fail('url', 'a URL string or URL', url)
  }
  const parsed = parseUrl(url, undefined, 'option "url"', redactor)
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    check.fail('url', 'an http(s) URL', parsed, redactor.url(parsed))
  }
  if (options.auth !== undefined && (parsed.username !== '' || parsed.password !== '')) {
    check.fail(
      'url',
      'no userinfo ("user:password@") when "auth" is set: give the credentials once',
      parsed,
      redactor.url(parsed),
    )
  }
  const name = check.string('name', options.name, 'httpSource')
  check.oneOf('method', options.method, ['GET', 'POST'], 'GET')
  if (options.query !== undefined && (typeof options.query !== 'object' || options.query === null))
    check.fail('query', 'an object', options.query)
  checkHeaders(options.headers, (expected, value, described) =>
    check.fail('headers', expected, value, described),
  )
  checkAuth(check, options as HttpSourceOptions<unknown>)
  checkPagination(check, options.pagination)
  checkIncremental(check, options as HttpSourceOptions<unknown>)
  pathOrFunction(check, 'records', options.records)
  pathOrFunction(check, 'total', options.total)
  const yieldRecords =
    check.oneOf('yield', options.yield, ['pages', 'records'], 'pages') === 'records'
  const type = options.pagination?.type
  const stopOnEmptyPage = check.boolean(
    'stopOnEmptyPage',
    options.stopOnEmptyPage,
    type !== 'cursor' && type !== 'link',
  )
  const stopOnShortPage = check.boolean('stopOnShortPage', options.stopOnShortPage, false)
  const detectLoops = check.boolean('detectLoops', options.detectLoops, true)
  check.function('stopWhen', options.stopWhen, undefined)
  check.function('onPage', options.onPage, undefined)
  check.function('onRetry', options.onRetry, undefined)
  const maxPages = check.integer('maxPages', options.maxPages, Number.POSITIVE_INFINITY, {
    min: 1,
    allowInfinity: true,
  })
  const concurrency = check.integer('concurrency', options.concurrency, 1, { min: 1 })
  if (concurrency > 1 && type !== 'page' && type !== 'offset') {
    check.fail(
      'concurrency',
      "1 unless pagination.type is 'page' or 'offset' (the only sequences known in advance)",
      concurrency,
    )
  }
  const pageSize =
    type === 'offset' ||
    (type === 'page' &&
      options.pagination &&
      'size' in options.pagination &&
      options.pagination.size)
  if (stopOnShortPage && !pageSize) {
    check.fail(
      'stopOnShortPage',
      "a known page size: 'offset' pagination, or 'page' pagination with a size",
      stopOnShortPage,
    )
  }
  const timeout = options.timeout ?? 30_000
  if (typeof timeout !== 'number' || !(timeout > 0))
    check.fail('timeout', 'milliseconds > 0', timeout)
  const rate = options.requestsPerSecond
  if (rate !== undefined && (typeof rate !== 'number' || !(rate > 0)))
    check.fail('requestsPerSecond', 'a number > 0', rate)
  const maxRedirections = check.integer('maxRedirections', options.maxRedirections, 5, { min: 0 })
  const maxBodyBytes = check.integer('maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, {
    min: 1,
    allowInfinity: true,
  })
  const trusted = trustedOriginSet(check, options.trustedOrigins)
  const signal = options.signal
  if (signal !== undefined && !(signal instanceof AbortSignal))
    check.fail('signal', 'an AbortSignal', signal)
  const dispatcher = options.dispatcher
  if (
    dispatcher !== undefined &&
    typeof (dispatcher as { dispatch?: unknown })?.dispatch !== 'function'
  ) {
    check.fail('dispatcher', 'an undici Dispatcher', dispatcher, 'something without dispatch()')
  }
  const auth = options.auth
  return {
    name,
    timeout,
    concurrency,
    yieldRecords,
    retry: resolveRetry(options.retry, check),
    maxRedirections,
    maxBodyBytes,
    maxPages,
    trusted,
    stopOnEmptyPage,
    stopOnShortPage,
    detectLoops,
    authSecrets: auth && 'bearer' in auth ? [auth.bearer] : [auth?.password],
  }
}
