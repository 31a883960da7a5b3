import { describe, expect, it } from 'vitest'
import { jsonCodec } from './codec.js'
import { NatsError } from './nats-error.js'
import {
  byteCap,
  DEFAULT_MAX_PAYLOAD,
  encodePacks,
  HEADER_ROOM,
  type Pack,
  PackError,
} from './packer.js'

const decodeAll = (packs: Pack[]) =>
  packs.flatMap((each) => {
    const items = jsonCodec.decode(each.payload)
    expect(items).toHaveLength(each.count)
    return items
  })

describe('encodePacks', () => {
  it('puts items that fit into one payload', () => {
    const items = Array.from({ length: 100 }, (_, id) => ({ id }))
    const payloads = encodePacks(items, { node: 'n', codec: jsonCodec, maxBytes: 100_000 })
    expect(payloads).toHaveLength(1)
    expect(decodeAll(payloads)).toEqual(items)
  })

  it('splits under the byte cap, keeping order', () => {
    const items = Array.from({ length: 1000 }, (_, id) => ({ id, text: 'x'.repeat(50) }))
    const payloads = encodePacks(items, { node: 'n', codec: jsonCodec, maxBytes: 4096 })
    expect(payloads.length).toBeGreaterThan(10)
    for (const { payload } of payloads) expect(payload.byteLength).toBeLessThanOrEqual(4096)
    expect(decodeAll(payloads)).toEqual(items)
  })

  it('refuses an item larger than the cap, naming the node and the sizes', () => {
    const items = [{ id: 1 }, { blob: 'x'.repeat(10_000) }]
    expect(() => encodePacks(items, { node: 'geocode', codec: jsonCodec, maxBytes: 4096 })).toThrow(
      /node "geocode": an item encodes to 10\d{3} bytes, over the 4096-byte message cap/,
    )
  })

  it('names the node, the value kind and the item index when the codec refuses a value', () => {
    const items = [{ id: 1 }, { id: 2, tags: new Map() }]
    let error: unknown
    try {
      encodePacks(items, { node: 'geocode', codec: jsonCodec, maxBytes: 4096 })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(PackError)
    // Guards the error shape: a NatsError with its code, the codec's text embedded once.
    expect(error).toBeInstanceOf(NatsError)
    expect(error).toMatchObject({ code: 'NATS_PACK', scope: 'nats' })
    expect((error as Error).message).toMatch(
      /^\[graphflow\] \[nats\] node "geocode": cannot encode a Map at items\[1\]\.tags/,
    )
    expect((error as PackError).text).toMatch(/^node "geocode": cannot encode a Map/)
  })

  it('uses a pluggable codec', () => {
    const codec = {
      encode: (items: readonly unknown[]) => new TextEncoder().encode(items.join('\n')),
      decode: (bytes: Uint8Array) => new TextDecoder().decode(bytes).split('\n'),
    }
    const payloads = encodePacks(['a', 'b', 'c'], { node: 'n', codec, maxBytes: 3 })
    expect(payloads.map((each) => codec.decode(each.payload))).toEqual([['a', 'b'], ['c']])
  })
})

describe('byteCap', () => {
  it('stays under the server max_payload less header room, 1 MiB when unknown', () => {
    expect(byteCap(undefined)).toBe(DEFAULT_MAX_PAYLOAD - HEADER_ROOM)
    expect(byteCap(8 * 1024 * 1024)).toBe(8 * 1024 * 1024 - HEADER_ROOM)
    expect(byteCap(1024 * 1024, 64 * 1024)).toBe(64 * 1024)
    expect(byteCap(64 * 1024, 1024 * 1024)).toBe(64 * 1024 - HEADER_ROOM)
  })
})
