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

/** Turns anything thrown into an `Error`, keeping the original as `cause`. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown
  return new Error(`non-Error value thrown: ${String(thrown)}`, { cause: thrown })
}
