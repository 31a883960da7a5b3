import { defineSink, type NodeSpec } from '@graphflow/core'
import { __PASCAL__Error } from './__NAME__-error.js'
import {
  checkFunction,
  checkInteger,
  checkName,
  checkObject,
  describeValue,
  messageOf,
} from './check-options.js'

/** Options of {@link __CAMEL__Sink}. `Item` is the type of the records it takes. */
export interface __PASCAL__SinkOptions<Item extends object> {
  /**
   * Stores one batch of records: called with `batchSize` records while the run goes on, and from
   * `close()` with the rest. This is the I/O seam: call your API's bulk write here. The last call
   * also happens after a halt or an abort (everything the sink accepted is stored), so it gets no
   * signal.
   */
  send: (batch: Item[]) => Promise<void> | void
  /** The node's default name (`addNode(spec, { name })` overrides it). @default '__CAMEL__Sink' */
  name?: string
  /** How many records to buffer before sending them. @default 100 */
  batchSize?: number
}

const FACTORY = '__CAMEL__Sink'

/**
 * A sink that buffers records and sends them in batches: a full batch while the run goes on, the
 * rest in `close()`, which the executor calls in every outcome (done, halted, aborted, failed).
 *
 * @example
 * ```ts
 * const sink = __CAMEL__Sink({ send: (batch) => console.log(batch.length), batchSize: 500 })
 * ```
 */
export function __CAMEL__Sink<Item extends object>(
  options: __PASCAL__SinkOptions<Item>,
): NodeSpec<[Item], never> {
  checkObject(FACTORY, options)
  checkFunction(FACTORY, 'send', options.send)
  checkName(FACTORY, options.name)
  checkInteger(FACTORY, 'batchSize', options.batchSize, 1)
  const { send } = options
  const batchSize = options.batchSize ?? 100
  /** The records accepted and not sent yet; `undefined` while the sink is not open. */
  let buffer: Item[] | undefined

  async function sendBatch(batch: Item[]): Promise<void> {
    if (batch.length === 0) return
    try {
      await send(batch)
    } catch (error) {
      throw new __PASCAL__Error(
        `cannot send ${batch.length} records: ${messageOf(error)}`,
        '__CONSTANT___SEND',
        error,
      )
    }
  }

  return defineSink({
    name: options.name ?? FACTORY,
    open() {
      buffer = []
    },
    async write(item: Item) {
      if (!buffer) {
        throw new __PASCAL__Error(
          'the sink is not open: run it in a graph',
          '__CONSTANT___NOT_OPEN',
        )
      }
      if (typeof item !== 'object' || item === null) {
        throw new __PASCAL__Error(
          `expected a record (an object), got ${describeValue(item)}`,
          '__CONSTANT___INVALID_ITEM',
        )
      }
      buffer.push(item)
      if (buffer.length >= batchSize) await sendBatch(buffer.splice(0))
    },
    async close() {
      const rest = buffer ?? []
      buffer = undefined
      await sendBatch(rest)
    },
  })
}
