import { describe, expect, it } from 'vitest'
import { describeValue, messageOf } from './describe-value.js'
import { GraphflowError } from './errors.js'

describe('describeValue', () => {
  it.each([
    [-3, '-3'],
    [Number.NaN, 'NaN'],
    ['abc', '"abc"'],
    ['', '""'],
    [true, 'true'],
    [undefined, 'undefined'],
    [null, 'null'],
    [10n, '10n'],
    [[1, 2], 'an array ([1,2])'],
    [{ a: 1 }, 'an object'],
    [Object.create(null), 'an object'],
    [new Date(0), 'a Date'],
    [function named() {}, 'a function (named)'],
  ])('describes %o as %s', (value, text) => {
    expect(describeValue(value)).toBe(text)
  })

  it('shortens long strings and arrays, and survives arrays that cannot be stringified', () => {
    expect(describeValue('x'.repeat(100))).toBe(`"${'x'.repeat(59)}...`)
    const cyclic: unknown[] = []
    cyclic.push(cyclic)
    expect(describeValue(cyclic)).toBe('an array (1 items)')
  })
})

describe('messageOf', () => {
  it('gives the message of an Error and the text of anything else', () => {
    expect(messageOf(new Error('boom'))).toBe('boom')
    expect(messageOf('plain')).toBe('plain')
  })

  // Guards: an embedded graphflow error's prefix was repeated inside the outer error's message.
  it('gives a graphflow error without its prefix', () => {
    const inner = new GraphflowError('cannot write /out/x.csv', { code: 'CSV_WRITE', scope: 'csv' })
    expect(messageOf(inner)).toBe('cannot write /out/x.csv')
  })
})
