/** What stands in for a secret in every URL, message and payload that leaves the source. */
export const REDACTED = '***'

/** Query parameters whose values are always redacted (compared in lower case). */
const SECRET_PARAMS = new Set(['api_key', 'apikey', 'api-key', 'key', 'sig', 'auth'])
/** A query parameter whose name contains one of these (any case) is redacted too. */
const SECRET_PARAM_PARTS = /token|secret|password|passwd|signature|credential/i
/** Headers whose values are secrets: the credential headers and any `*key*`, `*token*` ... */
const SECRET_HEADER =
  /^(authorization|proxy-authorization|cookie)$|key|token|secret|password|auth|signature|session|credential/i
/** The smallest secret value that is searched for in free text (shorter ones are too common). */
const MIN_SECRET_LENGTH = 4
/**
 * `Bearer x`, `Basic x`, `Token x` credentials quoted in a response body or an error: 8 or more
 * token characters with at least one digit or symbol, so that prose ("Basic authentication
 * required") is left alone.
 */
const SCHEME_CREDENTIAL =
  /\b(Bearer|Basic|Token)\s+(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}/gi
/** An http(s) URL inside free text. */
const URL_IN_TEXT = /https?:\/\/[^\s"'<>\\`]+/gi

/**
 * Replaces secrets with `***` wherever the source hands a URL or a text out (errors, log lines,
 * `onPage` / `onRetry`): URL userinfo, the values of secret-looking query parameters, and every
 * credential value the source was given (auth, credential headers, secret query values), also in
 * response-body snippets that echo them.
 */
export class Redactor {
  readonly #names: ReadonlySet<string>
  readonly #secrets: string[] = []
  /** Every form of every known secret (see {@link secretPattern}); undefined while none. */
  #pattern: RegExp | undefined

  /** `names`: more query parameter and header names (any case) whose values are secrets. */
  constructor(names: readonly string[] = []) {
    this.#names = new Set(names.map((name) => name.toLowerCase()))
  }

  /** True when the value of this query parameter is redacted. */
  isSecretParam(name: string): boolean {
    const lower = name.toLowerCase()
    return SECRET_PARAMS.has(lower) || SECRET_PARAM_PARTS.test(lower) || this.#names.has(lower)
  }

  /** True when the value of this header is redacted. */
  isSecretHeader(name: string): boolean {
    const lower = name.toLowerCase()
    return SECRET_HEADER.test(lower) || this.#names.has(lower)
  }

  /**
   * Remembers the secrets of a request's parts, to hide them from now on: the credential header
   * values, and the userinfo and secret query values of the URLs.
   */
  learn(parts: {
    urls?: readonly (URL | undefined)[]
    headers?: Readonly<Record<string, string>>
    secrets?: readonly (string | undefined)[]
  }): void {
    for (const secret of parts.secrets ?? []) if (secret) this.#addSecret(secret)
    for (const url of parts.urls ?? []) {
      if (!url) continue
      for (const secret of urlSecrets(url, (name) => this.isSecretParam(name))) {
        this.#addSecret(secret)
      }
    }
    for (const [name, value] of Object.entries(parts.headers ?? {})) {
      if (!this.isSecretHeader(name)) continue
      this.#addSecret(value)
      // `Bearer abc`: the credential alone may be echoed too.
      const credential = /^\S+\s+(\S+)$/.exec(value.trim())?.[1]
      if (credential) this.#addSecret(credential)
    }
  }

  /** The URL as it may be shown: userinfo and secret query values replaced by `***`. */
  url(url: URL | string): string {
    let parsed: URL
    try {
      parsed = typeof url === 'string' ? new URL(url) : url
    } catch {
      return this.#known(String(url))
    }
    const userinfo = parsed.username !== '' || parsed.password !== ''
    const origin = `${parsed.protocol}//${userinfo ? `${REDACTED}@` : ''}${parsed.host}`
    const search = this.#params(parsed.search.slice(1))
    // `#access_token=...` (OAuth implicit flow) and `#/route?key=...`: redacted like the query.
    const hash = this.#params(parsed.hash.slice(1))
    return this.#known(
      `${origin}${parsed.pathname}${search === '' ? '' : `?${search}`}${hash === '' ? '' : `#${hash}`}`,
    )
  }

  /**
   * Free text as it may be shown: every URL in it redacted like {@link Redactor.url}, every
   * known secret value and every `Bearer x` / `Basic x` credential replaced by `***`.
   */
  text(text: string): string {
    const urls = text.replace(URL_IN_TEXT, (match) => this.url(match))
    return this.#known(urls.replace(SCHEME_CREDENTIAL, `$1 ${REDACTED}`))
  }

  /** True when `text` holds a credential the source knows (in any of its encoded forms). */
  holdsSecret(text: string): boolean {
    return this.#pattern !== undefined && text.search(this.#pattern) !== -1
  }

  /**
   * Redacts the message and stack of `error` and of its `cause` chain in place: the errors
   * undici, JSON parsing or a user function gave the source, now only reported through it.
   */
  scrub(error: unknown, depth = 0): void {
    if (depth > 8 || !(error instanceof Error)) return
    for (const key of ['message', 'stack'] as const) {
      const value = error[key]
      if (typeof value !== 'string') continue
      const clean = this.text(value)
      if (clean !== value) {
        try {
          Object.defineProperty(error, key, { value: clean, writable: true, configurable: true })
        } catch {
          // A frozen error: nothing to do.
        }
      }
    }
    if (error instanceof AggregateError)
      for (const each of error.errors) this.scrub(each, depth + 1)
    this.scrub(error.cause, depth + 1)
  }

  /** `a=1&token=2` with the values of secret parameters replaced by `***`. */
  #params(params: string): string {
    if (params === '') return params
    return params
      .split('&')
      .map((pair) => {
        const equals = pair.indexOf('=')
        if (equals === -1) return pair
        const name = paramName(pair.slice(0, equals))
        return this.isSecretParam(name) ? `${pair.slice(0, equals)}=${REDACTED}` : pair
      })
      .join('&')
  }

  #addSecret(secret: string): void {
    let added = false
    for (const form of [secret, safeDecode(secret)]) {
      if (form.length >= MIN_SECRET_LENGTH && !this.#secrets.includes(form)) {
        this.#secrets.push(form)
        added = true
      }
    }
    if (!added) return
    // Longest first, so a secret that contains a shorter one is replaced whole.
    this.#secrets.sort((a, b) => b.length - a.length)
    this.#pattern = new RegExp(this.#secrets.map(secretPattern).join('|'), 'g')
  }

  #known(text: string): string {
    return this.#pattern === undefined ? text : text.replace(this.#pattern, REDACTED)
  }
}

/**
 * A pattern matching `secret` in every form it takes in a URL or a body echoing one: each
 * character raw or percent-encoded (upper- or lower-case hex, so `encodeURIComponent`,
 * `URLSearchParams` / form encoding, the URL parser's and RFC 3986 strict encodings all match,
 * and mixes of them), a space also as `+`, and the JSON string escapes of the character.
 */
function secretPattern(secret: string): string {
  let pattern = ''
  for (const char of secret) {
    const forms = [escapeRegExp(char)]
    const bytes = Buffer.from(char, 'utf8')
    forms.push(Array.from(bytes, (byte) => `%${hexPattern(byte, 2)}`).join(''))
    if (char === ' ') forms.push('\\+')
    const json = JSON_ESCAPES[char]
    if (json !== undefined) forms.push(escapeRegExp(json))
    if (!/^[\x20-\x7e]$/.test(char)) {
      // `\u00e9`, or a surrogate pair for characters beyond the BMP.
      let units = ''
      for (let index = 0; index < char.length; index++) {
        units += `\\\\u${hexPattern(char.charCodeAt(index), 4)}`
      }
      forms.push(units)
    }
    pattern += `(?:${forms.join('|')})`
  }
  return pattern
}

/** The JSON string escapes of characters that `JSON.stringify` or a server may escape. */
const JSON_ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '/': '\\/' }

/** `value` as `digits` hex digits, each letter matching either case: 0x2f -> `2[fF]`. */
function hexPattern(value: number, digits: number): string {
  return Array.from(value.toString(16).padStart(digits, '0'), (digit) =>
    /[a-f]/.test(digit) ? `[${digit}${digit.toUpperCase()}]` : digit,
  ).join('')
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')
}

/** A query or fragment parameter's name, decoded; in `#/route?key=1` the part after the `?`. */
function paramName(raw: string): string {
  return safeDecode(raw.slice(raw.lastIndexOf('?') + 1))
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    return text
  }
}

/** The userinfo (user, password and the Basic token made of them) and secret query values. */
function urlSecrets(url: URL, isSecret: (name: string) => boolean): string[] {
  const found: string[] = []
  if (url.password !== '') {
    found.push(url.password)
    const basic = basicToken(safeDecode(url.username), safeDecode(url.password))
    found.push(basic)
  }
  if (url.username !== '') found.push(url.username)
  for (const params of [url.searchParams, new URLSearchParams(url.hash.slice(1))]) {
    for (const [name, value] of params)
      if (isSecret(name.slice(name.lastIndexOf('?') + 1)) && value !== '') found.push(value)
  }
  return found
}

/** The base64 token of `Authorization: Basic <token>`. */
export function basicToken(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`).toString('base64')
}
