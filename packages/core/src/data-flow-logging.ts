import type { DataFlowLoggingOptions, DataFlowStats } from './executor-types.js'
import type { Logger } from './node-spec.js'

/** The default line format of data-flow logging, as in async-graph-data-flow. */
export const DEFAULT_NODE_FORMAT = ' {node} - in={in}, out={out}, err={err}'
const DEFAULT_TIME_INTERVAL_SECONDS = 60

/** Settings of data-flow logging once turned on. */
export interface DataFlowLogging {
  nodeFormat: string
  nodeFilter: Set<string> | undefined
  timeIntervalMs: number
  logger: Logger | undefined
}

/** Validates the options of `turnOnDataFlowLogging` and fills in the defaults. */
export function dataFlowLogging(options: DataFlowLoggingOptions): DataFlowLogging {
  const { nodeFormat, nodeFilter, timeInterval, logger } = options
  if (nodeFormat !== undefined && typeof nodeFormat !== 'string') {
    throw new TypeError(
      `turnOnDataFlowLogging "nodeFormat": expected a string, got ${typeof nodeFormat}`,
    )
  }
  if (timeInterval !== undefined && !(typeof timeInterval === 'number' && timeInterval > 0)) {
    throw new TypeError(
      `turnOnDataFlowLogging "timeInterval": expected seconds > 0, got ${String(timeInterval)}`,
    )
  }
  if (nodeFilter !== undefined && typeof nodeFilter === 'string') {
    throw new TypeError(
      'turnOnDataFlowLogging "nodeFilter": expected an iterable of node names, got a string',
    )
  }
  return {
    nodeFormat: nodeFormat || DEFAULT_NODE_FORMAT,
    nodeFilter: nodeFilter ? new Set(nodeFilter) : undefined,
    timeIntervalMs: (timeInterval ?? DEFAULT_TIME_INTERVAL_SECONDS) * 1000,
    logger,
  }
}

/** Writes one line per (filtered) node through `logger.info`. */
export function logDataFlow(stats: DataFlowStats, settings: DataFlowLogging, logger: Logger): void {
  for (const [node, flow] of Object.entries(stats)) {
    if (settings.nodeFilter && !settings.nodeFilter.has(node)) continue
    logger.info(
      settings.nodeFormat
        .replaceAll('{node}', node)
        .replaceAll('{in}', String(flow.in))
        .replaceAll('{out}', String(flow.out))
        .replaceAll('{err}', String(flow.err)),
    )
  }
}
