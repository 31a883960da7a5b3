import type { DataFlowLoggingOptions, DataFlowStats } from './executor-types.js'
import type { Logger } from './node-spec.js'
import { optionChecks } from './option-checks.js'

/** The default line format of data-flow logging, as in async-graph-data-flow. */
export const DEFAULT_NODE_FORMAT = ' {node} - in={in}, out={out}, err={err}'
const DEFAULT_TIME_INTERVAL_SECONDS = 60
/** The longest timer delay in seconds (2^31 - 1 ms, about 24.8 days). */
const MAX_SECONDS = 2_147_483

/** Settings of data-flow logging once turned on. */
export interface DataFlowLogging {
  nodeFormat: string
  nodeFilter: Set<string> | undefined
  timeIntervalMs: number
  logger: Logger | undefined
}

/** Validates the options of `turnOnDataFlowLogging` and fills in the defaults. */
export function dataFlowLogging(options: DataFlowLoggingOptions): DataFlowLogging {
  const check = optionChecks('turnOnDataFlowLogging')
  check.object(options)
  const { nodeFormat, nodeFilter, timeInterval, logger } = options
  if (nodeFormat !== undefined && typeof nodeFormat !== 'string') {
    check.fail('nodeFormat', 'a string', nodeFormat)
  }
  if (
    timeInterval !== undefined &&
    !(typeof timeInterval === 'number' && timeInterval > 0 && timeInterval <= MAX_SECONDS)
  ) {
    check.fail('timeInterval', `seconds > 0 and <= ${MAX_SECONDS}`, timeInterval)
  }
  if (typeof nodeFilter === 'string') {
    check.fail('nodeFilter', 'an iterable of node names', nodeFilter)
  }
  return {
    nodeFormat: nodeFormat || DEFAULT_NODE_FORMAT,
    nodeFilter: nodeFilter ? new Set(nodeFilter) : undefined,
    timeIntervalMs: (timeInterval ?? DEFAULT_TIME_INTERVAL_SECONDS) * 1000,
    logger,
  }
}

const PLACEHOLDER = /\{(node|in|out|err)\}/g

/** Writes one line per (filtered) node through `logger.info`. */
export function logDataFlow(stats: DataFlowStats, settings: DataFlowLogging, logger: Logger): void {
  for (const [node, flow] of Object.entries(stats)) {
    if (settings.nodeFilter && !settings.nodeFilter.has(node)) continue
    logger.info(
      settings.nodeFormat.replace(PLACEHOLDER, (_, key: 'node' | 'in' | 'out' | 'err') =>
        key === 'node' ? node : String(flow[key]),
      ),
    )
  }
}
