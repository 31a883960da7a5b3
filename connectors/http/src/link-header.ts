/** One link of a `Link` header: its target and its parameters (names lower-cased). */
interface Link {
  target: string
  params: Map<string, string>
}

/** Parses one `Link` header value into links; quoted strings may hold `,` and `;`. */
function parseLinks(value: string): Link[] {
  const links: Link[] = []
  let index = 0
  while (index < value.length) {
    const open = value.indexOf('<', index)
    if (open === -1) break
    const close = value.indexOf('>', open)
    if (close === -1) break
    const link: Link = { target: value.slice(open + 1, close), params: new Map() }
    index = close + 1
    // Parameters: `; name=value` or `; name="quoted"` until a `,` outside quotes.
    while (index < value.length) {
      const char = value[index]
      if (char === ',') {
        index++
        break
      }
      if (char !== ';') {
        index++
        continue
      }
      const match = /^;\s*([^\s=;,]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,]*)))?/.exec(
        value.slice(index),
      )
      if (!match) {
        index++
        continue
      }
      link.params.set((match[1] ?? '').toLowerCase(), (match[2] ?? match[3] ?? '').trim())
      index += match[0].length
    }
    links.push(link)
  }
  return links
}

/**
 * Finds the `rel="next"` target of RFC 8288 `Link` header values:
 * `<https://api.example.com/items?page=2>; rel="next", <...>; rel="last"`.
 * Several `Link` headers (an array) are read in order. Returns `undefined` when there is none.
 */
export function findNextLink(header: string | readonly string[] | undefined): string | undefined {
  if (header === undefined) return undefined
  const values = typeof header === 'string' ? [header] : header
  for (const value of values) {
    for (const link of parseLinks(value)) {
      const relations = (link.params.get('rel') ?? '').toLowerCase().split(/\s+/)
      if (relations.includes('next')) return link.target
    }
  }
  return undefined
}
