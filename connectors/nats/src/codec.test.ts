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
      expect(error).toMatchObject({ kind, path })
      expect((error as Error).message).toContain(`cannot encode a ${kind} at ${path}`)
    }
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
        'codec: expected { encode(items): Uint8Array, decode(bytes): unknown[] }, got object',
      ),
    )
    expect(() => checkCodec(null)).toThrow(/got null/)
  })
})
