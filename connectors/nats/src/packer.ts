import type { Codec } from './codec.js'
import { CodecError } from './codec.js'
import { NatsError } from './nats-error.js'

/** Room left in a message for its headers (message id, JetStream headers). */
export const HEADER_ROOM = 1024

/** The server's default `max_payload` (1 MiB), used when the connection does not say. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024

/** An item that cannot travel in one message, or a value the codec refused (code `NATS_PACK`). */
export class PackError extends NatsError {
  override name = 'PackError'

  constructor(message: string, details: { cause?: unknown } = {}) {
    super(message, { ...details, code: 'NATS_PACK' })
  }
}

/** One message's payload and how many items it carries. */
export interface Pack {
  readonly payload: Uint8Array
  readonly count: number
}

/** What {@link encodePacks} needs. */
export interface PackLimits {
  /** The node the items go to (named in errors). */
  readonly node: string
  readonly codec: Codec
  /** The most bytes in one payload. */
  readonly maxBytes: number
}

/**
 * Encodes `items` into as few payloads as the byte cap allows, in order: one when they fit,
 * else the list is split in halves until every part fits. An item alone over the cap is a
 * {@link PackError} naming the node, its size and the cap; a value the codec refuses is one
 * naming the node and the value's kind.
 */
export function encodePacks(items: readonly unknown[], limits: PackLimits): Pack[] {
  const out: Pack[] = []
  const encodeInto = (part: readonly unknown[], offset: number) => {
    let payload: Uint8Array
    try {
      payload = limits.codec.encode(part)
    } catch (error) {
      const what =
        error instanceof CodecError
          ? `${error.text.replace(/items\[(\d+)\]/, (_, index) => `items[${offset + Number(index)}]`)}`
          : String((error as Error)?.message ?? error)
      throw new PackError(`node "${limits.node}": ${what}`, { cause: error })
    }
    if (payload.byteLength <= limits.maxBytes) {
      out.push({ payload, count: part.length })
      return
    }
    if (part.length === 1) {
      throw new PackError(
        `node "${limits.node}": an item encodes to ${payload.byteLength} bytes, over the ${limits.maxBytes}-byte message cap (the server's max_payload less ${HEADER_ROOM} bytes of headers, or maxBytes): make the item smaller or raise max_payload on the server`,
      )
    }
    const half = Math.ceil(part.length / 2)
    encodeInto(part.slice(0, half), offset)
    encodeInto(part.slice(half), offset + half)
  }
  if (items.length > 0) encodeInto(items, 0)
  return out
}

/** The byte cap for a connection: `maxBytes` when given, never above `max_payload` less headers. */
export function byteCap(serverMaxPayload: number | undefined, maxBytes?: number): number {
  const serverCap = (serverMaxPayload ?? DEFAULT_MAX_PAYLOAD) - HEADER_ROOM
  return maxBytes === undefined ? serverCap : Math.min(maxBytes, serverCap)
}
