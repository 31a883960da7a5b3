import { describe, expect, it } from 'vitest'
import { optionChecks } from './option-checks.js'

const check = optionChecks('csvSink')

describe('optionChecks', () => {
  it('throws one message format naming the factory, the option, what was expected and given', () => {
    expect(() => check.integer('batchSize', -3, 256, { min: 1 })).toThrow(
      new TypeError('csvSink option "batchSize": expected an integer >= 1, got -3'),
    )
    expect(() => check.string('path', 3, undefined)).toThrow(
      'csvSink option "path": expected a non-empty string, got 3',
    )
    expect(() => check.object(null)).toThrow('csvSink: expected an options object, got null')
    expect(() => check.object([])).toThrow(TypeError)
  })

  it('returns the value given, or the fallback when absent', () => {
    expect(check.integer('batchSize', undefined, 256, { min: 1 })).toBe(256)
    expect(check.integer('batchSize', 7, 256, { min: 1 })).toBe(7)
    expect(check.integer('maxPages', undefined, undefined)).toBeUndefined()
    expect(check.boolean('header', undefined, true)).toBe(true)
    expect(check.boolean('header', false, true)).toBe(false)
    expect(check.string('name', undefined, 'csvSink')).toBe('csvSink')
    expect(check.oneOf('mode', undefined, ['insert', 'upsert'], 'insert')).toBe('insert')
    expect(check.oneOf('mode', 'upsert', ['insert', 'upsert'], 'insert')).toBe('upsert')
    const fn = () => 1
    expect(check.function('cast', fn, undefined)).toBe(fn)
    expect(check.requiredFunction('send', fn)).toBe(fn)
  })

  it('checks limits, Infinity and finiteness', () => {
    expect(check.integer('maxPages', Number.POSITIVE_INFINITY, 1, { allowInfinity: true })).toBe(
      Number.POSITIVE_INFINITY,
    )
    expect(() => check.integer('maxPages', 0, 1, { min: 1, allowInfinity: true })).toThrow(
      '"maxPages": expected an integer >= 1 or Infinity, got 0',
    )
    expect(() => check.integer('n', 1.5, 1)).toThrow('expected an integer, got 1.5')
    expect(() => check.integer('n', 11, 1, { min: 1, max: 10 })).toThrow(
      'expected an integer >= 1 and <= 10, got 11',
    )
    expect(check.number('rate', 0.5, undefined, { min: 0 })).toBe(0.5)
    expect(() => check.number('rate', Number.NaN, undefined)).toThrow('expected a number, got NaN')
  })

  it('names the allowed values and the wrong type', () => {
    expect(() => check.oneOf('recordDelimiter', '\t', ['\n', '\r\n'], '\n')).toThrow(
      'csvSink option "recordDelimiter": expected one of "\\n", "\\r\\n", got "\\t"',
    )
    expect(() => check.boolean('header', 'yes', true)).toThrow('expected a boolean, got "yes"')
    expect(() => check.requiredString('path', undefined)).toThrow(
      'expected a non-empty string, got undefined',
    )
    expect(() => check.requiredFunction('send', 3 as never)).toThrow('expected a function, got 3')
    expect(() => check.fail('columns', 'distinct names', ['a', 'a'])).toThrow(
      'csvSink option "columns": expected distinct names, got an array (["a","a"])',
    )
  })
})
