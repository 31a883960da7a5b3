import { type AnyNodeRef, isNodeRef, type NodeRef } from './node-ref.js'

const startNodeBrand = Symbol.for('graphflow.start-node')

/** A start node of a run with its arguments, made by {@link startNode} from the node's ref. */
export interface StartNode {
  /** The node's ref. */
  readonly ref: AnyNodeRef
  /** The arguments its start call gets, spread. */
  readonly args: readonly unknown[]
}

/**
 * The arguments a node's start call takes: the function's parameters, or any arguments behind
 * a custom queue (whose ref carries what the queue accepts, not the function's parameters).
 */
export type StartArgsOf<Ref> =
  Ref extends NodeRef<infer In, unknown, infer Mode, unknown>
    ? 'queue' extends Mode
      ? unknown[]
      : In
    : never

/**
 * Names a start node by its ref, with arguments the compiler checks against the function's
 * parameters: `execute({ startNodes: [startNode(fetchPage, 'https://...')] })`.
 *
 * @example
 * ```ts
 * const fetchPage = graph.addNode(async function* fetchPage(url: string) { ... })
 * await executor.execute({ startNodes: [startNode(fetchPage, 'https://example.com')] })
 * // startNode(fetchPage, 42) does not compile: 42 is not a string
 * ```
 */
export function startNode<Ref extends AnyNodeRef>(ref: Ref, ...args: StartArgsOf<Ref>): StartNode {
  if (!isNodeRef(ref)) {
    throw new TypeError(`startNode: expected a node ref returned by addNode, got ${String(ref)}`)
  }
  return Object.freeze({ ref, args, [startNodeBrand]: true })
}

/** True for a value made by {@link startNode}. */
export function isStartNode(value: unknown): value is StartNode {
  return typeof value === 'object' && value !== null && startNodeBrand in value
}
