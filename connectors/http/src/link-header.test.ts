import { describe, expect, it } from 'vitest'
import { findNextLink } from './link-header.js'

describe('findNextLink', () => {
  it('finds rel="next" among other relations', () => {
    const header =
      '<https://api.test/items?page=1>; rel="prev", <https://api.test/items?page=3>; rel="next", <https://api.test/items?page=9>; rel="last"'
    expect(findNextLink(header)).toBe('https://api.test/items?page=3')
  })

  it('accepts unquoted and multi-valued rel, extra params and several headers', () => {
    expect(findNextLink('</a?x=1,2>; rel=next')).toBe('/a?x=1,2')
    expect(findNextLink('</b>; title="a, b; c"; rel="last next"')).toBe('/b')
    expect(findNextLink(['</c>; rel="first"', '</d>; REL="Next"'])).toBe('/d')
  })

  it('returns undefined without a next link', () => {
    expect(findNextLink(undefined)).toBeUndefined()
    expect(findNextLink('')).toBeUndefined()
    expect(findNextLink('<https://api.test/items?page=9>; rel="last"')).toBeUndefined()
    expect(findNextLink('<https://api.test/next-steps>; rel="nextish"')).toBeUndefined()
  })
})
