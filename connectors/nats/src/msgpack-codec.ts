import { Packr } from 'msgpackr'
import { type Codec, CodecError, kindOf, refuse } from './codec.js'

/** True when `msgpackCodec` returns `value` as it was given (no paths built: the fast check). */
function carried(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return true
    case 'object': {
      if (value === null) return true
      if (depth > 64) return false
      if (Array.isArray(value)) {
        for (let index = 0; index < value.length; index++) {
          if (!carried(value[index], depth + 1)) return false
        }
        return true
      }
      const proto = Object.getPrototypeOf(value)
      if (proto === Object.prototype || proto === null) {
        const record = value as Record<string, unknown>
        for (const key in record) if (!carried(record[key], depth + 1)) return false
        return true
      }
      if (value instanceof Date || Buffer.isBuffer(value)) return true
      return value instanceof Uint8Array && value.constructor === Uint8Array
    }
    default:
      return false
  }
}

/**
 * Throws a {@link CodecError} for the first value `msgpackCodec` would not return as it was
 * given (a class instance would come back a plain object), and does nothing otherwise.
 */
function check(value: unknown, path: string, depth: number): void {
  if (carried(value, depth)) return
  // Not carried: a scalar of another type, a value nested too deep, a container holding one
  // (walked with paths to find it), or an object of another class.
  if (typeof value !== 'object' || value === null) throw refuse(typeof value, path)
  if (depth > 64) throw refuse('value nested over 64 levels', path)
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      check(value[index], `${path}[${index}]`, depth + 1)
    }
    return
  }
  const proto = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) {
    const record = value as Record<string, unknown>
    for (const key in record) check(record[key], `${path}.${key}`, depth + 1)
    return
  }
  throw refuse(kindOf(value), path)
}

/**
 * A MessagePack codec (with [msgpackr](https://github.com/kriszyp/msgpackr)): on small plain
 * records it encodes about 1.4x and decodes about 2.4x as fast as {@link jsonCodec}'s row
 * layout (a JetStream edge, where the transport also costs, gains 1.1x to 1.4x), with payloads
 * a sixth smaller, and the same values round-trip (Date, BigInt, Buffer, Uint8Array,
 * undefined, NaN, ±Infinity) or are refused the same way. Every message is self-contained (record structures travel inline).
 * Producers and consumers of a node must use the same codec.
 */
export function msgpackCodec(): Codec {
  const packr = new Packr({ useRecords: true, moreTypes: true, useBigIntExtension: true })
  return {
    encode(items) {
      if (!carried(items, 0)) check(items, 'items', 0)
      return packr.pack(items)
    },
    decode(bytes) {
      const value: unknown = packr.unpack(bytes)
      if (!Array.isArray(value)) {
        throw new CodecError(
          'cannot decode a message: the payload is not a MessagePack array of items',
          {
            kind: typeof value,
            path: 'payload',
          },
        )
      }
      return value
    },
  }
}
