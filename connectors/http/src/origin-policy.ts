import type { OptionChecks } from '@graphflow/core'
import { HttpProblem } from './http-error.js'

/**
 * Decides what a request keeps when a next link, a custom next request or a redirect moves it
 * to another URL. Credentials stay with their origin: moving to an origin that is neither the
 * first request's nor one of `trustedOrigins` drops the `auth` header and every user header (as
 * browsers and undici's redirect handling do for `authorization`, but also for custom ones such
 * as `x-api-key`). Moving from `https` to `http` is refused unless the target is trusted.
 */
export class OriginPolicy {
  readonly #home: string
  readonly #trusted: ReadonlySet<string>

  constructor(home: URL, trusted: ReadonlySet<string>) {
    this.#home = home.origin
    this.#trusted = trusted
  }

  /**
   * The headers a request moving from `from` to `to` keeps; throws an `HTTP_DOWNGRADE`
   * problem for an https -> http move to an origin that is not trusted.
   */
  move(
    from: URL,
    to: URL,
    headers: Readonly<Record<string, string>>,
    what: string,
  ): Readonly<Record<string, string>> {
    if (from.origin === to.origin) return headers
    const trusted = this.#trusted.has(to.origin)
    if (from.protocol === 'https:' && to.protocol === 'http:' && !trusted) {
      throw new HttpProblem(
        `${what} ${to.href} leaves https for http: refused (list its origin in trustedOrigins to allow it)`,
        { code: 'HTTP_DOWNGRADE' },
      )
    }
    return trusted || to.origin === this.#home ? headers : {}
  }
}

/** Checks `trustedOrigins` and returns their origins (`https://host:port`). */
export function trustedOriginSet(check: OptionChecks, value: unknown): ReadonlySet<string> {
  if (value === undefined) return new Set()
  if (!Array.isArray(value)) check.fail('trustedOrigins', 'an array of origins', value)
  const origins = new Set<string>()
  for (const each of value) {
    let url: URL | undefined
    try {
      url = typeof each === 'string' || each instanceof URL ? new URL(each) : undefined
    } catch {
      url = undefined
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      check.fail(
        'trustedOrigins',
        "http(s) origins such as 'https://api.example.com'",
        each,
        JSON.stringify(String(each)),
      )
    }
    origins.add(url.origin)
  }
  return origins
}
