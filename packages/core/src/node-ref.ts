import type { Args } from './args.js'

declare const inputType: unique symbol
declare const outputType: unique symbol
declare const modeType: unique symbol
declare const graphType: unique symbol

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
  Graph = unknown,
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
  /** @internal phantom graph id: `new AsyncGraph<'orders'>()` makes refs only it accepts */
  readonly [graphType]?: Graph
}

/** Any node ref, whatever its types. */
export type AnyNodeRef = NodeRef<never, unknown, InputMode, unknown>

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

/**
 * The graph itself when `Source -> Destination` type-checks or either end is a name or a
 * function (checked at run time), an {@link EdgeTypeMismatch} naming what the source yields
 * and what the destination accepts otherwise. `addEdge` wants it as its `this`: the compiler's
 * message then starts with the mismatch, at the start of the call.
 */
export type EdgeContext<Graph, Source, Destination> = [Source] extends [AnyNodeRef]
  ? [Destination] extends [AnyNodeRef]
    ? Accepts<OutputOf<Source>, InputOf<Destination>, ModeOf<Destination>> extends true
      ? Graph
      : EdgeTypeMismatch<OutputOf<Source>, InputOf<Destination>>
    : Graph
  : Graph

const nodeRefBrand = Symbol.for('graphflow.node-ref')
/** The graph each ref was made by. */
const owners = new WeakMap<object, object>()

/** @internal */
export function createNodeRef<In extends unknown[], Out, Mode extends InputMode, Graph>(
  name: string,
  graph: object,
): NodeRef<In, Out, Mode, Graph> {
  const ref = Object.freeze({ kind: 'node-ref', name, [nodeRefBrand]: true })
  owners.set(ref, graph)
  return ref as NodeRef<In, Out, Mode, Graph>
}

/** @internal The graph whose `addNode` made `ref`, if any. */
export function graphOf(ref: AnyNodeRef): object | undefined {
  return owners.get(ref)
}

/** True for a value returned by `addNode`. */
export function isNodeRef(value: unknown): value is AnyNodeRef {
  return typeof value === 'object' && value !== null && nodeRefBrand in value
}
