import type { ExecutionReport } from './executor-types.js'

/** Options of a {@link GraphflowError}. */
export interface GraphflowErrorOptions {
  /** A stable, machine-readable code such as `DUPLICATE_NODE` or `HTTP_STATUS`. */
  code: string
  /** What the error is about: a node name or a connector name. Shown in brackets in the message. */
  scope?: string
  /** The underlying error, if any. */
  cause?: unknown
}

/**
 * The base class of every error graphflow and its connectors throw on purpose.
 *
 * The message names its scope: `[graphflow] [csv] cannot write /out/x.csv: EACCES`.
 *
 * @example
 * ```ts
 * if (error instanceof GraphflowError && error.code === 'HTTP_STATUS') retryLater()
 * ```
 */
export class GraphflowError extends Error {
  override name = 'GraphflowError'
  /** A stable, machine-readable code. */
  readonly code: string
  /** The node or connector the error is about, when there is one. */
  readonly scope: string | undefined

  constructor(message: string, options: GraphflowErrorOptions) {
    const prefix = options.scope ? `[graphflow] [${options.scope}] ` : '[graphflow] '
    super(prefix + message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = options.code
    this.scope = options.scope
  }
}

/** A graph that cannot run: a cycle, no start nodes, an unknown start node. */
export class InvalidAsyncGraphError extends GraphflowError {
  override name = 'InvalidAsyncGraphError'

  constructor(message: string, options: Partial<GraphflowErrorOptions> = {}) {
    super(message, { code: 'INVALID_GRAPH', ...options })
  }
}

/**
 * What `execute({ rejectOnError: true })` rejects with when a node raised an error: an
 * `AggregateError` of the kept exceptions (the newest `maxExceptions` per node), thrown
 * after every node closed, with the run's report.
 *
 * @example
 * ```ts
 * try {
 *   await executor.execute({ rejectOnError: true })
 * } catch (error) {
 *   if (error instanceof ExecutionFailedError) console.error(error.report.dataFlowStats)
 * }
 * ```
 */
export class ExecutionFailedError extends AggregateError {
  override name = 'ExecutionFailedError'
  /** Always `'NODE_ERRORS'`. */
  readonly code = 'NODE_ERRORS'
  /** The report `execute()` would have resolved with. */
  readonly report: ExecutionReport

  constructor(report: ExecutionReport) {
    const failed = Object.entries(report.dataFlowStats)
      .filter(([, stats]) => stats.err > 0)
      .map(([node, stats]) => `'${node}' (${stats.err})`)
    super(
      Object.values(report.exceptions).flat(),
      `[graphflow] the run had node errors: ${failed.join(', ')}${report.halted ? `; halted by '${report.haltedBy}'` : ''}`,
    )
    this.report = report
  }
}

/** Turns anything thrown into an `Error`, keeping the original as `cause`. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown
  return new Error(`non-Error value thrown: ${String(thrown)}`, { cause: thrown })
}
