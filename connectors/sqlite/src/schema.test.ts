import { describe, expect, it } from 'vitest'
import {
  addColumnSql,
  bindsNumbersAsIs,
  COLUMN_TYPE_PATTERN,
  createTableSql,
  defineColumns,
  inferType,
  mergeType,
  toSqlValue,
  writeSql,
} from './schema.js'

describe('inferType and mergeType', () => {
  it('infers SQLite types from values', () => {
    expect(inferType(1)).toBe('INTEGER')
    expect(inferType(1.5)).toBe('REAL')
    expect(inferType(10n)).toBe('INTEGER')
    expect(inferType(true)).toBe('INTEGER')
    expect(inferType('x')).toBe('TEXT')
    expect(inferType(new Date())).toBe('TEXT')
    expect(inferType({ a: 1 })).toBe('TEXT')
    expect(inferType([1])).toBe('TEXT')
    expect(inferType(Buffer.from('x'))).toBe('BLOB')
    expect(inferType(new ArrayBuffer(2))).toBe('BLOB')
    expect(inferType(null)).toBeUndefined()
    expect(inferType(undefined)).toBeUndefined()
  })

  it('merges: INTEGER and REAL make REAL, other conflicts no type, nulls nothing', () => {
    expect(mergeType('INTEGER', 'REAL')).toBe('REAL')
    expect(mergeType('REAL', 'INTEGER')).toBe('REAL')
    expect(mergeType(undefined, 'TEXT')).toBe('TEXT')
    expect(mergeType('TEXT', undefined)).toBe('TEXT')
    expect(mergeType('TEXT', 'INTEGER')).toBe('')
    expect(mergeType('', 'TEXT')).toBe('')
  })

  it('defines columns from records, declared types first', () => {
    const records = [
      { a: 1, b: null, c: 'x' },
      { a: 2.5, b: null, c: 3 },
    ]
    expect(defineColumns(['a', 'b', 'c'], records, new Map([['c', 'TEXT']]))).toEqual([
      { name: 'a', type: 'REAL' },
      { name: 'b', type: '' },
      { name: 'c', type: 'TEXT' },
    ])
  })

  // guards: a column named like an Object.prototype member is typed from own fields only
  it('infers types from own fields only', () => {
    expect(defineColumns(['constructor', 'toString'], [{}], undefined)).toEqual([
      { name: 'constructor', type: '' },
      { name: 'toString', type: '' },
    ])
  })

  // guards: NaN and Infinity, refused when written, say nothing about a column's type
  it('infers no type from NaN or Infinity', () => {
    expect(inferType(Number.NaN)).toBeUndefined()
    expect(inferType(Number.POSITIVE_INFINITY)).toBeUndefined()
    expect(mergeType(inferType(Number.NaN), inferType(1))).toBe('INTEGER')
  })
})

describe('toSqlValue', () => {
  it('converts what SQLite cannot bind', () => {
    expect(toSqlValue(true)).toBe(1n)
    expect(toSqlValue(false)).toBe(0n)
    expect(toSqlValue(undefined)).toBeNull()
    expect(toSqlValue(null)).toBeNull()
    expect(toSqlValue(new Date(0))).toBe('1970-01-01T00:00:00.000Z')
    expect(toSqlValue({ a: [1, { b: true }] })).toBe('{"a":[1,{"b":true}]}')
    expect(toSqlValue([])).toBe('[]')
    expect(toSqlValue(new Uint8Array([1]))).toEqual(new Uint8Array([1]))
    expect(toSqlValue(new Uint8Array([7]).buffer)).toEqual(Buffer.from([7]))
    expect(toSqlValue({ toJSON: () => undefined })).toBeNull()
    expect(toSqlValue(5n)).toBe(5n)
    expect(toSqlValue(1.5)).toBe(1.5)
  })

  // guards: better-sqlite3 binds every number as a double ('12345.0' in a TEXT column)
  it('binds whole numbers as integers, those beyond 64 bits as reals', () => {
    expect(toSqlValue(12345)).toBe(12345n)
    expect(toSqlValue(-7)).toBe(-7n)
    expect(toSqlValue(-0)).toBe(0n)
    expect(toSqlValue(2 ** 60)).toBe(2n ** 60n)
    expect(toSqlValue(-(2 ** 63) + 1024)).toBe(-(2n ** 63n) + 1024n)
    expect(toSqlValue(2 ** 63)).toBe(2 ** 63)
    expect(toSqlValue(1e300)).toBe(1e300)
    expect(toSqlValue(2n ** 63n - 1n)).toBe(2n ** 63n - 1n)
    expect(() => toSqlValue(2n ** 63n)).toThrow('cannot store 9223372036854775808n')
  })

  // guards: NaN was stored as NULL, and Infinity did not read back from a TEXT column
  it('refuses NaN and Infinity, at any depth', () => {
    expect(() => toSqlValue(Number.NaN)).toThrow(
      new TypeError('cannot store NaN: SQLite has no NaN, and it would not read back as given'),
    )
    expect(() => toSqlValue(Number.POSITIVE_INFINITY)).toThrow('cannot store Infinity')
    expect(() => toSqlValue(Number.NEGATIVE_INFINITY)).toThrow('cannot store -Infinity')
    expect(() => toSqlValue({ a: [1, Number.NaN] })).toThrow('cannot store NaN')
    expect(() => toSqlValue({ a: [1, Number.NaN] })).toThrow('at key "1"')
  })

  // guards: these were stored as '{}' or as an object of indexes
  it.each([
    [new Map([['a', 1]]), 'a Map'],
    [new Set([1]), 'a Set'],
    [/a+/g, 'a RegExp'],
    [new Error('boom'), 'an Error'],
    [new RangeError('boom'), 'an Error'],
    [new Float64Array([1.5]), 'a Float64Array'],
    [new Int32Array([1]), 'an Int32Array'],
    [new DataView(new ArrayBuffer(2)), 'a DataView'],
    [
      { nested: new Map() },
      'a Map at key "nested" (its JSON text is "{}"); convert it to an object or an array',
    ],
    [[new Set()], 'a Set'],
    [{ bytes: Buffer.from('x') }, 'a Buffer'],
    [{ buffer: new ArrayBuffer(1) }, 'an ArrayBuffer'],
    [{ when: new Date(Number.NaN) }, 'an invalid Date at key "when"'],
    [{ run: () => 1 }, 'a function in JSON text at key "run"'],
    [{ big: 1n }, 'a bigint in JSON text at key "big"'],
  ])('refuses %o, at any depth', (value, what) => {
    expect(() => toSqlValue(value)).toThrow(TypeError)
    expect(() => toSqlValue(value)).toThrow(`cannot store ${what}`)
  })

  it('throws a TypeError for what cannot be stored', () => {
    expect(() => toSqlValue(() => 1)).toThrow(new TypeError('cannot store a function in SQLite'))
    expect(() => toSqlValue(Symbol('s'))).toThrow(new TypeError('cannot store a symbol in SQLite'))
    expect(() => toSqlValue(new Date(Number.NaN))).toThrow('cannot store an invalid Date')
  })
})

describe('bindsNumbersAsIs', () => {
  // guards: a double bound into a TEXT or untyped column is stored as '12345.0' or a REAL
  it("follows SQLite's column affinity rules", () => {
    for (const type of [
      'INTEGER',
      'int',
      'BIGINT',
      'NUMERIC',
      'DECIMAL(10, 2)',
      'REAL',
      'DOUBLE',
      'FLOAT',
      'BOOLEAN',
      'DATE',
      'INTEGER NOT NULL',
    ]) {
      expect([type, bindsNumbersAsIs(type)]).toEqual([type, true])
    }
    for (const type of [
      'TEXT',
      'VARCHAR(10)',
      'CLOB',
      'CHARACTER',
      'BLOB',
      '',
      'ANY',
      'TEXT NOT NULL',
    ]) {
      expect([type, bindsNumbersAsIs(type)]).toEqual([type, false])
    }
  })
})

describe('SQL text', () => {
  it('creates tables with quoted names and a primary key', () => {
    expect(
      createTableSql(
        't',
        [
          { name: 'id', type: 'INTEGER' },
          { name: 'order', type: '' },
        ],
        ['id'],
      ),
    ).toBe('CREATE TABLE IF NOT EXISTS "t" ("id" INTEGER, "order", PRIMARY KEY ("id"))')
    expect(addColumnSql('t', { name: 'x', type: 'TEXT' })).toBe(
      'ALTER TABLE "t" ADD COLUMN "x" TEXT',
    )
  })

  it('writes positional inserts, replaces and upserts', () => {
    expect(writeSql('t', ['a', 'b'], 'insert', [])).toBe('INSERT INTO "t" ("a", "b") VALUES (?, ?)')
    expect(writeSql('t', ['a'], 'replace', [])).toBe('INSERT OR REPLACE INTO "t" ("a") VALUES (?)')
    expect(writeSql('t', ['id', 'a', 'b'], 'upsert', ['id'])).toBe(
      'INSERT INTO "t" AS "graphflow_target" ("id", "a", "b") VALUES (?, ?, ?) ON CONFLICT ("id") DO UPDATE SET ' +
        '"a" = excluded."a", "b" = excluded."b"',
    )
    expect(writeSql('t', ['id'], 'upsert', ['id'])).toBe(
      'INSERT INTO "t" AS "graphflow_target" ("id") VALUES (?) ON CONFLICT ("id") DO NOTHING',
    )
    expect(writeSql('t', [], 'insert', [])).toBe('INSERT INTO "t" DEFAULT VALUES')
  })

  it('accepts column types and rejects anything else', () => {
    for (const type of [
      'INTEGER',
      'TEXT NOT NULL',
      'VARCHAR(20)',
      'DECIMAL(10, 2)',
      'INTEGER NOT NULL UNIQUE',
    ]) {
      expect(COLUMN_TYPE_PATTERN.test(type)).toBe(true)
    }
    for (const type of [
      'TEXT); DROP TABLE t; --',
      "TEXT DEFAULT 'x'",
      'INT -- c',
      'TEXT CHECK (a > 1)',
      '',
    ]) {
      expect(COLUMN_TYPE_PATTERN.test(type)).toBe(false)
    }
  })
})
