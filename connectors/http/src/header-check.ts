/** An RFC 9110 token: what a header name may be made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** The first control character of `value` (CR, LF, NUL, ...; tab is allowed), or -1. */
function controlCharacter(value: string): number {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index)
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return code
  }
  return -1
}

/**
 * Why this header cannot be sent (a name that is not a token, a value that is not a string or
 * holds a control character such as CR or LF, which would split the request), or `undefined`.
 */
export function headerProblem(name: string, value: unknown): string | undefined {
  if (!TOKEN.test(name)) return `header name ${JSON.stringify(name)} is not a valid HTTP token`
  if (typeof value !== 'string') {
    return `header "${name}" must be a string, got ${value === null ? 'null' : typeof value}`
  }
  const bad = controlCharacter(value)
  if (bad !== -1) {
    const code = bad.toString(16).padStart(2, '0')
    return `header "${name}" holds a control character (\\x${code}; CR and LF would split the request)`
  }
  return undefined
}

/**
 * Throws what `fail` throws (the caller's one-format `TypeError`) when a header cannot be sent.
 * Only the kind of value is described: a header value may be a secret.
 */
export function checkHeaders(
  headers: unknown,
  fail: (expected: string, value: unknown, described: string) => never,
): void {
  if (headers === undefined) return
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    fail(
      'an object of header names to strings',
      headers,
      headers === null ? 'null' : Array.isArray(headers) ? 'an array' : typeof headers,
    )
  }
  for (const [name, value] of Object.entries(headers as object)) {
    const problem = headerProblem(name, value)
    if (problem) fail('valid headers', value, problem)
  }
}
