/**
 * How items become message payloads. The default is JSON with tagged values, so that what a
 * node receives equals what its upstream yielded: `Date`, `BigInt`, `Buffer`, `Uint8Array`,
 * `undefined`, `NaN` and `±Infinity` round-trip; values JSON would change silently (a `Map`, a
 * class instance, a function) are refused with a {@link CodecError}.
 */

/** Turns a packed list of items into a message payload and back. */
export interface Codec {
  /** Encodes the items of one message. Throw to refuse a value. */
  encode(items: readonly unknown[]): Uint8Array
  /** Decodes one message's payload into its items, in order. */
  decode(bytes: Uint8Array): unknown[]
}

/** A value the codec cannot carry; {@link CodecError.path} says where it is. */
export class CodecError extends Error {
  override readonly name = 'CodecError'
  constructor(
    message: string,
    /** What was refused, e.g. `Map` or `function`. */
    readonly kind: string,
    /** Where, e.g. `items[3].tags`. */
    readonly path: string,
  ) {
    super(message)
  }
}

const TAG = '$gf'

type Tagged =
  | { $gf: 'date'; v: string }
  | { $gf: 'bigint'; v: string }
  | { $gf: 'bytes'; v: string }
  | { $gf: 'buffer'; v: string }
  | { $gf: 'number'; v: 'NaN' | 'Infinity' | '-Infinity' }
  | { $gf: 'undefined' }
  | { $gf: 'object'; v: [string, unknown][] }

function kindOf(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name
  return typeof name === 'string' && name.length > 0 ? name : 'object with a custom prototype'
}

/** Replaces what plain JSON would lose or change by a tagged object; throws for the rest. */
function toJsonValue(value: unknown, path: string): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      return Number.isFinite(value) ? value : { [TAG]: 'number', v: String(value) }
    case 'bigint':
      return { [TAG]: 'bigint', v: value.toString() }
    case 'undefined':
      return { [TAG]: 'undefined' }
    case 'object': {
      if (value === null) return null
      if (Array.isArray(value)) {
        const out = new Array<unknown>(value.length)
        for (let index = 0; index < value.length; index++) {
          out[index] = toJsonValue(value[index], `${path}[${index}]`)
        }
        return out
      }
      const proto = Object.getPrototypeOf(value)
      if (proto === Object.prototype || proto === null) {
        const record = value as Record<string, unknown>
        const out: Record<string, unknown> = {}
        for (const key in record) {
          if (Object.hasOwn(record, key)) out[key] = toJsonValue(record[key], `${path}.${key}`)
        }
        return Object.hasOwn(record, TAG) ? { [TAG]: 'object', v: Object.entries(out) } : out
      }
      if (value instanceof Date) return { [TAG]: 'date', v: value.toISOString() }
      if (Buffer.isBuffer(value)) return { [TAG]: 'buffer', v: value.toString('base64') }
      if (value instanceof Uint8Array && value.constructor === Uint8Array) {
        return {
          [TAG]: 'bytes',
          v: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
        }
      }
      throw refuse(kindOf(value), path)
    }
    default:
      throw refuse(typeof value, path)
  }
}

/** @internal The error for a value the codecs cannot carry. */
export function refuse(kind: string, path: string): CodecError {
  return new CodecError(
    `cannot encode a ${kind} at ${path}: the codec carries plain objects, arrays, strings, numbers, booleans, null, undefined, Date, BigInt, Buffer and Uint8Array; convert it first or pass a \`codec\` option`,
    kind,
    path,
  )
}

/** True when `value` holds nothing JSON would lose or change (the fast path skips the copy). */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value)
    case 'object': {
      if (value === null) return true
      if (depth > 64) return false
      if (Array.isArray(value)) {
        for (const each of value) if (!isPlainJson(each, depth + 1)) return false
        return true
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) return false
      const record = value as Record<string, unknown>
      for (const key in record) {
        if (key === TAG || !isPlainJson(record[key], depth + 1)) return false
      }
      return true
    }
    default:
      return false
  }
}

/** Stands for `undefined` while parsing: a reviver returning `undefined` deletes the key. */
const UNDEFINED: unique symbol = Symbol('graphflow.nats.undefined')

/** Replaces the {@link UNDEFINED} placeholders among a container's own values. */
function restoreUndefined(container: Record<string, unknown> | unknown[]): void {
  if (Array.isArray(container)) {
    for (let index = 0; index < container.length; index++) {
      if (container[index] === UNDEFINED) container[index] = undefined
    }
  } else {
    for (const key in container) if (container[key] === UNDEFINED) container[key] = undefined
  }
}

function revive(this: unknown, _key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    restoreUndefined(value)
    return value
  }
  const tagged = value as Partial<Tagged> & Record<string, unknown>
  if (!Object.hasOwn(tagged, TAG)) {
    restoreUndefined(tagged)
    return value
  }
  const item = tagged as Tagged
  switch (item.$gf) {
    case 'date':
      return new Date(item.v)
    case 'bigint':
      return BigInt(item.v)
    case 'buffer':
      return Buffer.from(item.v, 'base64')
    case 'bytes':
      return new Uint8Array(Buffer.from(item.v, 'base64'))
    case 'number':
      return Number(item.v)
    case 'undefined':
      return UNDEFINED
    case 'object': {
      const record = Object.fromEntries(item.v)
      restoreUndefined(record)
      return record
    }
    default:
      return value
  }
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * The default codec: a JSON array of the items, with tagged values for what JSON alone would
 * lose (see the module comment). Items that are plain JSON already are stringified directly.
 */
export const jsonCodec: Codec = {
  encode(items) {
    const plain = isPlainJson(items, 0)
    const value = plain ? items : toJsonValue(items, 'items')
    return encoder.encode(JSON.stringify(value))
  },
  decode(bytes) {
    const text = decoder.decode(bytes)
    // Without a tag anywhere there is nothing to revive: plain JSON.parse is several times faster.
    const value: unknown = text.includes('"$gf"') ? JSON.parse(text, revive) : JSON.parse(text)
    if (!Array.isArray(value)) {
      throw new CodecError(
        'cannot decode a message: the payload is not a JSON array of items',
        typeof value,
        'payload',
      )
    }
    return value
  },
}

/** Checks a user-given `codec` option. */
export function checkCodec(codec: unknown, option = 'codec'): Codec {
  if (
    codec === null ||
    typeof codec !== 'object' ||
    typeof (codec as Codec).encode !== 'function' ||
    typeof (codec as Codec).decode !== 'function'
  ) {
    throw new TypeError(
      `${option}: expected { encode(items): Uint8Array, decode(bytes): unknown[] }, got ${codec === null ? 'null' : typeof codec}`,
    )
  }
  return codec as Codec
}
