import { runNode } from '@graphflow/testkit'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { errorsOf, readRows, tempFile } from '../test/helpers.js'
import { SqliteRowError } from './sqlite-error.js'
import { sqliteSink } from './sqlite-sink.js'

/** `typeof()` and the value of each column of the first row of `table`. */
function stored(file: string, table: string, columns: readonly string[]) {
  const database = new Database(file, { readonly: true })
  try {
    const select = columns.map((name) => `typeof("${name}") AS "${name}"`).join(', ')
    const types = database.prepare(`SELECT ${select} FROM "${table}"`).get() as object
    const values = database.prepare(`SELECT * FROM "${table}"`).safeIntegers(true).get() as object
    return { types, values }
  } finally {
    database.close()
  }
}

function columnTypes(file: string, table: string): Record<string, string> {
  const rows = readRows<{ name: string; type: string }>(
    file,
    `SELECT name, type FROM pragma_table_info('${table}')`,
  )
  return Object.fromEntries(rows.map(({ name, type }) => [name, type]))
}

describe('sqliteSink values: the README value table', () => {
  // guards: each row of the README's value table, checked with SQLite's typeof()
  it('stores each kind of value as the table says, in an inferred column', async () => {
    const file = await tempFile()
    const record = {
      integer: 12345,
      negative: -7,
      beyond53: 2 ** 60,
      beyond63: 2 ** 64,
      big: 2n ** 62n,
      real: 1.5,
      yes: true,
      no: false,
      text: 'x',
      date: new Date('2024-05-06T07:08:09.010Z'),
      object: { a: [1, 'b'] },
      array: [1, 2],
      buffer: Buffer.from([1]),
      bytes: new Uint8Array([2]),
      arrayBuffer: new Uint8Array([3]).buffer,
      nothing: null,
      notGiven: undefined,
    }
    const sink = sqliteSink({
      path: file,
      table: 'v',
      columns: [...Object.keys(record), 'missing'],
    })
    const { report } = await runNode(sink, { inputs: [record] })
    expect(errorsOf(report, sink.name)).toEqual([])
    const names = [...Object.keys(record), 'missing']
    const { types, values } = stored(file, 'v', names)
    expect(columnTypes(file, 'v')).toEqual({
      integer: 'INTEGER',
      negative: 'INTEGER',
      beyond53: 'INTEGER',
      beyond63: 'INTEGER',
      big: 'INTEGER',
      real: 'REAL',
      yes: 'INTEGER',
      no: 'INTEGER',
      text: 'TEXT',
      date: 'TEXT',
      object: 'TEXT',
      array: 'TEXT',
      buffer: 'BLOB',
      bytes: 'BLOB',
      arrayBuffer: 'BLOB',
      nothing: '',
      notGiven: '',
      missing: '',
    })
    expect(types).toEqual({
      integer: 'integer',
      negative: 'integer',
      beyond53: 'integer',
      beyond63: 'real',
      big: 'integer',
      real: 'real',
      yes: 'integer',
      no: 'integer',
      text: 'text',
      date: 'text',
      object: 'text',
      array: 'text',
      buffer: 'blob',
      bytes: 'blob',
      arrayBuffer: 'blob',
      nothing: 'null',
      notGiven: 'null',
      missing: 'null',
    })
    expect(values).toEqual({
      integer: 12345n,
      negative: -7n,
      beyond53: 2n ** 60n,
      beyond63: 2 ** 64,
      big: 2n ** 62n,
      real: 1.5,
      yes: 1n,
      no: 0n,
      text: 'x',
      date: '2024-05-06T07:08:09.010Z',
      object: '{"a":[1,"b"]}',
      array: '[1,2]',
      buffer: Buffer.from([1]),
      bytes: Buffer.from([2]),
      arrayBuffer: Buffer.from([3]),
      nothing: null,
      notGiven: null,
      missing: null,
    })
  })

  // guards: better-sqlite3 bound 12345 as a double: '12345.0' in TEXT, REAL in untyped columns
  it('stores a whole number as the declared column type says', async () => {
    const file = await tempFile()
    const database = new Database(file)
    database.exec('CREATE TABLE d (t TEXT, i INTEGER, r REAL, n NUMERIC, b BLOB, u, v VARCHAR(10))')
    database.close()
    const names = ['t', 'i', 'r', 'n', 'b', 'u', 'v']
    const whole = Object.fromEntries(names.map((name) => [name, 12345]))
    const truth = Object.fromEntries(names.map((name) => [name, true]))
    await runNode(sqliteSink({ path: file, table: 'd' }), { inputs: [whole, truth] })
    const rows = readRows(
      file,
      `SELECT ${names.map((name) => `${name}, typeof(${name}) AS ${name}_type`).join(', ')} FROM d`,
    )
    expect(rows).toEqual([
      {
        t: '12345',
        t_type: 'text',
        i: 12345,
        i_type: 'integer',
        r: 12345,
        r_type: 'real',
        n: 12345,
        n_type: 'integer',
        b: 12345,
        b_type: 'integer',
        u: 12345,
        u_type: 'integer',
        v: '12345',
        v_type: 'text',
      },
      {
        t: '1',
        t_type: 'text',
        i: 1,
        i_type: 'integer',
        r: 1,
        r_type: 'real',
        n: 1,
        n_type: 'integer',
        b: 1,
        b_type: 'integer',
        u: 1,
        u_type: 'integer',
        v: '1',
        v_type: 'text',
      },
    ])
  })

  it('stores a whole number in a STRICT table as its column type says, ANY included', async () => {
    const file = await tempFile()
    const database = new Database(file)
    database.exec('CREATE TABLE s (t TEXT, i INTEGER, r REAL, a ANY) STRICT')
    database.close()
    const { report } = await runNode(sqliteSink({ path: file, table: 's' }), {
      inputs: [{ t: 12345, i: 12345, r: 12345, a: 12345 }],
    })
    expect(errorsOf(report, 'sqliteSink')).toEqual([])
    expect(stored(file, 's', ['t', 'i', 'r', 'a']).types).toEqual({
      t: 'text',
      i: 'integer',
      r: 'real',
      a: 'integer',
    })
  })

  // guards: '100' then 100 made two rows ('100' and '100.0') in a TEXT-keyed upsert
  it('upserts a TEXT key given as a string and then as a number into one row', async () => {
    const file = await tempFile()
    const sink = sqliteSink({
      path: file,
      table: 'codes',
      columns: { code: 'TEXT', label: 'TEXT' },
      primaryKey: 'code',
      mode: 'upsert',
    })
    await runNode(sink, { inputs: [{ code: '100', label: 'first' }] })
    const { report } = await runNode(sink, { inputs: [{ code: 100, label: 'second' }] })
    expect(errorsOf(report, sink.name)).toEqual([])
    expect(readRows(file, 'SELECT code, typeof(code) AS type, label FROM codes')).toEqual([
      { code: '100', type: 'text', label: 'second' },
    ])
  })

  it('keeps whole numbers of an inferred TEXT column as their digits', async () => {
    const file = await tempFile()
    await runNode(sqliteSink({ path: file, table: 'zips', batchSize: 2 }), {
      inputs: [[{ zip: '01234' }, { zip: '99999' }], { zip: 12345 }],
    })
    expect(readRows(file, 'SELECT zip, typeof(zip) AS type FROM zips')).toEqual([
      { zip: '01234', type: 'text' },
      { zip: '99999', type: 'text' },
      { zip: '12345', type: 'text' },
    ])
  })
})

describe('sqliteSink values it refuses', () => {
  // guards: NaN was stored as NULL silently, Infinity as a value no JSON or TEXT reads back
  it('refuses NaN and ±Infinity per row, naming the column', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 'scores' })
    const { report } = await runNode(sink, {
      inputs: [
        [
          { id: 1, score: 1.5 },
          { id: 2, score: Number.NaN },
          { id: 3, score: Number.POSITIVE_INFINITY },
          { id: 4, score: Number.NEGATIVE_INFINITY },
          { id: 5, score: 2 },
        ],
      ],
    })
    const [error] = errorsOf(report, sink.name)
    expect(error).toBeInstanceOf(SqliteRowError)
    const rows = (error as SqliteRowError).rows
    expect(rows.map(({ runIndex, error: cause }) => [runIndex, cause.message])).toEqual([
      [
        1,
        'column "score": cannot store NaN: SQLite has no NaN, and it would not read back as given',
      ],
      [
        2,
        'column "score": cannot store Infinity: SQLite has no NaN, and it would not read back as given',
      ],
      [
        3,
        'column "score": cannot store -Infinity: SQLite has no NaN, and it would not read back as given',
      ],
    ])
    expect(readRows(file, 'SELECT id, score FROM scores ORDER BY id')).toEqual([
      { id: 1, score: 1.5 },
      { id: 5, score: 2 },
    ])
    expect(sink.stats).toMatchObject({ records: 2, rowsRejected: 3 })
  })

  // guards: a NaN upsert key was not refused, so every run inserted another row
  it('refuses a NaN upsert key like a missing one, on every run', async () => {
    const file = await tempFile()
    const sink = sqliteSink({
      path: file,
      table: 'items',
      columns: { id: 'REAL', name: 'TEXT' },
      primaryKey: 'id',
      mode: 'upsert',
    })
    for (let run = 0; run < 2; run++) {
      const { report } = await runNode(sink, {
        inputs: [
          { id: Number.NaN, name: 'nan key' },
          { id: 1, name: 'a' },
        ],
      })
      expect(errorsOf(report, sink.name)[0]?.message).toContain('column "id": cannot store NaN')
    }
    expect(readRows(file, 'SELECT id, name FROM items')).toEqual([{ id: 1, name: 'a' }])
  })

  // guards: these were stored as '{}' or as an object of indexes, reading back differently
  it('refuses Map, Set, RegExp, Error and typed arrays per row, also nested', async () => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 'odd' })
    const values = [
      new Map([['a', 1]]),
      new Set([1]),
      /x/,
      new Error('boom'),
      new Float32Array([1]),
      new Uint16Array([1]),
      { nested: new Map() },
      [new Set([1])],
      { score: Number.NaN },
    ]
    const { report } = await runNode(sink, {
      inputs: [
        [{ id: 0, value: 'fine' }, ...values.map((value, index) => ({ id: index + 1, value }))],
      ],
    })
    const error = errorsOf(report, sink.name)[0] as SqliteRowError
    expect(error.rows.map(({ runIndex }) => runIndex)).toEqual(values.map((_, index) => index + 1))
    expect(error.rows.map(({ error: cause }) => cause.message)).toEqual([
      'column "value": cannot store a Map (its JSON text is "{}"); convert it to an object or an array',
      'column "value": cannot store a Set (its JSON text is "{}"); convert it to an object or an array',
      'column "value": cannot store a RegExp (its JSON text is "{}"); store its source as a string',
      'column "value": cannot store an Error (its JSON text is "{}"); store its message as a string',
      expect.stringContaining('column "value": cannot store a Float32Array'),
      expect.stringContaining('column "value": cannot store a Uint16Array'),
      expect.stringContaining('column "value": cannot store a Map at key "nested" (its JSON'),
      expect.stringContaining('column "value": cannot store a Set at key "0" (its JSON'),
      'column "value": cannot store NaN at key "score": SQLite has no NaN, and it would not read back as given',
    ])
    expect(readRows(file, 'SELECT id, value FROM odd')).toEqual([{ id: 0, value: 'fine' }])
  })
})

describe('sqliteSink reads own fields only', () => {
  const inherited = ['constructor', 'toString', 'hasOwnProperty', '__proto__'] as const

  // guards: a missing field read the record's inherited member (refused as "a function", or '{}')
  it.each(inherited)('writes NULL for a missing field named %s', async (name) => {
    const file = await tempFile()
    const sink = sqliteSink({ path: file, table: 't', columns: ['id', name] })
    const withField = JSON.parse(`{"id": 2, "${name}": "own"}`) as object
    const { report } = await runNode(sink, { inputs: [{ id: 1 }, withField] })
    expect(errorsOf(report, sink.name)).toEqual([])
    expect(readRows(file, `SELECT id, "${name}" AS value FROM t ORDER BY id`)).toEqual([
      { id: 1, value: null },
      { id: 2, value: 'own' },
    ])
  })

  it('writes NULL for a field a record of another prototype only inherits', async () => {
    const file = await tempFile()
    const inheriting = Object.assign(Object.create({ extra: 'inherited' }) as object, { id: 1 })
    const bare = Object.assign(Object.create(null) as object, { id: 2, extra: 'own' })
    const sink = sqliteSink({ path: file, table: 't', columns: ['id', 'extra'] })
    const { report } = await runNode(sink, { inputs: [[inheriting, bare]] })
    expect(errorsOf(report, sink.name)).toEqual([])
    expect(readRows(file, 'SELECT id, extra FROM t ORDER BY id')).toEqual([
      { id: 1, extra: null },
      { id: 2, extra: 'own' },
    ])
  })

  it('ignores inherited enumerable fields of a record', async () => {
    const file = await tempFile()
    const record = Object.create({ inherited: 'no' }) as Record<string, unknown>
    record.id = 1
    const { report } = await runNode(sqliteSink({ path: file, table: 't' }), { inputs: [record] })
    expect(errorsOf(report, 'sqliteSink')).toEqual([])
    expect(columnTypes(file, 't')).toEqual({ id: 'INTEGER' })
  })
})
