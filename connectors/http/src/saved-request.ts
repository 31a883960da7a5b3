// The requests of saved positions: a URL kept without the options' secrets, and the request
// restored from it (see "Resumable and incremental loads" in the README).

import { HttpProblem, type HttpProblemDetails } from './http-error.js'
import type { OriginPolicy } from './origin-policy.js'
import type { HttpRequest } from './request.js'

/** Why a saved position cannot be restored (turned into an `HTTP_RESUME` error). */
export class ResumeProblem extends HttpProblem {
  override name = 'ResumeProblem'

  constructor(message: string, details: Omit<HttpProblemDetails, 'code'> = {}) {
    super(message, { ...details, code: 'HTTP_RESUME' })
  }
}

/**
 * A URL for a saved position: no userinfo, and without the query parameters the first request
 * has and whose values are secrets (an `api_key` of the options): their names are kept in
 * `secrets`, their values put back from the options on resume (a rotated key works too).
 */
export function savedUrl(
  url: URL,
  base: URL,
  isSecret: (name: string) => boolean,
): { url: string; secrets?: string[] } {
  const copy = new URL(url)
  copy.username = ''
  copy.password = ''
  const secrets: string[] = []
  for (const name of new Set(copy.searchParams.keys())) {
    if (isSecret(name) && base.searchParams.has(name)) {
      // Emptied in place: the restored URL keeps the order of the parameters.
      copy.searchParams.set(name, '')
      secrets.push(name)
    }
  }
  return secrets.length === 0 ? { url: copy.href } : { url: copy.href, secrets }
}

/** The request of a saved URL: the options' secret query values put back, the headers moved. */
export function restoredRequest(
  saved: Record<string, unknown>,
  base: HttpRequest,
  policy: OriginPolicy,
): HttpRequest {
  let url: URL
  try {
    url = new URL(String(saved.url))
  } catch {
    throw new ResumeProblem(`its URL ${JSON.stringify(saved.url)} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ResumeProblem(`its URL ${url.href} is not http(s)`)
  }
  const secrets = saved.secrets ?? []
  if (!Array.isArray(secrets) || !secrets.every((name) => typeof name === 'string')) {
    throw new ResumeProblem('its "secrets" is not a list of parameter names')
  }
  for (const name of secrets) {
    const values = base.url.searchParams.getAll(name)
    url.searchParams.set(name, values[0] ?? '')
    for (const value of values.slice(1)) url.searchParams.append(name, value)
  }
  return { ...base, url, headers: policy.move(base.url, url, base.headers, 'the saved next URL') }
}
