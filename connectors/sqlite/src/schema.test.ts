import { describe, expect, it } from 'vitest'
import {
  addColumnSql,
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

  it('defines columns from records, declared types first, adding a missing key', () => {
    const records = [
      { a: 1, b: null, c: 'x' },
      { a: 2.5, b: null, c: 3 },
    ]
    expect(defineColumns(['a', 'b', 'c'], records, new Map([['c', 'TEXT']]), ['id'])).toEqual([
      { name: 'a', type: 'REAL' },
      { name: 'b', type: '' },
      { name: 'c', type: 'TEXT' },
      { name: 'id', type: 'INTEGER' },
    ])
  })
})

describe('toSqlValue', () => {
  it('converts what SQLite cannot bind', () => {
    expect(toSqlValue(true)).toBe(1)
    expect(toSqlValue(false)).toBe(0)
    expect(toSqlValue(undefined)).toBeNull()
    expect(toSqlValue(null)).toBeNull()
    expect(toSqlValue(new Date(0))).toBe('1970-01-01T00:00:00.000Z')
    expect(toSqlValue({ a: [1, { b: true }] })).toBe('{"a":[1,{"b":true}]}')
    expect(toSqlValue([])).toBe('[]')
    expect(toSqlValue(new Uint8Array([1]))).toEqual(new Uint8Array([1]))
    expect(toSqlValue(new Uint8Array([7]).buffer)).toEqual(Buffer.from([7]))
    expect(toSqlValue({ toJSON: () => undefined })).toBeNull()
    expect(toSqlValue(5n)).toBe(5n)
  })

  it('throws a TypeError for what cannot be stored', () => {
    expect(() => toSqlValue(() => 1)).toThrow(new TypeError('cannot store a function in SQLite'))
    expect(() => toSqlValue(Symbol('s'))).toThrow(new TypeError('cannot store a symbol in SQLite'))
    expect(() => toSqlValue(new Date(Number.NaN))).toThrow('cannot store an invalid Date')
    expect(() => toSqlValue({ big: 1n })).toThrow(TypeError)
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
