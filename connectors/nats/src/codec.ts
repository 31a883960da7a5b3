/**
 * How items become message payloads. The default is JSON with tagged values, so that what a
 * node receives equals what its upstream yielded: `Date`, `BigInt`, `Buffer`, `Uint8Array`,
 * `undefined`, `NaN` and `±Infinity` round-trip; values JSON would change silently (a `Map`, a
 * class instance, a function) are refused with a {@link CodecError}.
 */

import { describeValue } from '@graphflow/core'
import { NatsError } from './nats-error.js'

/** Turns a packed list of items into a message payload and back. */
export interface Codec {
  /** Encodes the items of one message. Throw to refuse a value. */
  encode(items: readonly unknown[]): Uint8Array
  /** Decodes one message's payload into its items, in order. */
  decode(bytes: Uint8Array): unknown[]
}

/** What a {@link CodecError} takes besides its message. */
export interface CodecErrorDetails {
  /** What was refused, e.g. `Map` or `function`. */
  kind: string
  /** Where, e.g. `items[3].tags`. */
  path: string
  /** The underlying error, if any. */
  cause?: unknown
}

/**
 * A value the codec cannot carry, or a payload it cannot decode (code `NATS_CODEC`);
 * {@link CodecError.path} says where it is.
 */
export class CodecError extends NatsError {
  override name = 'CodecError'
  /** What was refused, e.g. `Map` or `function`. */
  declare readonly kind: string
  /** Where, e.g. `items[3].tags`. */
  declare readonly path: string

  constructor(message: string, details: CodecErrorDetails) {
    super(message, { ...details, code: 'NATS_CODEC' })
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

/** @internal What a refused object is, for a {@link CodecError}: its class name. */
export function kindOf(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name
  return typeof name === 'string' && name.length > 0 ? name : 'object with a custom prototype'
}

/** Replaces what plain JSON would lose or change by a tagged object; throws for the rest. */
function toJsonValue(value: unknown, path: string): unknown {
  if (isJsonScalar(value)) return value
  switch (typeof value) {
    case 'number':
      return { [TAG]: 'number', v: String(value) }
    case 'bigint':
      return { [TAG]: 'bigint', v: value.toString() }
    case 'undefined':
      return { [TAG]: 'undefined' }
    case 'object': {
      if (value === null) return null
      if (Array.isArray(value)) {
        const out: unknown[] = [] // packed: see toRows
        for (let index = 0; index < value.length; index++) {
          out.push(toJsonValue(value[index], `${path}[${index}]`))
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
    {
      kind,
      path,
    },
  )
}

/** True for the scalars JSON keeps as they are: strings, booleans and finite numbers. */
function isJsonScalar(value: unknown): boolean {
  const type = typeof value
  return type === 'string' || type === 'boolean' || (type === 'number' && Number.isFinite(value))
}

/** True when `value` holds nothing JSON would lose or change (the fast path skips the copy). */
function isPlainJson(value: unknown, depth: number): boolean {
  if (typeof value !== 'object') return isJsonScalar(value)
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

/** The most keys of one record shape, and shapes of one message, in the row layout. */
const MAX_ROW_KEYS = 64
const MAX_ROW_SHAPES = 32

/**
 * A message of plain records in the row layout: each distinct key list (shape) once in `k`,
 * each record as `[shape index, ...values]` in `r`. Half the bytes of an array of objects for
 * small records, and faster both ways: fewer strings to write and parse, and records rebuilt
 * from a per-shape object literal (one hidden class).
 */
interface Rows {
  readonly [TAG]: 'rows'
  readonly k: string[][]
  readonly r: unknown[][]
}

const ROWS_PREFIX = `{"${TAG}":"rows",`

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false
  return true
}

/**
 * The row layout of `items`, or `undefined` when it does not apply: fewer than two items, an
 * item that is not a plain record, a value that is not plain JSON (the tagged path carries it),
 * a key `$gf` or `__proto__`, a shape over {@link MAX_ROW_KEYS} keys, or more than
 * {@link MAX_ROW_SHAPES} shapes. Checks and copies in one pass.
 */
function toRows(items: readonly unknown[]): Rows | undefined {
  if (items.length < 2) return undefined
  const shapes: string[][] = []
  // Arrays grown by push stay packed: JSON.stringify takes its fast path only for those (a
  // preallocated `new Array(n)` is holey and about 1.5x slower to write).
  const rows: unknown[][] = []
  let last: string[] | undefined
  let lastIndex = -1
  for (let index = 0; index < items.length; index++) {
    const item = items[index]
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined
    const proto = Object.getPrototypeOf(item)
    if (proto !== Object.prototype && proto !== null) return undefined
    const record = item as Record<string, unknown>
    if (last !== undefined) {
      // The usual case: the same keys as the previous record, in the same order.
      const row: unknown[] = [lastIndex]
      let count = 0
      for (const key in record) {
        if (count === last.length || key !== last[count]) {
          count = -1
          break
        }
        const value = record[key]
        if (!isPlainJson(value, 1)) return undefined
        row.push(value)
        count++
      }
      if (count === last.length) {
        rows.push(row)
        continue
      }
    }
    const keys = Object.keys(record)
    if (last === undefined || !sameKeys(last, keys)) {
      lastIndex = shapes.findIndex((shape) => sameKeys(shape, keys))
      if (lastIndex < 0) {
        if (shapes.length === MAX_ROW_SHAPES || keys.length > MAX_ROW_KEYS) return undefined
        if (keys.includes(TAG) || keys.includes('__proto__')) return undefined
        lastIndex = shapes.push(keys) - 1
      }
      last = shapes[lastIndex] as string[]
    }
    const row: unknown[] = [lastIndex]
    for (let key = 0; key < keys.length; key++) {
      const value = record[keys[key] as string]
      if (!isPlainJson(value, 1)) return undefined
      row.push(value)
    }
    rows.push(row)
  }
  return { [TAG]: 'rows', k: shapes, r: rows }
}

type RowBuilder = (row: readonly unknown[]) => Record<string, unknown>

/** Builders by shape (`JSON.stringify(keys)`), shared by every decode; bounded. */
const builders = new Map<string, RowBuilder>()
const MAX_BUILDERS = 1_000

/**
 * A function making a record of a shape from a row: an object literal compiled once per shape
 * (keys as JSON string literals, so any key is safe), or, where code generation is disallowed
 * or for a shape the encoder never writes (`__proto__`, too many keys), own properties defined
 * one by one.
 */
function builderOf(keys: unknown): RowBuilder {
  if (!Array.isArray(keys) || !keys.every((key) => typeof key === 'string')) {
    throw new CodecError('cannot decode a message: a record shape is not a list of keys', {
      kind: typeof keys,
      path: 'payload',
    })
  }
  const id = JSON.stringify(keys)
  let builder = builders.get(id)
  if (builder !== undefined) return builder
  const names = keys as string[]
  if (names.length <= MAX_ROW_KEYS && !names.includes('__proto__')) {
    try {
      const fields = names.map((key, index) => `${JSON.stringify(key)}: row[${index + 1}]`)
      builder = new Function('row', `return {${fields.join(', ')}}`) as RowBuilder
    } catch {}
  }
  builder ??= (row) => {
    const record: Record<string, unknown> = {}
    for (let index = 0; index < names.length; index++) {
      Object.defineProperty(record, names[index] as string, {
        value: row[index + 1],
        enumerable: true,
        writable: true,
        configurable: true,
      })
    }
    return record
  }
  if (builders.size >= MAX_BUILDERS) builders.clear()
  builders.set(id, builder)
  return builder
}

function fromRows(value: unknown): unknown[] {
  const { k, r } = value as Partial<Rows>
  if (!Array.isArray(k) || !Array.isArray(r)) {
    throw new CodecError(
      'cannot decode a message: a row-layout payload without its shapes and rows',
      {
        kind: typeof value,
        path: 'payload',
      },
    )
  }
  const make = k.map(builderOf)
  const items = new Array<unknown>(r.length)
  for (let index = 0; index < r.length; index++) {
    const row = r[index] as unknown[]
    const shape = Array.isArray(row) ? row[0] : undefined
    const build = typeof shape === 'number' ? make[shape] : undefined
    if (build === undefined || row.length !== (k[shape as number] as string[]).length + 1) {
      throw new CodecError(`cannot decode a message: row ${index} does not match a record shape`, {
        kind: typeof row,
        path: `payload.r[${index}]`,
      })
    }
    items[index] = build(row as unknown[])
  }
  return items
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
 * The default codec. Plain records (the usual case: objects of strings, numbers, booleans,
 * null, nested plain objects and arrays) are written in a row layout, each key list once
 * (`{"$gf":"rows","k":[keys...],"r":[[shape, values...], ...]}`); anything else as a JSON
 * array of the items, with tagged values for what JSON alone would lose (see the module
 * comment). Both decode to the same items.
 */
export const jsonCodec: Codec = {
  encode(items) {
    const rows = toRows(items)
    if (rows !== undefined) return encoder.encode(JSON.stringify(rows))
    const plain = isPlainJson(items, 0)
    const value = plain ? items : toJsonValue(items, 'items')
    return encoder.encode(JSON.stringify(value))
  },
  decode(bytes) {
    const text = decoder.decode(bytes)
    if (text.startsWith(ROWS_PREFIX)) return fromRows(JSON.parse(text))
    // Without a tag anywhere there is nothing to revive: plain JSON.parse is several times faster.
    const value: unknown = text.includes('"$gf"') ? JSON.parse(text, revive) : JSON.parse(text)
    if (!Array.isArray(value)) {
      throw new CodecError('cannot decode a message: the payload is not a JSON array of items', {
        kind: typeof value,
        path: 'payload',
      })
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
      `${option}: expected { encode(items): Uint8Array, decode(bytes): unknown[] }, got ${describeValue(codec)}`,
    )
  }
  return codec as Codec
}
