import type { Args } from './args.js'

declare const inputType: unique symbol
declare const outputType: unique symbol
declare const modeType: unique symbol

/**
 * How a node turns an incoming item into arguments:
 * `unpack` spreads `args(...)`, `whole` passes it as one array, `queue` means a custom queue
 * sits in front of the node (the ref then accepts what the queue accepts).
 */
export type InputMode = 'unpack' | 'whole' | 'queue'

/**
 * A typed handle to a node, returned by `addNode`. `In` is the node function's parameter
 * tuple (or `[QueueInput]` behind a custom queue), `Out` what it yields. `addEdge` with two
 * refs checks at compile time that what the source yields fits the destination.
 */
export interface NodeRef<
  In extends unknown[] = unknown[],
  Out = unknown,
  Mode extends InputMode = InputMode,
> {
  /** Always `'node-ref'`: tells a ref from a node function. */
  readonly kind: 'node-ref'
  /** The node's name in the graph. */
  readonly name: string
  /** @internal phantom type of the accepted input */
  readonly [inputType]?: (...input: In) => void
  /** @internal phantom type of the output */
  readonly [outputType]?: Out
  /** @internal phantom input mode */
  readonly [modeType]?: Mode
}

/** Any node ref, whatever its types. */
export type AnyNodeRef = NodeRef<never, unknown, InputMode>

/** The parameter tuple an item becomes when the destination unpacks its input. */
export type UnpackedArguments<Item> = Item extends Args<infer Values> ? Values : [Item]

/** The parameter tuple an item becomes with `unpackInput: false`. */
export type WholeArguments<Item> = Item extends Args<infer Values> ? [Values] : [Item]

/**
 * The parameter tuple `item` is passed as to a node of the given input mode. Behind a custom
 * queue the item itself is what the queue's `put` gets. A union of modes (an `unpackInput`
 * only known as `boolean`) gives a union: the edge must fit every one.
 */
export type DeliveredArguments<Item, Mode extends InputMode> = Mode extends 'unpack'
  ? UnpackedArguments<Item>
  : Mode extends 'whole'
    ? WholeArguments<Item>
    : [Item]

/** `true` when a node with parameters `In` and mode `Mode` accepts every `Item`. */
export type Accepts<Item, In extends unknown[], Mode extends InputMode> = [In] extends [[]]
  ? true
  : [DeliveredArguments<Item, Mode>] extends [In]
    ? true
    : false

/** The output type of a node ref. */
export type OutputOf<Ref> = Ref extends NodeRef<never, infer Out, InputMode> ? Out : never

/** The parameter tuple of a node ref. */
export type InputOf<Ref> = Ref extends NodeRef<infer In, unknown, InputMode> ? In : never

/** The input mode of a node ref. */
export type ModeOf<Ref> = Ref extends NodeRef<never, unknown, infer Mode> ? Mode : never

/** Shown by the compiler when an edge's source yields what its destination cannot take. */
export interface EdgeTypeMismatch<Yields, Accepted> {
  readonly 'graphflow: the source yields items the destination does not accept': {
    readonly yields: Yields
    readonly accepts: Accepted
  }
}

/** `unknown` when `Source -> Destination` type-checks, an {@link EdgeTypeMismatch} otherwise. */
export type EdgeCheck<Source, Destination> =
  Accepts<OutputOf<Source>, InputOf<Destination>, ModeOf<Destination>> extends true
    ? unknown
    : EdgeTypeMismatch<OutputOf<Source>, InputOf<Destination>>

const nodeRefBrand = Symbol.for('graphflow.node-ref')

/** @internal */
export function createNodeRef<In extends unknown[], Out, Mode extends InputMode>(
  name: string,
): NodeRef<In, Out, Mode> {
  return Object.freeze({ kind: 'node-ref', name, [nodeRefBrand]: true }) as NodeRef<In, Out, Mode>
}

/** True for a value returned by `addNode`. */
export function isNodeRef(value: unknown): value is AnyNodeRef {
  return typeof value === 'object' && value !== null && nodeRefBrand in value
}
