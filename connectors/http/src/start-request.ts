import { checkHeaders } from './header-check.js'
import type { HttpAuth, HttpSourceOptions, HttpStart } from './http-source-options.js'
import { basicToken, type Redactor } from './redact.js'
import { type HttpRequest, mergeHeaders, withQuery } from './request.js'

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

/** Parses a URL option or start URL; a `TypeError` naming `what` (redacted) if it is not one. */
export function parseUrl(
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
  checkHeaders(override.headers, (expected, _value, described) => {
    throw new TypeError(
      `httpSource start argument "headers": expected ${expected}, got ${described}`,
    )
  })
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
