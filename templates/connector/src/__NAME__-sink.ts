import { defineSink, describeValue, messageOf } from '@graphflow/core'
import { __PASCAL__Error } from './__NAME__-error.js'
import type {
  __PASCAL__SinkOptions,
  __PASCAL__SinkSpec,
  __PASCAL__SinkStats,
} from './__NAME__-sink-options.js'
import { resolveSinkOptions } from './check-options.js'

/**
 * A sink that sends records in batches. Core's `defineSink` buffers them: `writeBatch` gets a
 * full batch while the run goes on and the rest before `close()`, in every outcome (done,
 * halted, aborted, failed).
 *
 * @example
 * ```ts
 * const sink = __CAMEL__Sink({ send: (batch) => console.log(batch.length), batchSize: 500 })
 * ```
 */
export function __CAMEL__Sink<Item extends object>(
  options: __PASCAL__SinkOptions<Item>,
): __PASCAL__SinkSpec<Item> {
  const settings = resolveSinkOptions(options)
  const { send } = settings
  /** This run's counters, from `open()` on. */
  let stats: __PASCAL__SinkStats | undefined

  return defineSink({
    name: settings.name,
    stats: (): __PASCAL__SinkStats => ({ records: 0 }),
    batchSize: settings.batchSize,
    open(context) {
      stats = context.stats
    },
    check(item: Item) {
      if (typeof item !== 'object' || item === null) {
        throw new __PASCAL__Error(`expected a record (an object), got ${describeValue(item)}`, {
          code: '__CONSTANT___INVALID_ITEM',
        })
      }
    },
    async writeBatch(batch: Item[]) {
      try {
        await send(batch)
      } catch (error) {
        throw new __PASCAL__Error(`cannot send ${batch.length} records: ${messageOf(error)}`, {
          code: '__CONSTANT___SEND',
          cause: error,
        })
      }
      if (stats) stats.records += batch.length
    },
  })
}
