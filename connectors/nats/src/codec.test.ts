import { describe, expect, it } from 'vitest'
import { CodecError, checkCodec, jsonCodec } from './codec.js'

const roundTrip = (items: unknown[]) => jsonCodec.decode(jsonCodec.encode(items))

describe('jsonCodec', () => {
  it('round-trips plain JSON items', () => {
    const items = [{ id: 1, name: 'Anchor', tags: ['a', 'b'], nested: { ok: true, n: null } }, 'x']
    expect(roundTrip(items)).toEqual(items)
  })

  it('round-trips Date, BigInt, Buffer, Uint8Array, undefined and non-finite numbers', () => {
    const items = [
      {
        opened: new Date('1896-01-01T00:00:00.000Z'),
        id: 12345678901234567890n,
        raw: Buffer.from('héllo'),
        bytes: new Uint8Array([0, 1, 255]),
        missing: undefined,
        ratio: Number.NaN,
        big: Number.POSITIVE_INFINITY,
        small: Number.NEGATIVE_INFINITY,
        list: [undefined, 1n],
      },
    ]
    const [decoded] = roundTrip(items) as [Record<string, unknown>]
    expect(decoded.opened).toBeInstanceOf(Date)
    expect(decoded.raw).toBeInstanceOf(Buffer)
    expect(decoded.bytes).toBeInstanceOf(Uint8Array)
    expect(Buffer.isBuffer(decoded.bytes)).toBe(false)
    expect(Object.hasOwn(decoded, 'missing')).toBe(true)
    expect(decoded).toEqual(items[0])
  })

  // guards against a record that happens to use the tag key being decoded as a tagged value
  it('keeps a user key named "$gf" as data', () => {
    const items = [{ $gf: 'date', v: '2020-01-01' }, { $gf: { nested: 1n } }]
    expect(roundTrip(items)).toEqual(items)
  })

  it('refuses values JSON would change, naming the kind and where it is', () => {
    const cases: [unknown, string, string][] = [
      [{ tags: new Map() }, 'Map', 'items[0].tags'],
      [{ set: new Set([1]) }, 'Set', 'items[0].set'],
      [{ fn: () => 1 }, 'function', 'items[0].fn'],
      [{ s: Symbol('x') }, 'symbol', 'items[0].s'],
      [new (class Point {})(), 'Point', 'items[0]'],
      [{ f: new Float64Array(1) }, 'Float64Array', 'items[0].f'],
    ]
    for (const [item, kind, path] of cases) {
      let error: unknown
      try {
        jsonCodec.encode([item])
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(CodecError)
      // Guards the error shape: a NatsError with code NATS_CODEC and its details.
      expect(error).toMatchObject({ kind, path, code: 'NATS_CODEC', scope: 'nats' })
      expect((error as CodecError).text).toMatch(new RegExp(`^cannot encode a ${kind} at `))
    }
  })

  it('writes plain records in the row layout, each key list once, and reads them back as they were', () => {
    const items = [
      { id: 1, name: 'Anchor', tags: ['a', 'b'], nested: { ok: true, n: null } },
      { id: 2, name: 'Ballast', tags: [], nested: { ok: false, n: 1.5 } },
      { name: 'other key order', id: 3 },
      { 2: 'integer-like keys first', b: 1, 1: 'x' },
      Object.assign(Object.create(null), { id: 4, name: 'no prototype' }),
      {},
      { id: 5, name: 'é ☃ "quoted" \n', tags: ['c'], nested: { ok: true, n: -0.25 } },
    ]
    const payload = jsonCodec.encode(items)
    const text = new TextDecoder().decode(payload)
    expect(text.startsWith('{"$gf":"rows","k":[["id","name","tags","nested"],')).toBe(true)
    expect(payload.byteLength).toBeLessThan(new TextEncoder().encode(JSON.stringify(items)).length)
    const decoded = jsonCodec.decode(payload) as Record<string, unknown>[]
    expect(decoded).toEqual(items)
    expect(decoded.map((each) => Object.keys(each))).toEqual(items.map((each) => Object.keys(each)))
    expect(decoded.every((each) => Object.getPrototypeOf(each) === Object.prototype)).toBe(true)
  })

  // guards the row layout's fallbacks: what it cannot carry goes the tagged way, unchanged
  it('falls back to the tagged array for values, keys and shapes the row layout does not take', () => {
    const cases: unknown[][] = [
      [{ id: 1 }, { id: 2, at: new Date('2020-01-01T00:00:00.000Z') }],
      [{ id: 1 }, { id: 2, gone: undefined }],
      [{ id: 1 }, 'a string item'],
      [{ id: 1 }, [1, 2]],
      [{ id: 1 }, { $gf: 'date', v: 'x' }],
      [{ id: 1 }, JSON.parse('{"__proto__": {"polluted": true}}')],
      Array.from({ length: 40 }, (_, index) => ({ [`key${index}`]: index })), // 40 shapes
      [{ id: 1 }, Object.fromEntries(Array.from({ length: 70 }, (_, index) => [`k${index}`, 1]))],
    ]
    for (const items of cases) {
      const payload = jsonCodec.encode(items)
      expect(new TextDecoder().decode(payload).startsWith('[')).toBe(true)
      expect(jsonCodec.decode(payload)).toEqual(items)
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  // guards decoding untrusted payloads: a "__proto__" key stays an own property, and a row that
  // does not match its shape is an error, not a wrong record
  it('decodes a crafted row-layout payload safely', () => {
    const decode = (text: string) => jsonCodec.decode(new TextEncoder().encode(text))
    const [record] = decode('{"$gf":"rows","k":[["__proto__","a"]],"r":[[0,{"polluted":true},1]]}')
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype)
    expect(Object.keys(record as object)).toEqual(['__proto__', 'a'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(() => decode('{"$gf":"rows","k":[["a"]],"r":[[0,1,2]]}')).toThrow(
      /row 0 does not match a record shape/,
    )
    expect(() => decode('{"$gf":"rows","k":[["a"]],"r":[[1,1]]}')).toThrow(CodecError)
    expect(() => decode('{"$gf":"rows","k":[[1]],"r":[]}')).toThrow(/not a list of keys/)
    expect(() => decode('{"$gf":"rows","k":[]}')).toThrow(/without its shapes and rows/)
  })

  it('refuses a payload that is not an array of items', () => {
    expect(() => jsonCodec.decode(new TextEncoder().encode('{"a":1}'))).toThrow(
      /not a JSON array of items/,
    )
  })
})

describe('checkCodec', () => {
  it('accepts an object with encode and decode, refuses anything else naming the option', () => {
    expect(checkCodec(jsonCodec)).toBe(jsonCodec)
    expect(() => checkCodec({ encode() {} })).toThrow(
      new TypeError(
        'codec: expected { encode(items): Uint8Array, decode(bytes): unknown[] }, got an object',
      ),
    )
    expect(() => checkCodec(null)).toThrow(/got null/)
  })
})
