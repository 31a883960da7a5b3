import { describe, expect, it } from 'vitest'
import { CodecError } from './codec.js'
import { msgpackCodec } from './msgpack-codec.js'

describe('msgpackCodec', () => {
  it('round-trips the values jsonCodec does, between separate codec instances', () => {
    const items = [
      {
        id: 1,
        opened: new Date('1896-01-01T00:00:00.000Z'),
        big: 12345678901234567890123n,
        raw: Buffer.from('héllo'),
        bytes: new Uint8Array([0, 1, 255]),
        missing: undefined,
        ratio: Number.NaN,
        inf: Number.NEGATIVE_INFINITY,
        $gf: 'data',
        list: [undefined, 1n, null],
      },
      'text',
    ]
    const decoded = msgpackCodec().decode(msgpackCodec().encode(items)) as [Record<string, unknown>]
    expect(decoded[0].raw).toBeInstanceOf(Buffer)
    expect(Buffer.isBuffer(decoded[0].bytes)).toBe(false)
    expect(decoded).toEqual(items)
  })

  // guards against record structures leaking between messages: each decodes on its own
  it('keeps every message self-contained', () => {
    const producer = msgpackCodec()
    const first = producer.encode([{ a: 1, b: 2 }])
    const second = producer.encode([{ a: 3, b: 4 }])
    expect(msgpackCodec().decode(second)).toEqual([{ a: 3, b: 4 }])
    expect(msgpackCodec().decode(first)).toEqual([{ a: 1, b: 2 }])
  })

  it('refuses values it would change, naming the kind and where it is', () => {
    for (const [item, kind, path] of [
      [{ tags: new Map() }, 'Map', 'items[0].tags'],
      [new (class Point {})(), 'Point', 'items[0]'],
      [{ fn: () => 1 }, 'function', 'items[0].fn'],
    ] as const) {
      let error: unknown
      try {
        msgpackCodec().encode([item])
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(CodecError)
      expect(error).toMatchObject({ kind, path })
    }
  })
})
