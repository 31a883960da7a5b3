import { GraphflowError, type GraphflowErrorOptions } from '@graphflow/core'

/**
 * The stable codes of the errors `@graphflow/nats` throws on purpose, each thrown as its own
 * class:
 * - `NATS_CODEC` ({@link CodecError}): a value the codec cannot carry, or a payload it cannot
 *   decode.
 * - `NATS_PACK` ({@link PackError}): an item that cannot travel in one message, or a value the
 *   codec refused while packing (the error names the node).
 * - `NATS_FENCED` ({@link FencedError}): a publish by a worker that was fenced (marked ended).
 * - `NATS_SERVER` ({@link NatsServerError}): `startLocalNatsServer` found no nats-server, or
 *   the server did not start (the message holds its log).
 */
export type NatsErrorCode = 'NATS_CODEC' | 'NATS_PACK' | 'NATS_FENCED' | 'NATS_SERVER'

/** What a {@link NatsError} takes besides its message: its `code` and `cause`, if any. */
export type NatsErrorDetails = Omit<GraphflowErrorOptions<NatsErrorCode>, 'scope'>

/**
 * The base class of the errors `@graphflow/nats` throws on purpose. The message names the node
 * or the value: `[graphflow] [nats] node "geocode": cannot encode a Map at items[1].tags: ...`;
 * `text` is the same without the prefix.
 *
 * @example
 * ```ts
 * if (error instanceof NatsError && error.code === 'NATS_FENCED') console.log(error.text)
 * ```
 */
export class NatsError extends GraphflowError<NatsErrorCode> {
  override name = 'NatsError'

  constructor(message: string, details: NatsErrorDetails) {
    super(message, { ...details, scope: 'nats' })
  }
}
