import type { ExecutionReport } from './executor-types.js'

/**
 * The codes of the errors `@graphflow/core` itself throws, each thrown as its own class:
 * - `INVALID_GRAPH` ({@link InvalidAsyncGraphError}): the graph cannot run (a cycle, no start
 *   nodes).
 * - `DUPLICATE_NODE` ({@link DuplicateNodeError}): `addNode` with a name the graph already has.
 * - `UNKNOWN_NODE` ({@link UnknownNodeError}): an edge, a start node or a placement names a node
 *   the graph does not have.
 * - `DUPLICATE_START_NODE` ({@link DuplicateStartNodeError}): the same node given twice as a
 *   start node.
 * - `FOREIGN_NODE_REF` ({@link ForeignNodeRefError}): an edge or a start node with a ref made by
 *   another graph.
 * - `QUEUE_IN_USE` ({@link QueueInUseError}): a queue instance in use by another run at the same
 *   time.
 * - `ALREADY_RUNNING` ({@link AlreadyRunningError}): `execute()` while the executor is running.
 * - `QUEUE_ENDED` ({@link QueueEndedError}): a put into, or a get from, a queue that has ended.
 * - `NOT_TRACKED` ({@link NotTrackedError}): `push(item, onDone)` outside a tracked run.
 * - `CHECKPOINT_STATE` ({@link CheckpointStateError}): a checkpoint file or saved run state that
 *   is corrupt, foreign or of another version (the error names the file or the key).
 * - `CHECKPOINT_STORE` ({@link CheckpointStoreError}): the last write of a resumable run's state
 *   failed.
 *
 * The graph errors (`INVALID_GRAPH` to `ALREADY_RUNNING`) extend `InvalidAsyncGraphError`; every
 * class extends {@link GraphflowError}, so `instanceof` works across duplicated installs.
 */
export type CoreErrorCode =
  | GraphErrorCode
  | 'QUEUE_ENDED'
  | 'NOT_TRACKED'
  | 'CHECKPOINT_STATE'
  | 'CHECKPOINT_STORE'

/** The codes of the errors about the graph or its run: {@link InvalidAsyncGraphError} and its subclasses. */
export type GraphErrorCode =
  | 'INVALID_GRAPH'
  | 'DUPLICATE_NODE'
  | 'UNKNOWN_NODE'
  | 'DUPLICATE_START_NODE'
  | 'FOREIGN_NODE_REF'
  | 'QUEUE_IN_USE'
  | 'ALREADY_RUNNING'

/** Options of a {@link GraphflowError}. */
export interface GraphflowErrorOptions<Code extends string = string> {
  /** A stable, machine-readable code such as `DUPLICATE_NODE` or `HTTP_STATUS`. */
  code: Code
  /** What the error is about: a node name or a connector name. Shown in brackets in the message. */
  scope?: string | undefined
  /** The underlying error, if any. */
  cause?: unknown
}

/** Keys of the options that are not copied onto the error as details. */
const RESERVED = new Set(['code', 'scope', 'cause', 'message', 'name', 'stack', 'text'])

/** The brand every graphflow error carries, shared by every copy of `@graphflow/core`. */
const BRAND: unique symbol = Symbol.for('graphflow.error') as never

/** The name an error class is recognised by across copies: its own `brand`, else its name. */
function brandOf(errorClass: unknown): string | undefined {
  if (typeof errorClass !== 'function') return undefined
  const branded = errorClass as { brand?: unknown; name: string }
  return Object.hasOwn(branded, 'brand') && typeof branded.brand === 'string'
    ? branded.brand
    : branded.name
}

/**
 * The base class of every error graphflow and its connectors throw on purpose.
 *
 * The message names its scope: `[graphflow] [csv] cannot write /out/x.csv: EACCES`; `text`
 * keeps it without the prefix. Every key of the options besides `code`, `scope` and `cause` is
 * copied onto the error as a detail (`path`, `record`, `status`, ...): a subclass declares them
 * with `declare readonly path: string` and passes them in one object.
 *
 * `instanceof` works across two copies of a package (a duplicated install): instances carry
 * `Symbol.for('graphflow.error')`, and a class matches a branded error whose prototype chain
 * has a class of the same name (or the same static `brand`).
 *
 * @example
 * ```ts
 * type ShopErrorCode = 'SHOP_SEND' | 'SHOP_NOT_OPEN'
 * class ShopError extends GraphflowError<ShopErrorCode> {
 *   override name = 'ShopError'
 *   declare readonly order: number | undefined
 *   constructor(message: string, options: { code: ShopErrorCode; order?: number; cause?: unknown }) {
 *     super(message, { ...options, scope: 'shop' })
 *   }
 * }
 * if (error instanceof ShopError && error.code === 'SHOP_SEND') retryLater(error.order)
 * ```
 */
export class GraphflowError<Code extends string = string> extends Error {
  override name = 'GraphflowError'
  /** A stable, machine-readable code. */
  readonly code: Code
  /** The node or connector the error is about, when there is one. */
  readonly scope: string | undefined
  /** The message without its `[graphflow] [scope] ` prefix. */
  readonly text: string
  declare readonly [BRAND]: true

  constructor(message: string, options: GraphflowErrorOptions<Code>) {
    const prefix = options.scope ? `[graphflow] [${options.scope}] ` : '[graphflow] '
    super(prefix + message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = options.code
    this.scope = options.scope
    this.text = message
    for (const key of Object.keys(options)) {
      if (!RESERVED.has(key)) {
        ;(this as Record<string, unknown>)[key] = (options as unknown as Record<string, unknown>)[
          key
        ]
      }
    }
  }

  /** `instanceof` that also recognises errors made by another copy of the same class. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the (sub)class `instanceof` asks about
    return isInstance(this, value)
  }
}

function isInstance(errorClass: unknown, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(errorClass, value)) return true
  if (typeof value !== 'object' || value === null || !(BRAND in value)) return false
  const wanted = brandOf(errorClass)
  for (let prototype = Object.getPrototypeOf(value); prototype !== null; ) {
    if (Object.hasOwn(prototype, 'constructor') && brandOf(prototype.constructor) === wanted) {
      return true
    }
    prototype = Object.getPrototypeOf(prototype)
  }
  return false
}
Object.defineProperty(GraphflowError.prototype, BRAND, { value: true })

/** What a core error class takes besides its message: everything but the code, which is the class's. */
export type CoreErrorOptions = Omit<GraphflowErrorOptions, 'code'>

/**
 * A graph that cannot run: a cycle, no start nodes (`INVALID_GRAPH`); the base class of the
 * other graph errors (`DUPLICATE_NODE`, `UNKNOWN_NODE`, ...), so `instanceof
 * InvalidAsyncGraphError` catches them all.
 */
export class InvalidAsyncGraphError<
  Code extends GraphErrorCode = 'INVALID_GRAPH',
> extends GraphflowError<Code> {
  override name = 'InvalidAsyncGraphError'

  constructor(message: string, options: Partial<GraphflowErrorOptions<Code>> = {}) {
    super(message, { code: 'INVALID_GRAPH' as Code, ...options })
  }
}

/** What a core error class's constructor takes after the message: options, required when `Details` are. */
type CoreErrorArgs<Details> = object extends Details
  ? [options?: CoreErrorOptions & Details]
  : [options: CoreErrorOptions & Details]

/** The base of the class of one core code that is not about the graph: sets the code and the name. */
function codeClass<Code extends CoreErrorCode, Details extends object = object>(
  code: Code,
  name: string,
) {
  return class extends GraphflowError<Code> {
    override name = name
    constructor(message: string, ...[options]: CoreErrorArgs<Details>) {
      super(message, { ...options, code })
    }
  }
}

/** The base of the class of one graph code: an {@link InvalidAsyncGraphError} with that code. */
function graphCodeClass<Code extends GraphErrorCode>(code: Code, name: string) {
  return class extends InvalidAsyncGraphError<Code> {
    override name = name
    constructor(message: string, options: CoreErrorOptions = {}) {
      super(message, { ...options, code })
    }
  }
}

/** `DUPLICATE_NODE`: `addNode` with a name the graph already has. */
export class DuplicateNodeError extends graphCodeClass('DUPLICATE_NODE', 'DuplicateNodeError') {}

/** `UNKNOWN_NODE`: an edge, a start node or a placement names a node the graph does not have. */
export class UnknownNodeError extends graphCodeClass('UNKNOWN_NODE', 'UnknownNodeError') {}

/** `DUPLICATE_START_NODE`: the same node given twice as a start node. */
export class DuplicateStartNodeError extends graphCodeClass(
  'DUPLICATE_START_NODE',
  'DuplicateStartNodeError',
) {}

/** `FOREIGN_NODE_REF`: an edge or a start node with a ref made by another graph. */
export class ForeignNodeRefError extends graphCodeClass(
  'FOREIGN_NODE_REF',
  'ForeignNodeRefError',
) {}

/** `QUEUE_IN_USE`: a node's queue instance is in use by another run at the same time. */
export class QueueInUseError extends graphCodeClass('QUEUE_IN_USE', 'QueueInUseError') {}

/** `ALREADY_RUNNING`: `execute()` while the executor is running. */
export class AlreadyRunningError extends graphCodeClass('ALREADY_RUNNING', 'AlreadyRunningError') {}

/**
 * `CHECKPOINT_STATE`: a checkpoint file or saved run state that is corrupt, foreign or of
 * another version; `path` names the file when the error is about one.
 */
export class CheckpointStateError extends codeClass<'CHECKPOINT_STATE', { path?: string }>(
  'CHECKPOINT_STATE',
  'CheckpointStateError',
) {
  /** The checkpoint file, when the error is about one. */
  declare readonly path: string | undefined
}

/** `QUEUE_ENDED`: a put into, or a get from, a queue that has ended. */
export class QueueEndedError extends codeClass('QUEUE_ENDED', 'QueueEndedError') {}

/** `NOT_TRACKED`: `push(item, onDone)` outside a tracked run. */
export class NotTrackedError extends codeClass('NOT_TRACKED', 'NotTrackedError') {}

/**
 * `CHECKPOINT_STORE`: the last write of a resumable run's state failed; `report` is what
 * `execute()` would have resolved with.
 */
export class CheckpointStoreError extends codeClass<
  'CHECKPOINT_STORE',
  { report: ExecutionReport }
>('CHECKPOINT_STORE', 'CheckpointStoreError') {
  /** The report `execute()` would have resolved with. */
  declare readonly report: ExecutionReport
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
