import { GraphflowError } from '@graphflow/core'
import { describe, expect, it } from 'vitest'
import { checkIdentifier, IDENTIFIER_PATTERN, quoteIdentifier } from './identifiers.js'

describe('identifiers', () => {
  it.each(['items', '_private', 'Brewery_2024', 'a'])('accepts %s', (name) => {
    expect(checkIdentifier(name, 'table')).toBe(name)
  })

  it.each([
    'x"; DROP TABLE y; --',
    '2fast',
    'with space',
    'dash-ed',
    'semi;colon',
    'quote"d',
    "apos'trophe",
    'brackets[0]',
    'dotted.name',
    'ünïcode',
    '',
    'tab\tname',
    'new\nline',
  ])('rejects %j with SQLITE_IDENTIFIER naming it', (name) => {
    let thrown: unknown
    try {
      checkIdentifier(name, 'column')
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(GraphflowError)
    expect(thrown).toMatchObject({ code: 'SQLITE_IDENTIFIER', scope: 'sqlite' })
    expect((thrown as Error).message).toContain(`invalid column name ${JSON.stringify(name)}`)
    expect(IDENTIFIER_PATTERN.test(name)).toBe(false)
  })

  it('rejects a table name with the reserved sqlite_ prefix, in any case', () => {
    expect(() => checkIdentifier('SQLite_stat1', 'table')).toThrow(
      'invalid table name "SQLite_stat1": names starting with "sqlite_" are reserved by SQLite',
    )
    expect(checkIdentifier('sqlite_ok', 'column')).toBe('sqlite_ok')
  })

  it('rejects what is not a string', () => {
    expect(() => checkIdentifier(42, 'table')).toThrow('invalid table name 42')
  })

  it('quotes identifiers, doubling inner quotes', () => {
    expect(quoteIdentifier('order')).toBe('"order"')
    expect(quoteIdentifier('a"b')).toBe('"a""b"')
  })
})
