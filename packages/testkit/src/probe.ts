import type { NodeContext, NodeSpec } from '@graphflow/core'

/** Counts of a {@link probe}d spec. */
export interface ProbeCounts {
  opens: number
  closes: number
  /** Calls of `fn` that finished without throwing. */
  accepted: number
  /** Items yielded. */
  outputs: number
  /** Items yielded after `close()` started: must stay 0. */
  outputsAfterClose: number
  /** The signal `open()` got. */
  signal: AbortSignal | undefined
}

/**
 * Wraps a spec so that its lifecycle can be checked: how often it was opened and closed, how
 * many calls it accepted, whether it yielded after `close()`.
 */
export function probe<In extends unknown[], Out>(
  spec: NodeSpec<In, Out>,
): { spec: NodeSpec<In, Out>; counts: ProbeCounts } {
  const counts: ProbeCounts = {
    opens: 0,
    closes: 0,
    accepted: 0,
    outputs: 0,
    outputsAfterClose: 0,
    signal: undefined,
  }
  const inner = spec.fn
  const wrapped: NodeSpec<In, Out> = {
    ...spec,
    fn: async function* probed(...input: In) {
      for await (const item of inner(...input)) {
        counts.outputs++
        if (counts.closes > 0) counts.outputsAfterClose++
        yield item
      }
      counts.accepted++
    },
    open: async (context: NodeContext) => {
      counts.opens++
      counts.signal = context.signal
      await spec.open?.(context)
    },
    close: async () => {
      counts.closes++
      await spec.close?.()
    },
  }
  return { spec: wrapped, counts }
}
